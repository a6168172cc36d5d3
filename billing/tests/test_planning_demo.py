"""seed_demo plans every demo policy's instalments, set-based, adding up to its premium."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count, Sum

from billing.models import Instalment
from policies.models import Policy

pytestmark = pytest.mark.django_db


def test_the_demo_plans_every_policy():
    out = StringIO()
    call_command("seed_demo", clients=40, seed=5, stdout=out)
    policies = Policy.objects.filter(premium__gt=0)
    assert policies.exists()
    totals = dict(
        Instalment.objects.values("policy")
        .annotate(total=Sum("amount"))
        .values_list("policy", "total")
    )
    assert totals == dict(policies.values_list("pk", "premium"))
    sizes = dict(
        Instalment.objects.values("policy").annotate(n=Count("pk")).values_list("policy", "n")
    )
    assert all(i.count == sizes[i.policy_id] for i in Instalment.objects.all())
    assert f"instalments: {Instalment.objects.count()} planned" in out.getvalue()
