"""book_multiply (bench/big_book.py): a small seeded book made three times bigger in SQL."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from brokerage.accounts.models import User
from brokerage.core.book_multiply import REFERENCE_TABLES, _models, book_check, book_multiply
from clients.models import Client
from clients.tests.factories import ClientFactory
from policies.models import Insurer, Policy, Vehicle
from policies.tests.factories import PolicyFactory
from policies.validators import validate_vin
from reports.rollups import work_rollup_rebuild
from touches.models import Touch
from workqueue.models import WorkItem

pytestmark = pytest.mark.django_db

FACTOR = 3


def _scalar(query: str, params=None):
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchone()[0]


@pytest.fixture
def book():
    work_rollup_rebuild()  # the clock the work queue's rollups count under (one row)
    call_command("seed_demo", clients=40, seed=5, stdout=StringIO())
    tables = {m._meta.db_table: m for m in _models()}
    before = {
        table: _scalar(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")
        for table in tables
    }
    spans, firsts = {}, {}
    for table, model in tables.items():
        pk = connection.ops.quote_name(model._meta.pk.column)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT min({pk}), max({pk}) FROM {connection.ops.quote_name(table)}")
            first, last = cursor.fetchone()
        spans[table] = last - first + 1 if first is not None else 0
        firsts[table] = first
    return {"tables": tables, "before": before, "spans": spans, "firsts": firsts}


def test_it_makes_copies_of_the_book_each_pointing_inside_itself(book):
    insurers = Insurer.objects.count()
    staff = set(User.objects.filter(groups__name__in=["admin", "maintainer"]).values_list("pk"))
    agents = User.objects.filter(groups__name="agent").count()

    counts = book_multiply(factor=FACTOR)

    assert {"clients_client", "policies_policy", "billing_instalment"} <= set(counts)
    for table, (rows, _after) in counts.items():
        assert rows == book["before"][table], table
        if table in ("accounts_user", "accounts_user_groups"):
            continue
        assert counts[table] == (rows, rows * FACTOR), table
        assert _scalar(f"SELECT count(*) FROM {table}") == rows * FACTOR, table
    assert book["before"]["policies_policy"] > 0 and book["before"]["renewals_renewalcase"] > 0
    assert not REFERENCE_TABLES & set(counts)
    assert Insurer.objects.count() == insurers
    assert User.objects.filter(groups__name="agent").count() == agents * FACTOR
    assert set(User.objects.filter(groups__name__in=["admin", "maintainer"]).values_list("pk")) == (
        staff
    )
    # Every reference stays inside its copy.
    assert book_check() == {}
    spans, firsts, checked = book["spans"], book["firsts"], 0
    for table, model in book["tables"].items():
        if table not in counts or not spans[table] or table == "accounts_user_groups":
            continue
        pk = model._meta.pk.column
        instance = getattr(model, "instance_type", None)
        for field in model._meta.concrete_fields:
            if field.is_relation:
                target = field.related_model._meta.db_table
            elif instance is not None and field.column == "id":
                target = instance._meta.db_table
            else:
                continue
            if target not in counts or not spans[target] or target == "accounts_user":
                continue
            wrong = _scalar(
                f'SELECT count(*) FROM {table} WHERE "{field.column}" IS NOT NULL '
                f'AND ("{pk}" - %s) / %s <> ("{field.column}" - %s) / %s',
                [firsts[table], spans[table], firsts[target], spans[target]],
            )
            assert wrong == 0, f"{table}.{field.column}"
            checked += 1
    assert checked > 40

    def copy_of(table, pk):
        return (pk - firsts[table]) // spans[table]

    # The agents too: each copy's clients belong to that copy's agents.
    copies = dict(
        Client.objects.filter(owner__isnull=False)
        .values_list("owner_id", "owner__username")
        .distinct()
    )
    assert {copy_of("accounts_user", pk) for pk in copies} == set(range(FACTOR))
    assert {name.rpartition(".")[2] for name in copies.values() if "." in name} == {"1", "2"}
    # Work items point at their own copy's subjects (cases, touches…) by kind.
    items = WorkItem.objects.filter(kind="renewal")
    assert len({copy_of("workqueue_workitem", item.pk) for item in items}) == FACTOR
    for item in items:
        assert copy_of("renewals_renewalcase", item.subject_id) == copy_of(
            "workqueue_workitem", item.pk
        )
    # The daily rollup (kept by triggers, not copied) counts every copy's cases.
    if "reports_renewalday" in connection.introspection.table_names():
        counted = _scalar("SELECT COALESCE(sum(cases), 0) FROM reports_renewalday")
        cases = _scalar("SELECT count(*) FROM renewals_renewalcase WHERE status <> 'cancelled'")
        assert counted == cases > 0
    # So do the work queue's (items and points), under the one clock kept as it was.
    if "reports_workday" in connection.introspection.table_names():
        assert _scalar("SELECT count(*) FROM reports_rollupclock") == 1
        counted = _scalar("SELECT COALESCE(sum(items), 0) FROM reports_workday")
        items = _scalar(
            "SELECT count(*) FROM workqueue_workitem WHERE status <> 'cancelled' "
            "AND handed_out_at IS NOT NULL AND COALESCE(agent_id, first_contact_by_id) IS NOT NULL"
        )
        assert counted == _scalar("SELECT sum(items) FROM reports_workmonth") == items > 0
        points = _scalar("SELECT COALESCE(sum(points), 0) FROM workqueue_pointsaward")
        assert _scalar("SELECT COALESCE(sum(points), 0) FROM reports_pointsday") == points


def test_unique_and_searched_values_differ_between_copies_and_inserts_go_on(book):
    vins = Vehicle.objects.values("vin").distinct().count()
    phones = Client.objects.exclude(phone="").values("phone").distinct().count()
    emails = Client.objects.exclude(email="").values("email").distinct().count()

    book_multiply(factor=FACTOR)

    policies = Policy.objects.count()
    assert Policy.objects.values("number").distinct().count() == policies
    assert Policy.objects.values("number_key").distinct().count() == policies
    assert Vehicle.objects.values("vin").distinct().count() == vins * FACTOR
    for vin in Vehicle.objects.values_list("vin", flat=True):
        validate_vin(vin)
    assert Client.objects.exclude(phone="").values("phone").distinct().count() == phones * FACTOR
    assert Client.objects.exclude(email="").values("email").distinct().count() == emails * FACTOR
    assert Touch.objects.values("kind", "occasion").distinct().count() == Touch.objects.count()
    # The occasions name the copy's own policy, client or VIN.
    assert (
        _scalar(
            """
        SELECT count(*) FROM touches_touch t LEFT JOIN policies_vehicle v ON v.id = t.vehicle_id
        WHERE (t.occasion ~ '^policy-' AND split_part(t.occasion, '-', 2)::bigint <> t.policy_id)
           OR (t.occasion ~ '^client-' AND split_part(t.occasion, '-', 2)::bigint <> t.client_id)
           OR (t.occasion ~ '^(inspection|licence)-' AND split_part(t.occasion, '-', 2) <> v.vin)
        """
        )
        == 0
    )
    assert Touch.objects.filter(occasion__startswith="inspection-").count() > 0
    assert User.objects.values("username").distinct().count() == User.objects.count()
    copy = Policy.objects.order_by("-pk").first()
    assert copy.number[-8:-6] == "02"
    # The sequences go on after the copies.
    last_client = Client.objects.order_by("-pk").values_list("pk", flat=True).first()
    last_policy = Policy.objects.order_by("-pk").values_list("pk", flat=True).first()

    client = ClientFactory()
    policy = PolicyFactory(holder=client)

    assert client.pk > last_client
    assert policy.pk > last_policy


def test_it_refuses_a_factor_below_two():
    with pytest.raises(ValueError, match="2 or more"):
        book_multiply(factor=1)
