import pytest

from brokerage.accounts.tests.factories import TeamFactory, UserFactory
from clients.tests.factories import ClientFactory
from servicing.tests.factories import LifePolicyFactory


@pytest.fixture
def world():
    """A life policy of a client owned by an agent of team A; the people who try it."""
    manager = UserFactory(roles=["manager"])
    other_manager = UserFactory(roles=["manager"])
    team, other_team = TeamFactory(manager=manager), TeamFactory(manager=other_manager)
    owner = UserFactory(roles=["agent"], team=team)
    users = {
        "owner": owner,
        "teammate": UserFactory(roles=["agent"], team=team),
        "outsider": UserFactory(roles=["agent"], team=other_team),
        "manager": manager,
        "other_manager": other_manager,
        "maintainer": UserFactory(roles=["maintainer"]),
        "admin": UserFactory(roles=["admin"]),
    }
    policy = LifePolicyFactory(holder=ClientFactory(owner=owner), agent=owner)
    return users, policy
