"""The renewal cases counted per day (reports.models.RenewalDay): kept by the database in step
with every writer of the cases, rebuilt for a range by a command, and read by the renewal-rate
and lost-renewals dashboards for the whole book with the same figures the cases give."""

import dataclasses
import datetime
import threading
import time
from contextlib import contextmanager
from decimal import Decimal
from io import StringIO
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.models import Case, Count, DecimalField, F, Sum, Value, When
from django.db.models.functions import Coalesce
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from brokerage.accounts.tests.factories import UserFactory
from clients.services import client_book_reassign, client_merge
from clients.tests.factories import ClientFactory
from policies.models import Policy
from policies.tests.factories import InsurerFactory, PolicyFactory
from renewals.jobs import renewals_morning_job
from renewals.models import CaseStatus, CompetitorWhy, LostReason, RenewalCase
from renewals.services import renewal_defaults, renewal_lose, renewal_renew
from renewals.tests.factories import RenewalCaseFactory
from reports import lost, pipeline, renewal_rate
from reports.filters import GROUPINGS, ReportFilters
from reports.models import (
    MONTH_KEYS,
    OPEN_KEYS,
    ROLLUP_KEYS,
    RenewalDay,
    RenewalMonth,
    RenewalOpenDay,
)

pytestmark = pytest.mark.django_db

D = datetime.date
BASE = D(2026, 1, 20)
KEYS = tuple(f"{k}_id" if k in ("agent", "insurer", "lost_to") else k for k in ROLLUP_KEYS)
MONTH_FIELDS = tuple(f"{k}_id" if k in ("agent", "lost_to") else k for k in MONTH_KEYS)
OPEN_FIELDS = tuple(f"{k}_id" if k in ("agent", "insurer") else k for k in OPEN_KEYS)


def recount() -> dict:
    """The rollup's rows as the cases give them now (what rebuild_rollups writes)."""
    renewed = Case(
        When(renewed_currency=F("currency"), then=Coalesce("renewed_premium", Decimal("0"))),
        default=Value(Decimal("0")), output_field=DecimalField(),
    )  # fmt: skip
    rows = (
        RenewalCase.objects.exclude(status=CaseStatus.CANCELLED)
        .values("end_date", *KEYS)
        .annotate(cases=Count("pk"), last=Sum("last_premium"), renewed=Sum(renewed))
        .order_by()
    )
    return {
        (r["end_date"], *(r[k] for k in KEYS)): (r["cases"], r["last"], r["renewed"]) for r in rows
    }


def rolled_up() -> dict:
    """The rollup's rows that count something (a key whose cases all left keeps a row of
    zeros, which no report reads)."""
    return {
        (r.day, *(getattr(r, k) for k in KEYS)): (r.cases, r.last_premium, r.renewed_premium)
        for r in RenewalDay.objects.all()
        if r.cases or r.last_premium or r.renewed_premium
    }


def open_recount() -> dict:
    """The open cases' rollup's rows as the cases give them now."""
    rows = (
        RenewalCase.objects.filter(status=CaseStatus.OPEN)
        .values("end_date", *OPEN_FIELDS)
        .annotate(cases=Count("pk"), at_stake=Sum(Coalesce("quoted_premium", "last_premium")))
        .order_by()
    )
    return {(r["end_date"], *(r[k] for k in OPEN_FIELDS)): (r["cases"], r["at_stake"])
            for r in rows}  # fmt: skip


def open_rolled_up() -> dict:
    return {
        (r.day, *(getattr(r, k) for k in OPEN_FIELDS)): (r.cases, r.at_stake)
        for r in RenewalOpenDay.objects.all()
        if r.cases or r.at_stake
    }


def month_recount() -> dict:
    """RenewalMonth's rows as the cases give them: RenewalDay's recount per month, without
    the insurer and the line."""
    months: dict = {}
    for (day, *keys), figures in recount().items():
        key = (day.replace(day=1), *(k for name, k in zip(KEYS, keys, strict=True)
                                     if name not in ("insurer_id", "line")))  # fmt: skip
        old = months.get(key, (0, Decimal("0"), Decimal("0")))
        months[key] = tuple(a + b for a, b in zip(old, figures, strict=True))
    return months


def month_rolled_up() -> dict:
    return {
        (r.day, *(getattr(r, k) for k in MONTH_FIELDS)): (r.cases, r.last_premium,
                                                          r.renewed_premium)
        for r in RenewalMonth.objects.all()
        if r.cases or r.last_premium or r.renewed_premium
    }  # fmt: skip


def assert_in_step():
    assert rolled_up() == recount()
    assert month_rolled_up() == month_recount()
    assert open_rolled_up() == open_recount()


# -- each writer of the cases keeps the rollup in step ------------------------------------


@pytest.fixture
def agent(teams):
    return teams.ana


def _open_case(agent, *, end=None, premium="1000.00", **fields):
    end = end or timezone.localdate() + datetime.timedelta(days=20)
    policy = PolicyFactory(
        holder=ClientFactory(owner=agent), agent=agent, premium=Decimal(premium), end_date=end,
        start_date=end - datetime.timedelta(days=365), **fields,
    )  # fmt: skip
    return RenewalCaseFactory(policy=policy)


def test_it_counts_a_case_opened_and_moves_it_when_it_is_lost(agent):
    case = _open_case(agent, currency="MXN")
    policy = case.policy
    assert rolled_up() == {
        (case.end_date, agent.pk, policy.insurer_id, "auto", "MXN", "open", "", None, ""): (
            1, Decimal("1000.00"), Decimal("0"),
        )
    }  # fmt: skip
    rival = InsurerFactory()
    renewal_lose(case=case, by=agent, reason=LostReason.RENEWED_ELSEWHERE, lost_to=rival,
                 lost_why=CompetitorWhy.PRICE)  # fmt: skip
    rows = rolled_up()
    assert list(rows) == [
        (case.end_date, agent.pk, policy.insurer_id, "auto", "MXN", "lost",
         "renewed_elsewhere", rival.pk, "price"),
    ]  # fmt: skip
    assert_in_step()


def test_a_renewal_counts_the_new_policys_premium_and_follows_its_edits(agent):
    case = _open_case(agent)
    data = renewal_defaults(case=case)
    data["premium"] = Decimal("1300.00")
    new = renewal_renew(case=case, by=agent, number="NEW-1", **data)
    assert [v for k, v in rolled_up().items() if k[5] == "won"] == [
        (1, Decimal("1000.00"), Decimal("1300.00"))
    ]
    # The new policy's premium edited (the policies' trigger carries it into the case).
    Policy.objects.filter(pk=new.pk).update(premium=Decimal("1250.00"))
    assert [v[2] for k, v in rolled_up().items() if k[5] == "won"] == [Decimal("1250.00")]
    # Renewed in another currency: the case's own currency's figures have no renewed premium.
    Policy.objects.filter(pk=new.pk).update(currency="USD")
    assert [v[2] for k, v in rolled_up().items() if k[5] == "won"] == [Decimal("0")]
    assert_in_step()


def test_the_morning_job_counts_the_cases_it_opens_and_lapses(agent):
    today = timezone.localdate()
    PolicyFactory(holder=ClientFactory(owner=agent), agent=agent,
                  end_date=today + datetime.timedelta(days=10))  # fmt: skip
    ended = _open_case(agent, end=today - datetime.timedelta(days=3))
    renewals_morning_job(day=today)
    assert RenewalCase.objects.get(pk=ended.pk).status == CaseStatus.LAPSED
    statuses = sorted((k[5], v[0]) for k, v in rolled_up().items())
    assert statuses == [("lapsed", 1), ("open", 1)]
    assert_in_step()


def test_a_book_reassigned_moves_its_cases_to_the_new_agents_figures(teams):
    departing, receiver = teams.ana, teams.beto
    cases = [_open_case(departing) for _ in range(3)]
    client_book_reassign(from_agent=departing, to_agents=[receiver], by=teams.manager,
                         notify=False)  # fmt: skip
    assert {c.agent_id for c in RenewalCase.objects.filter(pk__in=[c.pk for c in cases])} == {
        receiver.pk
    }
    assert {k[1] for k in rolled_up()} == {receiver.pk}
    assert sum(v[0] for v in rolled_up().values()) == 3
    assert_in_step()


def test_a_merge_and_a_deletion_keep_it_in_step(agent):
    case = _open_case(agent)
    other = _open_case(agent, premium="500.00")
    maintainer = UserFactory(roles=["maintainer"])
    client_merge(survivor=case.policy.holder, merged=other.policy.holder, by=maintainer)
    assert_in_step()
    RenewalCase.objects.filter(pk=other.pk).delete()
    assert sum(v[0] for v in rolled_up().values()) == 1
    assert_in_step()


def test_a_cancelled_case_is_not_counted(agent):
    case = _open_case(agent)
    RenewalCase.objects.filter(pk=case.pk).update(status=CaseStatus.CANCELLED)
    assert rolled_up() == {}
    assert_in_step()


def test_a_policy_edited_in_bulk_moves_its_case(agent):
    """Imports update policies in bulk: the case follows its policy (renewals' trigger) and the
    rollup follows the case."""
    case = _open_case(agent)
    other_insurer = InsurerFactory()
    Policy.objects.filter(pk=case.policy_id).update(insurer=other_insurer, line="health")
    assert [(k[2], k[3]) for k in rolled_up()] == [(other_insurer.pk, "health")]
    assert_in_step()


@pytest.mark.django_db(transaction=True)
def test_two_transactions_changing_one_key_at_once_both_count(teams):
    """Each transaction adds its own change to the row it shares with the other (the second
    waits for the first's lock, then adds to what it committed): neither is lost."""
    insurer = InsurerFactory()
    end = D(2026, 6, 1)
    cases = [_open_case(teams.ana, end=end, insurer=insurer) for _ in range(2)]
    start = threading.Barrier(2)
    errors = []

    def lose(case):
        try:
            start.wait(timeout=10)
            with transaction.atomic():
                RenewalCase.objects.filter(pk=case.pk).update(
                    status=CaseStatus.LOST, outcome_reason=LostReason.PRICE
                )
                time.sleep(0.2)  # the other transaction's trigger meets this one's lock
        except Exception as exc:  # noqa: BLE001 - a thread's error is asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=lose, args=(case,)) for case in cases]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert errors == []
    assert [(k[5], v[0]) for k, v in rolled_up().items()] == [("lost", 2)]
    assert_in_step()


# -- rebuild_rollups ------------------------------------------------------------------------


def test_the_command_rebuilds_a_range_from_the_cases(agent):
    _open_case(agent, end=D(2026, 3, 10))
    _open_case(agent, end=D(2026, 3, 31), premium="300.00")
    _open_case(agent, end=D(2026, 4, 2), premium="700.00")
    before = rolled_up()
    # Rows gone wrong (a restore, a hand edit): March's lost, April's doubled.
    RenewalDay.objects.filter(day__month=3).delete()
    RenewalOpenDay.objects.filter(day__month=3).delete()
    RenewalMonth.objects.filter(day=D(2026, 3, 1)).delete()
    RenewalDay.objects.filter(day=D(2026, 4, 2)).update(cases=2)
    out = StringIO()
    call_command("rebuild_rollups", "--from", "2026-03-01", "--to", "2026-03-31", stdout=out)
    assert "rollup rebuilt from 2026-03-01 to 2026-03-31: 5 rows" in out.getvalue()
    assert sorted(k[0] for k in rolled_up()) == [D(2026, 3, 10), D(2026, 3, 31), D(2026, 4, 2)]
    assert RenewalDay.objects.get(day=D(2026, 4, 2)).cases == 2  # outside the range: untouched
    call_command("rebuild_rollups", stdout=StringIO())
    assert rolled_up() == before == recount()
    assert month_rolled_up() == month_recount()
    assert open_rolled_up() == open_recount()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--from", "2026-13-01", "--to", "2026-12-31"], "--from must be YYYY-MM-DD"),
        (["--from", "2026-03-01", "--to", "2026-02-01"], "--to is before --from"),
        (["--from", "2026-03-01"], "Give both --from and --to"),
    ],
)
def test_the_command_says_what_is_wrong_with_its_dates(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("rebuild_rollups", *args, stdout=StringIO())


# -- the dashboards read it and answer as the cases do --------------------------------------


@contextmanager
def _live():
    """The reports made to read the cases even for the whole book."""
    with (
        mock.patch.object(renewal_rate, "rollup_applies", return_value=False),
        mock.patch.object(lost, "rollup_applies", return_value=False),
        mock.patch.object(pipeline, "rollup_applies", return_value=False),
    ):
        yield


def _both(compute):
    rollup = compute()
    with _live():
        live = compute()
    return rollup, live


@pytest.mark.parametrize("url", ["/reports/renewals/", "/reports/lost/", "/reports/pipeline/"])
def test_the_whole_book_reads_the_rollup_in_no_more_queries_than_the_cases_took(
    client, teams, url, django_assert_max_num_queries
):
    def add_cases():
        for end in (D(2026, 2, 1), D(2026, 5, 3), D(2025, 2, 1)):
            for agent in (teams.ana, teams.carla):
                case = _open_case(agent, end=end)
                renewal_lose(case=case, by=agent, reason=LostReason.PRICE)
                _open_case(agent, end=end)

    add_cases()
    client.force_login(UserFactory(roles=["admin"]))
    query = {"start": "2026-01-01", "end": "2026-12-31", "by": "agent"}
    with _live(), CaptureQueriesContext(connection) as live:
        client.get(url, query)
    with CaptureQueriesContext(connection) as read:
        assert client.get(url, query).status_code == 200
    assert len(read) <= len(live)
    assert any("reports_renewal" in q["sql"] for q in read.captured_queries)
    assert not any("reports_renewal" in q["sql"] for q in live.captured_queries)
    add_cases()
    with django_assert_max_num_queries(len(read)):
        client.get(url, query)


STATUSES = [CaseStatus.OPEN, CaseStatus.WON, CaseStatus.LOST, CaseStatus.LAPSED,
            CaseStatus.CANCELLED]  # fmt: skip
case_specs = st.fixed_dictionaries({
    "agent": st.integers(0, 2), "holder": st.integers(0, 3), "insurer": st.integers(0, 1),
    "line": st.sampled_from(["auto", "health"]), "currency": st.sampled_from(["MXN", "USD"]),
    "end": st.integers(0, 70), "year_before": st.booleans(),
    "last": st.integers(1, 50_000), "status": st.sampled_from(STATUSES),
    "reason": st.sampled_from(["", *LostReason.values[:3]]),
    "lost_to": st.sampled_from([None, 0, 1]), "why": st.sampled_from(["", "price", "cover"]),
    "stage": st.sampled_from(["", "reminder", "negotiation"]),
    "grade": st.sampled_from(["", "A", "C"]), "quoted": st.one_of(st.none(), st.integers(1, 9999)),
    "renewed": st.one_of(st.none(), st.tuples(st.integers(1, 50_000),
                                              st.sampled_from(["MXN", "USD"]))),
})  # fmt: skip
changes = st.lists(
    st.tuples(st.sampled_from(["agent", "status", "delete", "end", "stage"]), st.integers(0, 20),
              st.integers(0, 70)),
    max_size=4,
)  # fmt: skip
report_filters = st.fixed_dictionaries({
    "by": st.sampled_from(GROUPINGS), "start": st.integers(-10, 60), "length": st.integers(0, 80),
    "team": st.sampled_from([None, "north", "south"]), "agent": st.sampled_from([None, 0, 1, 2]),
    "insurer": st.sampled_from([None, 0, 1]), "line": st.sampled_from(["", "auto", "health"]),
    "currency": st.sampled_from(["MXN", "USD"]), "today": st.integers(-5, 75),
    "pipeline_by": st.sampled_from(["stage", "grade"]),
})  # fmt: skip


@pytest.fixture
def pool(teams):
    agents = [teams.ana, teams.beto, teams.carla]
    return {
        "admin": UserFactory(roles=["admin"]), "agents": agents,
        "teams": {"north": teams.north, "south": teams.south},
        "insurers": [InsurerFactory(), InsurerFactory()],
        "holders": [ClientFactory(owner=agents[i % 3]) for i in range(4)],
    }  # fmt: skip


def _build(pool, specs, edits):
    cases = []
    for spec in specs:
        end = BASE + datetime.timedelta(days=spec["end"] - (365 if spec["year_before"] else 0))
        holder = pool["holders"][spec["holder"]]
        policy = PolicyFactory(
            holder=holder, agent=pool["agents"][spec["agent"]],
            insurer=pool["insurers"][spec["insurer"]], line=spec["line"],
            currency=spec["currency"], premium=Decimal(spec["last"]) / 100, end_date=end,
            start_date=end - datetime.timedelta(days=365),
        )  # fmt: skip
        new = None
        if spec["status"] == CaseStatus.WON and spec["renewed"]:
            premium, currency = spec["renewed"]
            new = PolicyFactory(holder=holder, premium=Decimal(premium) / 100, currency=currency)
        lost_to = spec["lost_to"]
        lost_fields = {
            "outcome_reason": spec["reason"], "lost_why": spec["why"],
            "lost_to": None if lost_to is None else pool["insurers"][lost_to],
        } if spec["status"] == CaseStatus.LOST else {}  # fmt: skip
        quoted = None if spec["quoted"] is None else Decimal(spec["quoted"])
        cases.append(RenewalCaseFactory(
            policy=policy, status=spec["status"], new_policy=new, stage=spec["stage"],
            grade=spec["grade"], quoted_premium=quoted, **lost_fields,
        ))  # fmt: skip
    for what, index, value in edits:
        if not cases:
            break
        case = cases[index % len(cases)]
        if what == "agent":  # a reassignment: the policy's agent changes, the case follows
            Policy.objects.filter(pk=case.policy_id).update(agent=pool["agents"][value % 3])
        elif what == "status":
            RenewalCase.objects.filter(pk=case.pk).update(status=STATUSES[value % 5])
        elif what == "stage":  # the ladder moves on, the case is graded and quoted
            RenewalCase.objects.filter(pk=case.pk).update(
                stage=["reminder", "push", ""][value % 3], grade=["B", "", "D"][value % 3],
                quoted_premium=Decimal(value) if value % 2 else None,
            )  # fmt: skip
        elif what == "delete":
            RenewalCase.objects.filter(pk=case.pk).delete()
        else:  # the policy's end date moved, the case copies it (the morning job's way)
            RenewalCase.objects.filter(pk=case.pk).update(
                end_date=BASE + datetime.timedelta(days=value)
            )


def _filters(pool, f) -> ReportFilters:
    start = BASE + datetime.timedelta(days=f["start"])
    return ReportFilters(
        start=start, end=start + datetime.timedelta(days=f["length"]), by=f["by"],
        team=pool["teams"][f["team"]] if f["team"] else None,
        agent=None if f["agent"] is None else pool["agents"][f["agent"]],
        insurer=None if f["insurer"] is None else pool["insurers"][f["insurer"]],
        line=f["line"], currency=f["currency"],
    )  # fmt: skip


def _rates(figures):
    return [dataclasses.asdict(r) for r in figures["rows"]], dataclasses.asdict(figures["totals"])


def _lost(figures):
    return {**figures, "by_insurer": sorted(figures["by_insurer"], key=repr)}


@settings(
    max_examples=30,
    database=None,  # nothing written to the working tree
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(specs=st.lists(case_specs, max_size=10), edits=changes,
       filters=st.lists(report_filters, min_size=1, max_size=3))  # fmt: skip
def test_the_rollup_gives_the_figures_the_cases_give(pool, specs, edits, filters):
    """Random small books (owners, insurers, lines, currencies, outcomes, end dates a year
    apart), changed afterwards the ways the application changes cases; for random filters the
    whole book's renewal rate and lost renewals read from the rollup equal the same reports
    read from the cases, and the rollup equals its recount."""
    with transaction.atomic():
        _build(pool, specs, edits)
        assert_in_step()
        for f in filters:
            report = _filters(pool, f)
            today = BASE + datetime.timedelta(days=f["today"])
            rollup, live = _both(
                lambda report=report, today=today: renewal_rate.renewal_rates(
                    user=pool["admin"], filters=report, today=today
                )
            )
            assert _rates(rollup) == _rates(live)
            rollup, live = _both(
                lambda report=report: lost.lost_figures(user=pool["admin"], filters=report)
            )
            assert _lost(rollup) == _lost(live)
            staged = dataclasses.replace(report, by=f["pipeline_by"])
            rollup, live = _both(
                lambda staged=staged, today=today: pipeline.pipeline_figures(
                    user=pool["admin"], filters=staged, today=today
                )
            )
            assert rollup == live
        transaction.set_rollback(True)


def test_the_equivalence_test_can_fail(pool):
    """A rollup row gone wrong shows in the comparison the property test makes."""
    _build(pool, [{
        "agent": 0, "holder": 0, "insurer": 0, "line": "auto", "currency": "MXN", "end": 5,
        "year_before": False, "last": 1000, "status": CaseStatus.WON, "reason": "",
        "lost_to": None, "why": "", "renewed": None, "stage": "", "grade": "", "quoted": None,
    }], [])  # fmt: skip
    RenewalDay.objects.update(cases=F("cases") + 1)
    report = ReportFilters(start=BASE, end=BASE + datetime.timedelta(days=30), by="agent",
                           currency="MXN")  # fmt: skip
    rollup, live = _both(
        lambda: renewal_rate.renewal_rates(user=pool["admin"], filters=report, today=BASE)
    )
    assert _rates(rollup) != _rates(live)
    with pytest.raises(AssertionError):
        assert_in_step()
