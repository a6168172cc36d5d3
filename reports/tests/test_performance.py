"""Agent performance against a small hand-built month of work whose answers are written here,
in Mexico City's time (UTC-6): an item worked at 16:59 the day after is on time, at 17:01 late
— and both would be "on time" if the cutoff were reckoned in UTC."""

import datetime
import io
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from brokerage.accounts.tests.factories import UserFactory
from clients.tests.factories import ClientFactory
from policies.tests.factories import InsurerFactory, PolicyFactory
from renewals.models import CaseStatus
from renewals.tests.factories import RenewalCaseFactory
from reports.filters import ReportFilters
from reports.performance import performance_tables
from workqueue import kinds
from workqueue.models import ItemResult, ItemStatus, PointsAward, Queue, WorkItem

pytestmark = pytest.mark.django_db

URL = "/reports/agents/"
MINE = "/reports/mine/"
MARCH = {"start": "2026-03-01", "end": "2026-03-31"}
D = datetime.date
WORK = ("handed_out", "worked", "on_time", "missed", "on_time_rate")
RENEWALS = ("renewals_won", "premium", "points")


def at(day, hour, minute=0):
    """A moment in the current time zone (the fixture sets Mexico City first)."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def _item(agent, handed_out_at, results=(), *, status=ItemStatus.OPEN, done_at=None, **kw):
    """A work item handed out at ``handed_out_at`` with ``results`` [(moment, code)] logged by
    ``by`` (the agent unless said)."""
    by = kw.pop("by", agent)
    item = WorkItem.objects.create(
        kind="renewal", subject_id=WorkItem.objects.count() + 1, title="Touch", agent=agent,
        due_on=timezone.localdate(handed_out_at), handed_out_at=handed_out_at, status=status,
        done_at=done_at, result=results[-1][1] if results else "",
        attempts=len(results), **kw,
    )  # fmt: skip
    for moment, code in results:
        logged = ItemResult.objects.create(item=item, result=code, by=by)
        ItemResult.objects.filter(pk=logged.pk).update(at=moment)  # ``at`` is auto_now_add
    # The first contact result since the hand-out, as workqueue.services keeps it.
    contacts = [(moment, code) for moment, code in results if kinds.get(item.kind).result(code)
                and kinds.get(item.kind).result(code).contact]  # fmt: skip
    if contacts:
        WorkItem.objects.filter(pk=item.pk).update(first_contact_at=contacts[0][0],
                                                   first_contact_by=by)  # fmt: skip
    return item


def _won(agent, closed_at, premium, *, currency="MXN", insurer=None, status=CaseStatus.WON,
         closed_by=None):  # fmt: skip
    holder = ClientFactory(owner=agent)
    policy = PolicyFactory(holder=holder, agent=agent, **({"insurer": insurer} if insurer else {}))
    new = PolicyFactory(holder=holder, agent=agent, premium=Decimal(premium), currency=currency)
    return RenewalCaseFactory(
        policy=policy, status=status, new_policy=new if status == CaseStatus.WON else None,
        closed_at=closed_at, closed_by=closed_by or agent,
    )  # fmt: skip


def _points(agent, awarded_at, points):
    return PointsAward.objects.create(
        agent=agent, kind="renewal", subject_id=PointsAward.objects.count() + 1,
        points=Decimal(points), reason="Renewal", awarded_at=awarded_at,
    )  # fmt: skip


@pytest.fixture
def book(settings, teams):
    settings.TIME_ZONE = "America/Mexico_City"
    settings.WORK_RESULT_CUTOFF = "17:00"
    manager, ana, beto, carla = teams.manager, teams.ana, teams.beto, teams.carla
    dora = UserFactory(roles=["agent"], team=teams.north, first_name="Dora", last_name="Vega")
    tenth, eleventh = D(2026, 3, 10), D(2026, 3, 11)

    # Ana: four items count, two on time.
    _item(ana, at(tenth, 9), [(at(eleventh, 16, 59), "interested")])  # on time
    _item(ana, at(tenth, 9), [(at(eleventh, 17, 1), "no_answer")])  # late
    _item(ana, at(tenth, 9))  # never worked: missed
    _item(ana, at(tenth, 9), [(at(tenth, 12), "renewed")], status=ItemStatus.DONE,
          done_at=at(tenth, 12))  # fmt: skip  # on time, the same day
    _item(ana, at(tenth, 9), status=ItemStatus.CANCELLED, done_at=at(tenth, 10))  # left out
    _item(ana, at(D(2026, 4, 2), 9), [(at(D(2026, 4, 2), 10), "interested")])  # April

    # Beto: four items count, three on time.
    # Handed out at 20:00 local, already the 11th in UTC: its cutoff is the 11th at 17:00.
    _item(beto, at(tenth, 20), [(at(eleventh, 17, 30), "declined")], status=ItemStatus.DONE,
          done_at=at(eleventh, 17, 30))  # fmt: skip  # late
    # The 31st at 20:00 local is April 1st in UTC: still March here.
    _item(beto, at(D(2026, 3, 31), 20), [(at(D(2026, 4, 1), 10), "call_back")])
    _item(beto, at(D(2026, 2, 28), 20))  # February here, March 1st in UTC: not counted
    # Three failed attempts sent it to the maintainers (no agent any more): still Beto's.
    _item(None, at(D(2026, 3, 5), 9), [(at(D(2026, 3, 5), 10), "no_answer"),
          (at(D(2026, 3, 5), 11), "no_answer"), (at(D(2026, 3, 6), 9), "no_answer")],
          by=beto, queue=Queue.MAINTAINERS)  # fmt: skip
    # Closed by the system (the case was won on another touch), no contact result of its own.
    _item(beto, at(D(2026, 3, 20), 9), status=ItemStatus.DONE, done_at=at(D(2026, 3, 20), 15))

    # Carla is another manager's.
    _item(carla, at(tenth, 9), [(at(tenth, 10), "interested")])

    hdi, qualitas = InsurerFactory(name="HDI", code="hdi"), InsurerFactory(name="Qualitas",
                                                                          code="qua")  # fmt: skip
    _won(ana, at(D(2026, 3, 15), 12), "1100", insurer=qualitas)
    _won(ana, at(D(2026, 3, 20), 12), "500", currency="USD", insurer=qualitas,
         closed_by=manager)  # fmt: skip  # counted, its premium is in dollars
    _won(ana, at(D(2026, 4, 5), 12), "900", insurer=qualitas)  # April
    _won(ana, at(D(2026, 3, 16), 12), "700", status=CaseStatus.LOST)
    _won(beto, at(D(2026, 3, 31), 20), "4000", insurer=hdi)  # April 1st in UTC
    _won(carla, at(D(2026, 3, 10), 12), "9000")

    _points(ana, at(D(2026, 3, 15), 12), "12.50")
    _points(ana, at(D(2026, 4, 2), 12), "5.00")
    _points(beto, at(D(2026, 3, 31), 20), "20.00")
    _points(carla, at(D(2026, 3, 10), 12), "30.00")
    return {"manager": manager, "ana": ana, "beto": beto, "dora": dora, "carla": carla,
            "hdi": hdi}  # fmt: skip


def _get(client, url=URL, **params):
    return client.get(url, {**MARCH, **params})


def _tables(response):
    assert response.status_code == 200
    return {t.slug: t for t in response.context["tables"]}


def _figures(table, names):
    rows = [(r.label, *(r.values[n] for n in names)) for r in table.rows]
    return rows, tuple(table.totals.values[n] for n in names)


def test_it_counts_the_work_handed_out_worked_and_worked_by_the_cutoff(client, book):
    client.force_login(book["manager"])
    rows, totals = _figures(_tables(_get(client))["agents"], WORK)
    assert rows == [
        ("Ana Ruiz", 4, 3, 2, 2, Decimal("50.0")),
        ("Beto Soto", 4, 4, 3, 1, Decimal("75.0")),
        ("Dora Vega", 0, 0, 0, 0, None),
    ]
    assert totals == (8, 7, 5, 3, Decimal("62.5"))


def test_it_counts_renewals_won_premium_and_points(client, book):
    client.force_login(book["manager"])
    rows, totals = _figures(_tables(_get(client))["agents"], RENEWALS)
    assert rows == [
        ("Ana Ruiz", 2, Decimal("1100.00"), Decimal("12.50")),
        ("Beto Soto", 1, Decimal("4000.00"), Decimal("20.00")),
        ("Dora Vega", 0, Decimal("0"), Decimal("0")),
    ]
    assert totals == (3, Decimal("5100.00"), Decimal("32.50"))


def test_renewals_won_open_the_cases_behind_them(client, book):
    client.force_login(book["manager"])
    ana = _tables(_get(client))["agents"].rows[0]
    listed = client.get(ana.links["renewals_won"]).context["page"].object_list
    assert len(listed) == ana.values["renewals_won"] == 2
    assert {case.status for case in listed} == {"won"}
    assert {case.policy.agent_id for case in listed} == {ana.key}


def test_premium_is_summed_in_the_chosen_currency(client, book):
    client.force_login(book["manager"])
    rows, _totals = _figures(_tables(_get(client, currency="USD"))["agents"], RENEWALS)
    assert rows[0] == ("Ana Ruiz", 2, Decimal("500.00"), Decimal("12.50"))
    assert rows[1] == ("Beto Soto", 1, Decimal("0"), Decimal("20.00"))


def test_insurer_and_line_narrow_the_renewals_not_the_work(client, book):
    client.force_login(book["manager"])
    table = _tables(_get(client, insurer=book["hdi"].pk))["agents"]
    rows, _totals = _figures(table, ("handed_out", "on_time", *RENEWALS))
    assert rows[:2] == [
        ("Ana Ruiz", 4, 2, 0, Decimal("0"), Decimal("12.50")),
        ("Beto Soto", 4, 3, 1, Decimal("4000.00"), Decimal("20.00")),
    ]
    assert "do not apply to the work" in table.note
    rows, _totals = _figures(_tables(_get(client, line="health"))["agents"], RENEWALS)
    assert [r[1] for r in rows] == [0, 0, 0]


def test_it_gives_the_results_of_the_items_handed_out(client, book):
    client.force_login(book["manager"])
    table = _tables(_get(client))["agent-results"]
    assert [c.label for c in table.columns] == [
        "No answer", "Call back", "Interested", "Renewed", "Declined",
        "Closed without a contact result", "No result yet",
    ]  # fmt: skip
    keys = [c.key for c in table.columns]
    assert [(r.label, *(r.values[k] for k in keys)) for r in table.rows] == [
        ("Ana Ruiz", 1, 0, 1, 1, 0, 0, 1),
        ("Beto Soto", 1, 1, 0, 0, 1, 1, 0),
        ("Dora Vega", 0, 0, 0, 0, 0, 0, 0),
    ]
    assert [table.totals.values[k] for k in keys] == [2, 1, 1, 1, 1, 1, 1]


def test_an_item_whose_cutoff_has_not_come_is_neither_on_time_nor_missed(client, book):
    client.force_login(book["manager"])
    today = timezone.localdate()
    _item(book["dora"], timezone.now())
    rows, _totals = _figures(
        _tables(_get(client, start=today.isoformat(), end=today.isoformat()))["agents"], WORK
    )
    assert ("Dora Vega", 1, 0, 0, 0, None) in rows


def test_it_draws_handed_out_worked_and_on_time(client, book):
    client.force_login(book["manager"])
    chart = _tables(_get(client))["agents"].chart_data()
    assert chart["labels"] == ["Ana Ruiz", "Beto Soto", "Dora Vega"]
    assert [(d["label"], d["data"]) for d in chart["datasets"]] == [
        ("Handed out", [4, 4, 0]), ("Worked", [3, 4, 0]), ("On time", [2, 3, 0]),
    ]  # fmt: skip


def test_a_manager_sees_only_their_teams_agents_and_an_admin_everyone(client, book):
    client.force_login(book["manager"])
    labels = [r.label for r in _tables(_get(client))["agents"].rows]
    assert labels == ["Ana Ruiz", "Beto Soto", "Dora Vega"]
    response = _get(client, agent=book["carla"].pk)
    assert "Unknown agent" in response.content.decode()
    assert "Carla Mora" not in [r.label for r in _tables(response)["agents"].rows]
    rows, _totals = _figures(_tables(_get(client, agent=book["beto"].pk))["agents"], WORK)
    assert rows == [("Beto Soto", 4, 4, 3, 1, Decimal("75.0"))]

    client.force_login(UserFactory(roles=["admin"]))
    rows, totals = _figures(_tables(_get(client))["agents"], ("handed_out", "renewals_won"))
    assert ("Carla Mora", 1, 1) in rows and totals == (9, 4)


def test_an_agent_who_left_is_listed_only_with_figures(client, book):
    book["dora"].is_active = False
    book["dora"].save()
    book["beto"].is_active = False
    book["beto"].save()
    client.force_login(book["manager"])
    labels = [r.label for r in _tables(_get(client))["agents"].rows]
    assert labels == ["Ana Ruiz", "Beto Soto"]


def test_an_agent_cannot_open_the_dashboard_but_sees_their_own_row(client, book):
    client.force_login(book["ana"])
    assert _get(client).status_code == 403
    for extra in ({}, {"agent": book["beto"].pk}, {"team": book["beto"].team_id}):
        tables = _tables(_get(client, MINE, view="agents", **extra))
        rows, _totals = _figures(tables["agents"], (*WORK, *RENEWALS))
        assert rows == [
            ("Ana Ruiz", 4, 3, 2, 2, Decimal("50.0"), 2, Decimal("1100.00"), Decimal("12.50"))
        ]
        assert [r.label for r in tables["agent-results"].rows] == ["Ana Ruiz"]


def test_the_builder_serves_an_agent_alone(book):
    filters = ReportFilters(start=D(2026, 3, 1), end=D(2026, 3, 31), currency="MXN",
                            agent=book["beto"])  # fmt: skip
    performance, _results = performance_tables(
        user=book["beto"], filters=filters, today=D(2026, 4, 1)
    )
    assert [(r.label, r.values["handed_out"]) for r in performance.rows] == [("Beto Soto", 4)]
    filters.agent = None  # an agent leads no team: nobody else
    performance, _results = performance_tables(
        user=book["beto"], filters=filters, today=D(2026, 4, 1)
    )
    assert performance.rows == []


def test_it_exports_both_tables_to_xlsx(client, book):
    client.force_login(book["manager"])
    response = _get(client, export="xlsx")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["Agent performance", "Results of the items handed out"]
    sheet = [list(r) for r in workbook["Agent performance"].iter_rows(values_only=True)]
    assert sheet[0] == [
        "Agent", "Handed out", "Worked", "On time", "Missed the cutoff", "On-time rate",
        "Renewals won", "Premium renewed (MXN)", "Points",
    ]  # fmt: skip
    assert sheet[1] == ["Ana Ruiz", 4, 3, 2, 2, 0.5, 2, 1100, 12.5]
    assert sheet[3] == ["Dora Vega", 0, 0, 0, 0, None, 0, 0, 0]
    assert sheet[4] == ["Total", 8, 7, 5, 3, 0.625, 3, 5100, 32.5]
    results = [list(r) for r in workbook["Results of the items handed out"].iter_rows(
        values_only=True)]  # fmt: skip
    assert results[0][0] == "Agent" and results[0][-1] == "No result yet"
    assert results[2] == ["Beto Soto", 1, 1, 0, 0, 1, 1, 0]


def test_an_agent_downloads_only_their_own_row(client, book):
    client.force_login(book["ana"])
    response = _get(client, MINE, view="agents", agent=book["beto"].pk, export="xlsx")
    sheet = list(load_workbook(io.BytesIO(response.content))["Agent performance"].values)
    assert [row[0] for row in sheet] == ["Agent", "Ana Ruiz", "Total"]


def test_it_runs_a_fixed_number_of_queries(client, book, django_assert_max_num_queries):
    client.force_login(book["manager"])
    with django_assert_max_num_queries(30) as few:
        _tables(_get(client))
    north = book["ana"].team
    for n in range(7):  # 10 agents in the team, each with work, renewals and points
        agent = UserFactory(roles=["agent"], team=north)
        _item(agent, at(D(2026, 3, 2 + n), 9), [(at(D(2026, 3, 3 + n), 9), "call_back")])
        _item(agent, at(D(2026, 3, 2 + n), 9))
        _won(agent, at(D(2026, 3, 2 + n), 12), "100")
        _points(agent, at(D(2026, 3, 2 + n), 12), "1")
    with django_assert_max_num_queries(len(few)):
        tables = _tables(_get(client))
    assert len(tables["agents"].rows) == 10
    assert tables["agents"].totals.values["handed_out"] == 8 + 14


def test_the_builder_runs_a_fixed_number_of_queries(book, django_assert_max_num_queries):
    filters = ReportFilters(start=D(2026, 3, 1), end=D(2026, 3, 31), currency="MXN")

    def build():
        manager = type(book["manager"]).objects.get(pk=book["manager"].pk)
        # One more than before the work queue's rollups: whether they are counted under the
        # current time zone and cutoff (here they are not: the items are read).
        with django_assert_max_num_queries(8) as queries:
            tables = performance_tables(user=manager, filters=filters, today=D(2026, 4, 1))
        return len(queries), len(tables[0].rows)

    few = build()
    for n in range(7):
        agent = UserFactory(roles=["agent"], team=book["ana"].team)
        _item(agent, at(D(2026, 3, 2 + n), 9), [(at(D(2026, 3, 3 + n), 9), "call_back")])
        _won(agent, at(D(2026, 3, 2 + n), 12), "100")
        _points(agent, at(D(2026, 3, 2 + n), 12), "1")
    assert few == (few[0], 3) and build() == (few[0], 10)
