"""bulk.insert_with_history: only the columns the rows give are sent; the others take their
defaults once; a row lacking a column another row gives takes its default; every row gets a
history row equal to the row stored, with who, when and why."""

import pytest

from brokerage.accounts.tests.factories import UserFactory
from brokerage.core.bulk import insert_with_history
from clients.models import Client

pytestmark = pytest.mark.django_db


def test_rows_are_stored_with_defaults_and_one_history_row_each():
    user = UserFactory()
    rows = [
        {"kind": "individual", "first_name": "Ana", "last_name": "Pérez",
         "display_name": "Ana Pérez", "email": "ana@example.com", "_note": "caller's"},
        {"kind": "individual", "first_name": "王", "last_name": "伟", "display_name": "王伟"},
    ]  # fmt: skip
    insert_with_history(Client, rows, by=user, reason="imported")
    ana, wang = (Client.objects.get(pk=row["id"]) for row in rows)
    assert (ana.display_name, ana.email) == ("Ana Pérez", "ana@example.com")
    assert wang.email == ""  # given by the other row only: its default
    assert wang.notes == "" and wang.is_key is False  # given by no row: the defaults
    for client in (ana, wang):
        (entry,) = client.history.all()
        assert (entry.history_type, entry.history_change_reason) == ("+", "imported")
        assert entry.history_user_id == user.pk
        assert (entry.first_name, entry.email, entry.created_at) == (
            client.first_name, client.email, client.created_at
        )
