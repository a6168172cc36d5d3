"""The embedded default (`make run`) is SQLite: its triggers are written apart from
PostgreSQL's. The suite runs on PostgreSQL, so these tests build the tables the triggers touch
in an in-memory SQLite database, from the models, and drive them with plain SQL."""

import importlib

import pytest
from django.db.utils import ConnectionHandler

from policies.models import Policy
from renewals.models import RenewalCase
from workqueue.models import ItemResult, WorkItem

RENEWALS = importlib.import_module("renewals.migrations.0006_report_dimensions")
WORKQUEUE = importlib.import_module("workqueue.migrations.0005_first_contact")


@pytest.fixture
def embedded(django_db_blocker):
    django_db_blocker.unblock()  # a database of its own: not the suite's PostgreSQL
    embedded = {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}
    connection = ConnectionHandler({"default": embedded})["default"]
    with connection.schema_editor(atomic=False) as editor:
        for model in (Policy, RenewalCase, WorkItem, ItemResult):
            editor.create_model(model)
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA foreign_keys = OFF")  # only these tables exist
        for sql in RENEWALS.SQLITE + WORKQUEUE.SQLITE:
            cursor.execute(sql)
    yield connection.cursor()
    connection.close()
    django_db_blocker.restore()


DUMMY = {
    "CharField": "", "TextField": "", "DecimalField": "0", "DateField": "2026-01-01",
    "DateTimeField": "2026-01-01 00:00:00", "BooleanField": False, "JSONField": "{}",
}  # fmt: skip


def _insert(cursor, model, **values):
    """A row of ``model`` with ``values`` (column names) and a dummy in every other column that
    may not be null."""
    row = {}
    for field in model._meta.concrete_fields:
        if field.column in values:
            row[field.column] = values[field.column]
        elif not field.null:
            row[field.column] = DUMMY.get(field.get_internal_type(), 1)
    columns = ", ".join(row)
    marks = ", ".join(["%s"] * len(row))
    cursor.execute(
        f"INSERT INTO {model._meta.db_table} ({columns}) VALUES ({marks})", list(row.values())
    )


def _policy(cursor, pk, **values):
    _insert(cursor, Policy, id=pk, end_date="2026-12-31", **values)


def _case(cursor, pk, policy):
    _insert(cursor, RenewalCase, id=pk, policy_id=policy)


def _copied(cursor, pk):
    cursor.execute(
        "SELECT agent_id, insurer_id, line, currency, holder_id, renewed_premium, "
        "renewed_currency "
        "FROM renewals_renewalcase WHERE id = %s",
        [pk],
    )
    return cursor.fetchone()


def test_a_case_copies_its_policy_and_follows_it(embedded):
    cursor = embedded
    _policy(
        cursor,
        1,
        insurer_id=7,
        holder_id=70,
        line="auto",
        premium="100.00",
        currency="MXN",
        agent_id=5,
    )
    _policy(
        cursor,
        2,
        insurer_id=8,
        holder_id=70,
        line="auto",
        premium="120.00",
        currency="MXN",
        agent_id=5,
    )
    _case(cursor, 1, 1)
    assert _copied(cursor, 1) == (5, 7, "auto", "MXN", 70, None, "")
    cursor.execute("UPDATE policies_policy SET agent_id = 6, line = 'health' WHERE id = 1")
    assert _copied(cursor, 1)[:3] == (6, 7, "health")
    cursor.execute("UPDATE renewals_renewalcase SET new_policy_id = 2, agent_id = 99 WHERE id = 1")
    assert _copied(cursor, 1)[0] == 6  # a copied column written by hand is read again
    assert str(_copied(cursor, 1)[5]) in ("120", "120.0", "120.00")
    assert _copied(cursor, 1)[6] == "MXN"
    cursor.execute("UPDATE policies_policy SET premium = '130.00', currency = 'USD' WHERE id = 2")
    assert str(_copied(cursor, 1)[5]) in ("130", "130.0", "130.00")
    assert _copied(cursor, 1)[6] == "USD"


def _item(cursor, handed_out_at):
    _insert(cursor, WorkItem, id=1, agent_id=5, handed_out_at=handed_out_at)


def _result(cursor, pk, result, at, by=5):
    _insert(cursor, ItemResult, id=pk, item_id=1, result=result, by_id=by, at=at)


def _first(cursor):
    cursor.execute("SELECT first_contact_at, first_contact_by_id FROM workqueue_workitem")
    at, by = cursor.fetchone()
    return (str(at) if at else None, by)


def test_an_item_keeps_its_first_contact_result_since_the_hand_out(embedded):
    cursor = embedded
    _item(cursor, "2026-11-30 09:00:00")
    _result(cursor, 1, "no_answer", "2026-11-30 08:00:00")  # before the hand-out
    _result(cursor, 2, "contact_fixed", "2026-11-30 09:30:00")  # not a contact result
    assert _first(cursor) == (None, None)
    _result(cursor, 3, "call_back", "2026-11-30 11:00:00", by=6)
    _result(cursor, 4, "interested", "2026-11-30 10:00:00")
    assert _first(cursor) == ("2026-11-30 10:00:00", 5)
    cursor.execute("DELETE FROM workqueue_itemresult WHERE id = 4")
    assert _first(cursor) == ("2026-11-30 11:00:00", 6)
    cursor.execute("UPDATE workqueue_workitem SET first_contact_at = NULL, priority = 2")
    assert _first(cursor) == ("2026-11-30 11:00:00", 6)
    cursor.execute("UPDATE workqueue_workitem SET handed_out_at = '2026-11-30 12:00:00'")
    assert _first(cursor) == (None, None)


def test_a_case_inserted_without_naming_the_copies_gets_them(embedded):
    """The morning job inserts cases in SQL naming only the case's own columns."""
    cursor = embedded
    _policy(cursor, 1, insurer_id=7, holder_id=70, line="life", currency="CNY", agent_id=5)
    cursor.execute(
        "INSERT INTO renewals_renewalcase (id, policy_id, ladder_id, stage, grade, client_type,"
        " status, outcome_reason, lost_why, outcome_note, end_date, last_premium, opened_on)"
        " VALUES (1, 1, 1, '', '', '', 'open', '', '', '', '2026-12-31', 100, '2026-12-01')"
    )
    assert _copied(cursor, 1) == (5, 7, "life", "CNY", 70, None, "")
