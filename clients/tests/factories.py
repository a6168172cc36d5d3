"""Client factories. They write rows directly: tests of behaviour go through the services."""

import factory
from factory.django import DjangoModelFactory

from clients.models import Client, ClientKind, ClientStatus


class ClientFactory(DjangoModelFactory):
    """An individual client with a Mexican name. ``owner`` is None unless given."""

    class Meta:
        model = Client
        skip_postgeneration_save = True

    class Params:
        faker_first_name = factory.Faker("first_name", locale="es_MX")

    kind = ClientKind.INDIVIDUAL
    # Spaces collapsed, as a form or a report leaves a name: Faker's Mexican first names include
    # "Alta  Gracia" (two spaces), which an e-mail subject shows with one.
    first_name = factory.LazyAttribute(lambda o: " ".join(o.faker_first_name.split()))
    last_name = factory.Faker("last_name", locale="es_MX")
    # "+52 55 XXXX XXXX": a valid Mexico City number in E.164 (phonenumbers rejects the old
    # mobile prefix "+52 1", so "+52155…" would fail full_clean in every service).
    phone = factory.Sequence(lambda n: f"+5255{10000000 + n:08d}")
    email = factory.Sequence(lambda n: f"cliente{n}@example.com")
    language = "es"
    status = ClientStatus.ACTIVE
    owner = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        manager = cls._get_manager(model_class)
        client = model_class(*args, **kwargs)
        client.display_name = client.compute_display_name()
        client.save(using=manager.db)
        return client

    @factory.post_generation
    def co_agents(self, create, extracted, **kwargs):
        if create and extracted:
            self.co_agents.set(extracted)


class CorporateClientFactory(ClientFactory):
    kind = ClientKind.CORPORATE
    first_name = ""
    last_name = ""
    legal_name = factory.Faker("company", locale="es_MX")
    legal_representative = factory.Faker("name", locale="es_MX")
    tax_id = factory.Sequence(lambda n: f"ABC{n:06d}XY{n % 10}")
    email = factory.Sequence(lambda n: f"empresa{n}@example.com")
