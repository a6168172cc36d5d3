import factory
from factory.django import DjangoModelFactory

from brokerage.accounts.models import Team, User
from brokerage.accounts.services import user_set_roles

PASSWORD = "a-Long-test-passw0rd"


class TeamFactory(DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Team {n}")


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name", locale="es_MX")
    last_name = factory.Faker("last_name", locale="es_MX")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    language = "en"
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create and extracted:
            user_set_roles(user=self, roles=extracted)
