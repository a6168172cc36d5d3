"""The demo and benchmark dataset, built by ``manage.py seed_demo``.

Each app contributes a step (a function taking a DemoContext). Steps run in order, in one
transaction, and use bulk inserts so the same command builds the benchmark dataset.
"""

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.module_loading import import_string
from faker import Faker

DEMO_PASSWORD = "cartera-demo"  # noqa: S105 - published demo password

# Dotted paths of the steps, in the order they run. Apps add theirs as they arrive.
STEPS = [
    "brokerage.accounts.demo.seed_people",
    "clients.demo.seed_clients",
    "policies.demo.seed_policies",
    "renewals.demo.seed_renewal_history",
    "billing.demo.seed_instalments",
    "billing.demo.seed_payment_history",
    "claims.demo.seed_claims",
    "touches.demo.seed_touches",
    "policies.demo.seed_prospects",
    "servicing.demo.seed_servicing",
]


@dataclass
class DemoContext:
    clients: int
    seed: int
    write: Callable[[str], None]
    rng: random.Random = field(init=False)
    faker_es: Faker = field(init=False)
    faker_zh: Faker = field(init=False)
    # Steps leave what later steps need here (e.g. "agents", "teams").
    data: dict = field(default_factory=dict)

    def __post_init__(self):
        self.rng = random.Random(self.seed)
        self.faker_es = Faker("es_MX")
        self.faker_es.seed_instance(self.seed)
        self.faker_zh = Faker("zh_CN")
        self.faker_zh.seed_instance(self.seed + 1)

    def person_name(self) -> tuple[str, str, str]:
        """(first name, last name, language) of a Spanish- or Chinese-speaking person, three to
        one, as in the brokerages the seeds describe."""
        if self.rng.random() < 0.75:
            return self.faker_es.first_name(), self.faker_es.last_name(), "es"
        return self.faker_zh.first_name(), self.faker_zh.last_name(), "zh-hans"


def run_steps(context: DemoContext) -> None:
    for path in STEPS:
        import_string(path)(context)
