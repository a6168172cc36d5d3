"""Issue 14: an import's committed chunks are followed up (renewal cases, their touches,
instalments) on a second connection while the next chunks are written, and a chunk that renews
or reassigns an earlier chunk's policies waits for the follow-up under way
(policies.services.policy_followers_lock): the end state is the one of doing it all after the
last chunk."""

import datetime
import threading
import time
from decimal import Decimal

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from billing.models import Instalment
from billing.services import instalments_plan_missing
from brokerage.accounts.tests.factories import UserFactory
from clients.tests.factories import ClientFactory
from imports import expiry, services
from imports.services import commit, job_create
from imports.tests.conftest import HEADER, row, workbook
from policies.models import Policy, PolicyStatus
from policies.services import FOLLOWERS_LOCK
from policies.tests.factories import PolicyFactory
from renewals.jobs import renewals_open_for
from renewals.kind import RENEWAL_KIND
from renewals.models import CaseStatus, RenewalCase
from workqueue.models import ItemStatus, WorkItem


def _today():
    return timezone.localdate()


def _text(day: datetime.date) -> str:
    return day.strftime("%d/%m/%Y")


def _in_thread(work):
    """Run ``work`` in a thread on its own connection; (thread, outcome dict)."""
    outcome = {}

    def run():
        try:
            outcome["result"] = work()
        except BaseException as exc:  # noqa: BLE001 - asserted by the test
            outcome["error"] = exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def _waiting_for_followers_lock(timeout=5.0) -> bool:
    """True once another backend waits for the followers' advisory lock."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                " AND objid = %s",
                [FOLLOWERS_LOCK],
            )
            if cursor.fetchone()[0]:
                return True
        time.sleep(0.02)
    return False


# --- the pieces ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_renewals_open_for_opens_only_the_given_policies_cases_and_their_touches(ladder):
    soon = [PolicyFactory(end_date=_today() + datetime.timedelta(days=n)) for n in (10, 20)]
    other = PolicyFactory(end_date=_today() + datetime.timedelta(days=12))
    report = renewals_open_for([p.pk for p in soon])
    assert report.cases_opened == 2
    assert set(RenewalCase.objects.values_list("policy_id", flat=True)) == {p.pk for p in soon}
    touched = set(WorkItem.objects.filter(kind=RENEWAL_KIND).values_list("subject_id", flat=True))
    assert touched == set(RenewalCase.objects.values_list("pk", flat=True))
    assert report.total_items == len(touched) == 2
    again = renewals_open_for([p.pk for p in soon] + [other.pk])
    assert again.cases_opened == 1 and again.total_items == 1  # only the new one
    assert WorkItem.objects.filter(kind=RENEWAL_KIND).count() == 3


@pytest.mark.django_db(transaction=True)
def test_a_chunks_follow_up_is_one_transaction_holding_the_followers_lock_throughout(
    ladder, monkeypatch
):
    """Between the cases (and touches) and the instalments, another backend sees neither the
    cases nor a free followers' lock: a chunk renewing or reassigning these policies waits for
    all of it. An error in the instalments takes the cases back with them."""
    import renewals.tasks as tasks

    soon = [PolicyFactory(end_date=_today() + datetime.timedelta(days=n)) for n in (10, 20)]
    ids = [p.pk for p in soon]
    Instalment.objects.filter(policy_id__in=ids).delete()
    seen = {}

    def plan_seen_from_another_backend(**kwargs):
        def look():
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM renewals_renewalcase")
                cases = cursor.fetchone()[0]
                cursor.execute("SELECT pg_try_advisory_lock(%s)", [FOLLOWERS_LOCK])
                free = cursor.fetchone()[0]
                if free:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [FOLLOWERS_LOCK])
            return cases, free

        thread, outcome = _in_thread(look)
        thread.join(10)
        seen["cases"], seen["lock free"] = outcome["result"]
        if seen.get("fail"):
            raise RuntimeError("the plan failed")
        return instalments_plan_missing(**kwargs)

    monkeypatch.setattr(tasks, "instalments_plan_missing", plan_seen_from_another_backend)
    result = tasks.renewals_follow_imported(ids)
    assert seen == {"cases": 0, "lock free": False}
    assert result["cases_opened"] == 2 and result["items_created"] == 2
    assert RenewalCase.objects.filter(policy_id__in=ids).count() == 2
    assert Instalment.objects.filter(policy_id__in=ids).exists()

    later = PolicyFactory(end_date=_today() + datetime.timedelta(days=15))
    seen["fail"] = True
    with pytest.raises(RuntimeError):
        tasks.renewals_follow_imported([later.pk])
    assert not RenewalCase.objects.filter(policy=later).exists()
    assert not WorkItem.objects.filter(kind=RENEWAL_KIND, status=ItemStatus.OPEN).exclude(
        subject_id__in=RenewalCase.objects.values("pk")
    ).exists()


@pytest.mark.django_db
def test_renewals_open_for_lapses_the_given_policies_past_their_end_and_their_cases(ladder):
    ended = PolicyFactory(end_date=_today() - datetime.timedelta(days=3))
    other = PolicyFactory(end_date=_today() - datetime.timedelta(days=3))
    report = renewals_open_for([ended.pk])
    assert report.policies_lapsed == 1 and report.cases_opened == 1
    ended.refresh_from_db()
    other.refresh_from_db()
    assert ended.status == PolicyStatus.LAPSED and other.status == PolicyStatus.ACTIVE
    case = RenewalCase.objects.get(policy=ended)
    assert case.status == CaseStatus.LAPSED and case.lapsed_at is not None
    assert ended.history.first().history_change_reason == "lapsed: not renewed by the end date"
    assert not RenewalCase.objects.filter(policy=other).exists()


def _case_writes() -> tuple[int, int]:
    """Rows of the cases' table inserted and updated by this transaction so far."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n_tup_ins, n_tup_upd FROM pg_stat_xact_user_tables"
            " WHERE relname = 'renewals_renewalcase'"
        )
        return cursor.fetchone()


@pytest.mark.django_db
def test_a_lapse_lists_case_opens_lapsed_with_its_last_touch_and_is_not_written_twice(ladder):
    """Alone in its ladder (no open case anywhere), a policy that had already ended gets its
    case lapsed from the start, at its last rung, and its last touch; the case is inserted
    once and never updated."""
    ended = PolicyFactory(end_date=_today() - datetime.timedelta(days=3))
    inserted, updated = _case_writes()
    now = timezone.now()
    report = renewals_open_for([ended.pk], now=now)
    assert _case_writes() == (inserted + 1, updated)
    case = RenewalCase.objects.get(policy=ended)
    assert (case.status, case.lapsed_at) == (CaseStatus.LAPSED, now)
    last = min(case.ladder.rungs, key=lambda r: r["days"])
    assert case.stage == last["stage"]
    [touch] = WorkItem.objects.filter(kind=RENEWAL_KIND, subject_id=case.pk)
    assert (touch.status, touch.key) == (ItemStatus.OPEN, f"rung-{last['days']}")
    assert report.cases_opened == 1 and report.total_items == 1 and report.policies_lapsed == 1


@pytest.mark.django_db
def test_instalments_planned_for_given_policies_leave_the_others_unplanned():
    start = _today()
    chosen = [PolicyFactory(start_date=start, end_date=start + datetime.timedelta(days=365),
                            premium=Decimal("1200.00")) for _ in range(2)]  # fmt: skip
    left = PolicyFactory(start_date=start, end_date=start + datetime.timedelta(days=365))
    Instalment.objects.all().delete()  # the policies' own hooks planned them
    written = instalments_plan_missing(policy_ids=[p.pk for p in chosen])
    planned = set(Instalment.objects.values_list("policy_id", flat=True))
    assert planned == {p.pk for p in chosen} and left.pk not in planned
    assert written == Instalment.objects.count() > 0
    assert instalments_plan_missing(policy_ids=[]) == 0
    # Given again with one more, only that one is planned; the others keep their plan.
    again = instalments_plan_missing(policy_ids=[p.pk for p in chosen] + [left.pk])
    assert again == Instalment.objects.filter(policy=left).count() > 0
    assert Instalment.objects.count() == written + again


# --- the import, chunk by chunk --------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_each_chunk_is_followed_up_beside_the_next_one_and_a_later_renewal_wins_its_case(
    ladder, maint, hdi, monkeypatch
):
    """Three chunks of four, four and three rows; the last row renews a policy of the first
    chunk (same client, same car, the new term starting where the old one ends)."""
    monkeypatch.setattr(services, "CHUNK", 4)
    end = _today() + datetime.timedelta(days=9)
    rows = [
        row(n, **{"Inicio de vigencia": _text(end - datetime.timedelta(days=365)),
                  "Fin de vigencia": _text(end)})
        for n in range(1, 11)
    ]  # fmt: skip
    rows.append(row(11, **{
        "RFC": "PEPC000002AB1", "Asegurado": "Cliente 2 Pérez", "Placas": "ABC0002",
        "Inicio de vigencia": _text(end), "Fin de vigencia": _text(end.replace(year=end.year + 1)),
    }))  # fmt: skip
    followed = []
    follow = expiry.follow

    def watched(policy_ids):
        followed.append((threading.current_thread() is threading.main_thread(), policy_ids))
        follow(policy_ids)

    monkeypatch.setattr(expiry, "follow", watched)
    job, _table = job_create(insurer=hdi, by=maint, name="r.xlsx", data=workbook(rows))
    job = commit(job)
    assert (job.created, job.errors) == (11, 0)
    assert followed and not any(main for main, _ids in followed)  # all of it beside
    assert sorted(pk for _main, ids in followed for pk in ids) == sorted(
        Policy.objects.values_list("pk", flat=True)
    )
    old = Policy.objects.get(number="HDI-00002")
    new = Policy.objects.get(number="HDI-00011")
    assert old.status == PolicyStatus.RENEWED and new.previous_policy_id == old.pk
    # Its case was opened beside before the renewal's chunk (then won), or not yet (then the
    # policy, renewed, enters no ladder): never left open, its touches all closed.
    for case in RenewalCase.objects.filter(policy=old):
        assert case.status == CaseStatus.WON and case.new_policy_id == new.pk
        assert not WorkItem.objects.filter(subject_id=case.pk, status=ItemStatus.OPEN).exists()
    # Every other policy of the report: its case open, its touch queued, its instalments.
    others = Policy.objects.exclude(pk__in=[old.pk, new.pk])
    assert set(RenewalCase.objects.filter(status=CaseStatus.OPEN).values_list(
        "policy_id", flat=True)) == set(others.values_list("pk", flat=True))  # fmt: skip
    open_items = WorkItem.objects.filter(kind=RENEWAL_KIND, status=ItemStatus.OPEN)
    assert set(open_items.values_list("subject_id", flat=True)) == set(
        RenewalCase.objects.filter(status=CaseStatus.OPEN).values_list("pk", flat=True)
    )
    assert set(Instalment.objects.values_list("policy_id", flat=True)) == set(
        Policy.objects.values_list("pk", flat=True)
    )


def _record(n: int, insurer, **over):
    """A parsed report row for ``expiry.classify``."""
    raw = {**dict(zip(HEADER, row(n, **over), strict=True)), **over}  # and "Agente"
    fields = {
        "policy_number": "No. de Póliza", "holder_name": "Asegurado", "tax_id": "RFC",
        "phone": "Teléfono", "start_date": "Inicio de vigencia", "end_date": "Fin de vigencia",
        "premium": "Prima Total", "line": "Ramo", "plate": "Placas", "agent": "Agente",
    }  # fmt: skip
    values = {field: raw.get(header) for field, header in fields.items()}
    context = expiry.ReadContext.of(insurer)
    expiry.prepare_read(context, {"agent": "Agente"} if values["agent"] else {})
    record, issues = expiry.parse_row(n, values, fields, context)
    assert not issues, issues
    return record


def _followed_then_applied(records, insurer, maint, follow_ids):
    """The follow-up of ``follow_ids`` under way (uncommitted) when a chunk of ``records`` is
    applied: the chunk must wait for the follow-up's commit. Returns whether it waited."""
    opened, release = threading.Event(), threading.Event()

    def follow_up():
        with transaction.atomic():
            renewals_open_for(follow_ids)
            instalments_plan_missing(policy_ids=follow_ids)
            opened.set()
            release.wait(10)

    def chunk():
        outcome = expiry.classify(records, insurer)
        with transaction.atomic():
            expiry.apply(outcome, by=maint)

    follower, followed = _in_thread(follow_up)
    assert opened.wait(10)
    writer, written = _in_thread(chunk)
    waited = _waiting_for_followers_lock(timeout=3)
    release.set()
    follower.join(10)
    writer.join(10)
    assert "error" not in followed and "error" not in written, (followed, written)
    return waited


@pytest.mark.django_db(transaction=True)
def test_a_chunk_renewing_a_policy_waits_for_its_follow_up_and_wins_the_case(
    ladder, maint, hdi
):
    end = _today() + datetime.timedelta(days=9)
    holder = ClientFactory(tax_id="PEPC000002AB1", first_name="Cliente", last_name="2 Pérez")
    old = PolicyFactory(insurer=hdi, holder=holder, end_date=end, line="other",
                        start_date=end - datetime.timedelta(days=365))  # fmt: skip
    renewal = _record(7, hdi, **{
        "RFC": "PEPC000002AB1", "Asegurado": "Cliente 2 Pérez", "Ramo": "", "Placas": "",
        "Inicio de vigencia": _text(end), "Fin de vigencia": _text(end.replace(year=end.year + 1)),
    })  # fmt: skip
    waited = _followed_then_applied([renewal], hdi, maint, [old.pk])
    old.refresh_from_db()
    assert old.status == PolicyStatus.RENEWED
    case = RenewalCase.objects.get(policy=old)
    assert case.status == CaseStatus.WON  # not left open on a renewed policy
    assert not WorkItem.objects.filter(subject_id=case.pk, status=ItemStatus.OPEN).exists()
    assert waited


@pytest.mark.django_db(transaction=True)
def test_a_chunk_reassigning_a_client_waits_and_its_touches_and_instalments_follow(
    ladder, maint, hdi
):
    ana = UserFactory(roles=["agent"], username="ana.lopez", first_name="Ana", last_name="López")
    end = _today() + datetime.timedelta(days=9)
    holder = ClientFactory(tax_id="PEPC000003AB1", first_name="Cliente", last_name="3 Pérez",
                           owner=None)  # fmt: skip
    policy = PolicyFactory(insurer=hdi, holder=holder, end_date=end, agent=None,
                           start_date=end - datetime.timedelta(days=365))  # fmt: skip
    Instalment.objects.filter(policy=policy).delete()  # planned by the follow-up below
    again = _record(3, hdi, **{
        "No. de Póliza": policy.number, "RFC": "PEPC000003AB1", "Asegurado": "Cliente 3 Pérez",
        "Agente": "ana.lopez", "Inicio de vigencia": _text(policy.start_date),
        "Fin de vigencia": _text(end),
    })  # fmt: skip
    waited = _followed_then_applied([again], hdi, maint, [policy.pk])
    holder.refresh_from_db()
    assert holder.owner_id == ana.pk
    touches = WorkItem.objects.filter(kind=RENEWAL_KIND, status=ItemStatus.OPEN)
    assert touches.exists() and set(touches.values_list("agent_id", flat=True)) == {ana.pk}
    instalments = Instalment.objects.filter(policy=policy)
    assert instalments.exists() and set(instalments.values_list("agent_id", flat=True)) == {
        ana.pk
    }
    assert waited


@pytest.mark.django_db
def test_a_chunks_follow_up_merges_the_names_it_left_in_the_trigram_pending_list(ladder):
    """The import's chunks leave their new names in the trigram index's pending list (a large
    one); each chunk's follow-up merges them, so that searches never read a long list."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT gin_clean_pending_list('client_name_upper_trgm'::regclass)")
        cursor.execute("SET LOCAL gin_pending_list_limit = '64MB'")
    policies = [PolicyFactory(end_date=_today() + datetime.timedelta(days=12)) for _ in range(3)]
    expiry.follow([p.pk for p in policies])
    with connection.cursor() as cursor:
        cursor.execute("SELECT gin_clean_pending_list('client_name_upper_trgm'::regclass)")
        assert cursor.fetchone()[0] == 0  # nothing left to merge
    assert RenewalCase.objects.filter(policy__in=policies).count() == 3
