"""The people every report test starts from: two teams, Norte (the manager's: Ana and Beto)
and Sur (another manager's: Carla)."""

from types import SimpleNamespace

import pytest

from brokerage.accounts.tests.factories import TeamFactory, UserFactory


@pytest.fixture
def teams():
    manager, other_manager = UserFactory(roles=["manager"]), UserFactory(roles=["manager"])
    north = TeamFactory(name="Norte", manager=manager)
    south = TeamFactory(name="Sur", manager=other_manager)
    return SimpleNamespace(
        manager=manager, other_manager=other_manager, north=north, south=south,
        ana=UserFactory(roles=["agent"], team=north, first_name="Ana", last_name="Ruiz"),
        beto=UserFactory(roles=["agent"], team=north, first_name="Beto", last_name="Soto"),
        carla=UserFactory(roles=["agent"], team=south, first_name="Carla", last_name="Mora"),
    )  # fmt: skip
