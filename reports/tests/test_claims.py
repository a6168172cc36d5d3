"""The claims view against a small hand-built book whose answers are written here. Times are
counted back from now (the period runs from 60 days ago to 30 days ahead)."""

import datetime
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from openpyxl import load_workbook

from brokerage.accounts.tests.factories import UserFactory
from claims.models import ClaimKind, ClaimStatus, ClaimStatusChange
from claims.tests.factories import ClaimFactory
from policies.models import Currency, Line
from policies.tests.factories import InsurerFactory

from .collection_factories import policy_of

pytestmark = pytest.mark.django_db

URL = "/reports/claims/"
LIST = "/reports/claims/list/"
NOW = timezone.now().replace(microsecond=0)
M = datetime.timedelta(minutes=1)
D = datetime.timedelta(days=1)


def period(**params) -> dict:
    today = timezone.localdate()
    return {"start": (today - 60 * D).isoformat(), "end": (today + 30 * D).isoformat(),
            **params}  # fmt: skip


def claim(policy, days_ago, contact_min=None, *, status=ClaimStatus.FIRST_CONTACT,
          claimed=None, settled=None, settled_days_ago=None, escalated=False,
          kind=ClaimKind.COLLISION):  # fmt: skip
    """A claim reported ``days_ago`` days ago, first contacted ``contact_min`` minutes later
    (None: not yet), settled ``settled_days_ago`` days ago (a status change to Settled)."""
    reported = NOW - days_ago * D
    c = ClaimFactory(
        policy=policy, reported_at=reported, status=status, status_changed_at=reported,
        kind=kind, currency=policy.currency,
        amount_claimed=Decimal(claimed) if claimed else None,
        amount_settled=Decimal(settled) if settled else None,
        first_contact_at=reported + contact_min * M if contact_min is not None else None,
        escalated_at=reported + 10 * M if escalated else None,
    )  # fmt: skip
    if settled_days_ago is not None:
        ClaimStatusChange.objects.create(claim=c, status=ClaimStatus.SETTLED,
                                         at=NOW - settled_days_ago * D)  # fmt: skip
    return c


@pytest.fixture
def book(teams):
    ana, beto, carla = teams.ana, teams.beto, teams.carla
    gnp, axa = InsurerFactory(name="GNP"), InsurerFactory(name="AXA")
    a1 = policy_of(ana, insurer=gnp)
    c = {
        "c1": claim(a1, 10, 4, status=ClaimStatus.SETTLED, claimed="10000.00", settled="8000.00",
                    settled_days_ago=5),
        "c2": claim(a1, 3, 20, status=ClaimStatus.IN_ASSESSMENT, claimed="5000.00",
                    escalated=True),
        "c3": claim(a1, 0.04, None, status=ClaimStatus.REPORTED, escalated=True),
        "c4": claim(a1, 45, 6, status=ClaimStatus.WITH_INSURER, claimed="2000.00",
                    kind=ClaimKind.THEFT),
        "c8": claim(a1, 100, 3, status=ClaimStatus.IN_REPAIR, claimed="900.00"),  # before
        "c9": claim(a1, 30, 1, status=ClaimStatus.WITHDRAWN, claimed="1000.00"),
    }  # fmt: skip
    b1 = policy_of(beto, insurer=axa, line=Line.HEALTH)
    c["c5"] = claim(b1, 20, 8, status=ClaimStatus.CLOSED, claimed="3000.00", settled="3000.00",
                    settled_days_ago=2, kind=ClaimKind.GLASS)  # fmt: skip
    dollars = policy_of(beto, insurer=axa, currency=Currency.USD)
    c["c6"] = claim(dollars, 15, 2, status=ClaimStatus.SETTLED, claimed="700.00",
                    settled="500.00", settled_days_ago=1)  # fmt: skip
    c["c7"] = claim(policy_of(carla, insurer=gnp), 5, 30, claimed="50000.00")  # another team
    return {"teams": teams, "gnp": gnp, "axa": axa, "ana": ana, "beto": beto, **c,
            "admin": UserFactory(roles=["admin"])}  # fmt: skip


def _tables(client, **params):
    response = client.get(URL, period(**params))
    assert response.status_code == 200
    return {t.slug: t for t in response.context["tables"]}


def _rows(table, *names):
    return ([(r.label, *(r.values[n] for n in names)) for r in table.rows],
            tuple(table.totals.values[n] for n in names))  # fmt: skip


def _listed(client, url) -> set:
    response = client.get(url)
    assert response.status_code == 200
    return {claim.pk for claim in response.context["page"].object_list}


def test_first_contact_within_10_minutes_its_median_and_the_escalations(client, book):
    client.force_login(book["teams"].manager)
    rows, totals = _rows(_tables(client)["claims-contact"], "reported", "in_time",
                         "in_time_rate", "late", "waiting", "escalated", "median_contact",
                         "claimed")  # fmt: skip
    assert rows == [
        ("AXA", 2, 2, Decimal("100.0"), 0, 0, 0, Decimal("5.0"), Decimal("3000.00")),
        ("GNP", 5, 3, Decimal("60.0"), 1, 1, 2, Decimal("5.0"), Decimal("18000.00")),
    ]
    # The median of the whole (1, 2, 4, 6, 8, 20 minutes), not of the groups' medians.
    assert totals == (7, 5, Decimal("71.4"), 1, 1, 2, Decimal("5.0"), Decimal("21000.00"))


def test_open_claims_by_status_and_by_age(client, book):
    client.force_login(book["teams"].manager)
    tables = _tables(client)
    status = tables["claims-status"].totals.values
    assert (
        status["reported"],
        status["in_assessment"],
        status["with_insurer"],
        status["in_repair"],
        status["settled"],
        status["open"],
    ) == (1, 1, 1, 1, 2, 6)
    assert "withdrawn" not in status and "closed" not in status
    ages = tables["claims-age"].totals.values
    assert (ages["a0_7"], ages["a8_30"], ages["a31_90"], ages["a91"]) == (2, 2, 1, 1)


def test_settlements_median_cycle_and_amounts_never_mixing_currencies(client, book):
    client.force_login(book["teams"].manager)
    table = _tables(client)["claims-settled"]
    rows, totals = _rows(table, "settled", "median_cycle", "claimed", "paid", "paid_rate")
    assert rows == [
        ("AXA", 2, Decimal("16.0"), Decimal("3000.00"), Decimal("3000.00"), Decimal("100.0")),
        ("GNP", 1, Decimal("5.0"), Decimal("10000.00"), Decimal("8000.00"), Decimal("80.0")),
    ]
    assert totals == (3, Decimal("14.0"), Decimal("13000.00"), Decimal("11000.00"),
                      Decimal("84.6"))  # fmt: skip
    dollars = _tables(client, currency="USD")["claims-settled"].totals.values
    assert (dollars["claimed"], dollars["paid"]) == (Decimal("700.00"), Decimal("500.00"))
    assert table.columns[2].label.endswith("(MXN)")


def test_it_groups_by_line_type_agent_and_team_and_filters_by_type(client, book):
    client.force_login(book["teams"].manager)
    by_kind = _tables(client, by="kind")["claims-contact"]
    assert [(r.label, r.values["reported"]) for r in by_kind.rows] == [
        ("Collision", 5), ("Glass", 1), ("Theft", 1)]  # fmt: skip
    by_agent = _tables(client, by="agent")["claims-contact"]
    assert [(r.label, r.values["reported"]) for r in by_agent.rows] == [
        ("Ana Ruiz", 5), ("Beto Soto", 2)]  # fmt: skip
    by_team = _tables(client, by="team")["claims-contact"]
    assert [(r.label, r.values["reported"]) for r in by_team.rows] == [("Norte", 7)]
    by_line = _tables(client, by="line")["claims-contact"]
    assert [r.values["reported"] for r in by_line.rows] == [6, 1]
    theft = _tables(client, kind=ClaimKind.THEFT)["claims-contact"]
    assert theft.totals.values["reported"] == 1
    insurer = _tables(client, insurer=book["axa"].pk)["claims-contact"]
    assert insurer.totals.values["reported"] == 2


def test_a_manager_sees_their_team_only_and_an_admin_everything(client, book):
    client.force_login(book["teams"].other_manager)
    assert _tables(client)["claims-contact"].totals.values["reported"] == 1
    client.force_login(book["admin"])
    assert _tables(client)["claims-contact"].totals.values["reported"] == 8


def test_agents_cannot_open_the_view_nor_its_lists(client, book):
    client.force_login(book["ana"])
    assert client.get(URL, period()).status_code == 403
    assert client.get(LIST, period(show="reported")).status_code == 403


def test_each_figure_opens_the_claims_it_counts(client, book):
    client.force_login(book["teams"].manager)
    tables = _tables(client)
    c = {k: v.pk for k, v in book.items() if k.startswith("c") and hasattr(v, "pk")}
    contact = tables["claims-contact"].totals.links
    assert _listed(client, contact["in_time"]) == {c["c1"], c["c4"], c["c5"], c["c6"], c["c9"]}
    assert _listed(client, contact["escalated"]) == {c["c2"], c["c3"]}
    assert _listed(client, contact["waiting"]) == {c["c3"]}
    assert _listed(client, tables["claims-age"].totals.links["a91"]) == {c["c8"]}
    assert _listed(client, tables["claims-status"].totals.links["settled"]) == {c["c1"], c["c6"]}
    settled = tables["claims-settled"]
    assert _listed(client, settled.totals.links["settled"]) == {c["c1"], c["c5"], c["c6"]}
    axa = next(r for r in settled.rows if r.label == "AXA")
    assert _listed(client, axa.links["settled"]) == {c["c5"], c["c6"]}
    theft = _tables(client, by="kind")["claims-contact"]
    row = next(r for r in theft.rows if r.label == "Theft")
    assert _listed(client, row.links["reported"]) == {c["c4"]}


@pytest.mark.parametrize(
    "params, message",
    [({"kind": "meteor"}, "claim type"), ({"by": "planet"}, "Unknown grouping"),
     ({"start": "2026-13-40"}, "is not a date")],
)  # fmt: skip
def test_bad_filters_get_a_message_never_a_500(client, book, params, message):
    client.force_login(book["teams"].manager)
    response = client.get(URL, {**period(), **params})
    assert response.status_code == 200 and message in response.content.decode()
    listed = client.get(LIST, {**period(), "show": "nothing", "age": "old", **params})
    assert listed.status_code == 200 and "not understood" in listed.content.decode()


def test_the_xlsx_export_holds_every_table(client, book):
    client.force_login(book["teams"].manager)
    response = client.get(URL, period(export="xlsx"))
    assert response.status_code == 200
    workbook = load_workbook(
        io.BytesIO(b"".join(response.streaming_content) if response.streaming else response.content)
    )
    assert len(workbook.sheetnames) == 8
    contact = workbook[workbook.sheetnames[0]]
    values = [[cell.value for cell in row] for row in contact.iter_rows()]
    assert values[1][:3] == ["AXA", 2, 2] and values[-1][:3] == ["Total", 7, 5]


def test_it_runs_a_fixed_number_of_queries(client, book, django_assert_max_num_queries):
    client.force_login(book["teams"].manager)
    with django_assert_max_num_queries(30) as few:
        client.get(URL, period())
    for n in range(12):
        agent = book["ana"] if n % 2 else book["beto"]
        policy = policy_of(agent, insurer=InsurerFactory(), line=Line.HEALTH)
        claim(policy, n * 9, n, status=ClaimStatus.SETTLED, claimed="100.00", settled="90.00",
              settled_days_ago=n, escalated=n % 3 == 0)  # fmt: skip
    for by in ("insurer", "line", "kind", "agent", "team"):
        with django_assert_max_num_queries(len(few)):
            client.get(URL, period(by=by))
    # 12, and the reports' read transaction's three (savepoint, planner settings, release).
    with django_assert_max_num_queries(15) as listed:
        client.get(LIST, period(show="reported"))
    for show in ("in_time", "open", "settled", "escalated"):
        with django_assert_max_num_queries(len(listed)):
            client.get(LIST, period(show=show))


def test_the_charts_give_each_series_its_own_colour_and_counts_whole_ticks(client, book):
    """The chart script's palette has a colour for every series of every claims chart (the open
    statuses draw ten), and a chart of counts asks for whole-number ticks."""
    script = (Path(settings.BASE_DIR) / "static" / "cartera" / "reports.js").read_text()
    palette = re.findall(r'"(#[0-9a-f]{6})"', script.split("var palette", 1)[1].split("];")[0])
    assert len(set(palette)) == len(palette)
    client.force_login(book["teams"].manager)
    for slug, table in _tables(client).items():
        chart = table.chart_data()
        if chart is None:
            continue
        assert len(chart["datasets"]) <= len(palette), slug
    status = _tables(client)["claims-status"].chart_data()
    assert len(status["datasets"]) == 10
    assert all(d["integer"] and not d["percent"] for d in status["datasets"])
    contact = _tables(client)["claims-contact"].chart_data()
    assert not any(d["integer"] for d in contact["datasets"])
