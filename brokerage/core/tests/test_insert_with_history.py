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


def test_policies_go_in_binary_copy_with_their_values_exact_and_a_wrong_type_refused():
    """The rows are COPYed in binary, each value by its column's type: dates, amounts,
    timestamps and choices land exactly; a date given as text is refused, not guessed."""
    import datetime
    from decimal import Decimal

    from django.db import DataError, transaction
    from django.utils import timezone

    from clients.tests.factories import ClientFactory
    from policies.models import Line, Policy, PolicyStatus
    from policies.tests.factories import InsurerFactory

    insurer, holder = InsurerFactory(), ClientFactory()
    created = timezone.now().replace(microsecond=123456)
    row = {
        "number": "HDI-1", "number_key": "HDI1", "insurer_id": insurer.pk,
        "holder_id": holder.pk, "line": Line.AUTO, "premium": Decimal("12345.67"),
        "currency": "MXN", "start_date": datetime.date(2025, 12, 1),
        "end_date": datetime.date(9999, 12, 31), "status": PolicyStatus.ACTIVE,
        "handout_on": None, "created_at": created,
    }  # fmt: skip
    insert_with_history(Policy, [row], reason="imported")
    policy = Policy.objects.get(pk=row["id"])
    assert (policy.premium, policy.start_date, policy.end_date, policy.line) == (
        Decimal("12345.67"), datetime.date(2025, 12, 1), datetime.date(9999, 12, 31), "auto"
    )
    assert policy.created_at == created and policy.handout_on is None
    assert policy.history.get().premium == Decimal("12345.67")
    wrong = {**row, "number": "HDI-2", "number_key": "HDI2", "end_date": "2026-12-31"}
    wrong.pop("id")
    with pytest.raises((DataError, TypeError, ValueError)), transaction.atomic():
        insert_with_history(Policy, [wrong], reason="imported")
    assert Policy.objects.count() == 1


def _stored_and_history(model, pk):
    """(the stored row, its one history row) as {column: value} over the history's columns."""
    from brokerage.core.bulk import _history_columns

    history, tracked = _history_columns(model)
    names = sorted(f.attname for f in model._meta.concrete_fields if f.column in tracked)
    assert names == sorted(f.attname for f in history._meta.concrete_fields if f.column in tracked)
    return model.objects.values(*names).get(pk=pk), history.objects.values(*names).get(id=pk)


def test_the_history_row_holds_every_value_stored_given_or_default():
    """Without a trigger changing rows on insert, the history is written from the same values
    as the table (not read back from it): every column agrees, given ones and defaults."""
    name = "Transportes Ñandú"
    rows = [{"kind": "company", "legal_name": name, "display_name": name,
             "tax_id": "TÑA010101AB1", "phone": "+525512345678", "language": "es"}]  # fmt: skip
    insert_with_history(Client, rows, reason="imported")
    stored, written = _stored_and_history(Client, rows[0]["id"])
    assert written == stored
    assert stored["language"] == "es" and stored["notes"] == "" and stored["created_at"]


def test_a_table_whose_insert_trigger_fills_the_row_gets_the_filled_row_in_its_history():
    """The instalments' insert trigger copies the policy's dimensions (holder, insurer, line,
    agent) into a row that names none: the history row holds what the trigger stored."""
    import datetime
    from decimal import Decimal

    from billing.models import Instalment
    from policies.tests.factories import PolicyFactory

    policy = PolicyFactory()
    Instalment.objects.filter(policy=policy).delete()
    row = {"policy_id": policy.pk, "number": 1, "count": 1, "due_on": datetime.date(2026, 12, 1),
           "amount": Decimal("100.00"), "currency": "MXN", "status": "pending"}  # fmt: skip
    insert_with_history(Instalment, [row], reason="planned")
    stored, written = _stored_and_history(Instalment, row["id"])
    assert (stored["holder_id"], stored["insurer_id"]) == (policy.holder_id, policy.insurer_id)
    assert written == stored
