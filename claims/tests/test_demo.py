"""seed_demo's claims (claims.demo.seed_claims): a year of claims in every status, each with
the dates of the statuses it reached, the first contact after the report (mostly within 10
minutes, the late ones escalated), settled amounts only on settled and closed claims, history
rows; the same claims for the same seed; and statements that do not grow with the book."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Count, F, Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from brokerage.core import demo as core_demo
from brokerage.core.demo import DemoContext, run_steps
from claims import demo
from claims.models import (
    CONTACT_WITHIN,
    Claim,
    ClaimDocument,
    ClaimStatus,
    ClaimStatusChange,
    DocumentState,
    checklist_for,
)

pytestmark = pytest.mark.django_db


def seed(clients: int = 300, seed: int = 7) -> str:
    out = StringIO()
    call_command("seed_demo", clients=clients, seed=seed, stdout=out)
    return out.getvalue()


def test_a_year_of_claims_in_every_status_each_with_its_dates():
    output = seed()
    assert "claims:" in output
    claims = Claim.objects.all()
    assert set(claims.values_list("status", flat=True)) == set(ClaimStatus.values)
    # Each claim's statuses are dated, the last one is its status since then.
    for claim in claims.prefetch_related("status_changes"):
        changes = list(claim.status_changes.all())
        assert changes[0].status == ClaimStatus.REPORTED and changes[0].at == claim.reported_at
        assert (changes[-1].status, changes[-1].at) == (claim.status, claim.status_changed_at)
        assert [c.at for c in changes] == sorted(c.at for c in changes)
        for before, after in zip(changes, changes[1:], strict=False):
            assert after.status in claim.__class__(status=before.status).allowed_statuses
        if claim.status != ClaimStatus.REPORTED:
            assert changes[1].status == ClaimStatus.FIRST_CONTACT
            assert changes[1].at == claim.first_contact_at
    assert claims.count() == Claim.history.filter(history_type="+").count()


def test_first_contact_is_after_the_report_mostly_in_time_and_the_late_ones_escalated():
    seed()
    contacted = Claim.objects.filter(first_contact_at__isnull=False)
    assert not contacted.filter(first_contact_at__lt=F("reported_at")).exists()
    assert not Claim.objects.exclude(contact_due_at=F("reported_at") + CONTACT_WITHIN).exists()
    late = contacted.filter(first_contact_at__gt=F("contact_due_at"))
    in_time = contacted.count() - late.count()
    assert late.exists() and in_time > 4 * late.count()
    assert not late.filter(escalated_at__isnull=True).exists()
    assert not contacted.filter(first_contact_at__lte=F("contact_due_at"),
                                escalated_at__isnull=False).exists()  # fmt: skip
    waiting = Claim.objects.filter(first_contact_at__isnull=True)
    assert set(waiting.values_list("status", flat=True)) == {ClaimStatus.REPORTED}
    assert waiting.filter(escalated_at__isnull=False).exists()
    assert waiting.filter(escalated_at__isnull=True).exists()


def test_settled_amounts_only_on_settled_and_closed_claims():
    seed()
    settled = Q(status__in=(ClaimStatus.SETTLED, ClaimStatus.CLOSED))
    assert not Claim.objects.filter(~settled, amount_settled__isnull=False).exists()
    assert (
        Claim.objects.filter(status=ClaimStatus.SETTLED, amount_settled__isnull=True).count() == 0
    )
    paid = Claim.objects.filter(amount_settled__isnull=False)
    assert paid.exists() and not paid.filter(amount_settled__gt=F("amount_claimed")).exists()
    assert not paid.filter(settled_by__isnull=True).exists()
    # A closed claim was settled unless it was denied.
    denied = ClaimStatusChange.objects.filter(status=ClaimStatus.DENIED).values("claim_id")
    closed = Claim.objects.filter(status=ClaimStatus.CLOSED)
    assert not closed.exclude(pk__in=denied).filter(amount_settled__isnull=True).exists()
    assert not closed.filter(pk__in=denied, amount_settled__isnull=False).exists()
    assert not Claim.objects.filter(amount_claimed__isnull=True).exists()
    assert not Claim.objects.exclude(currency=F("policy__currency")).exists()


def test_claims_are_reported_while_their_policy_is_in_force():
    seed()
    for claim in Claim.objects.select_related("policy"):
        day = timezone.localdate(claim.reported_at)
        assert claim.policy.start_date <= day <= claim.policy.end_date


def _snapshot():
    return sorted(
        Claim.objects.annotate(changes=Count("status_changes")).values_list(
            "policy__number", "kind", "status", "reported_at", "first_contact_at",
            "amount_claimed", "amount_settled", "changes",
        )
    )  # fmt: skip


def test_the_same_seed_gives_the_same_claims(monkeypatch):
    def build(seed_value):
        with transaction.atomic():
            run_steps(DemoContext(clients=120, seed=seed_value, write=lambda line: None))
            snapshot = _snapshot()
            transaction.set_rollback(True)
        return snapshot

    first = build(5)
    assert first and build(5) == first
    assert build(6) != first


def test_a_second_run_adds_nothing():
    seed(clients=60)
    count = Claim.objects.count()
    out = StringIO()
    demo.seed_claims(DemoContext(clients=60, seed=7, write=out.write))
    assert "already has claims" in out.getvalue() and Claim.objects.count() == count


def queries_for(clients: int, monkeypatch) -> tuple[int, int]:
    steps = [s for s in core_demo.STEPS if s != "claims.demo.seed_claims"]
    monkeypatch.setattr(core_demo, "STEPS", steps)
    with transaction.atomic():
        ctx = DemoContext(clients=clients, seed=2, write=lambda line: None)
        run_steps(ctx)
        with CaptureQueriesContext(connection) as queries:
            demo.seed_claims(ctx)
        claims = Claim.objects.count()
        transaction.set_rollback(True)
    return len(queries.captured_queries), claims


def test_the_step_runs_a_fixed_number_of_statements_whatever_the_size(monkeypatch):
    small, small_claims = queries_for(40, monkeypatch)
    large, large_claims = queries_for(400, monkeypatch)
    assert 0 < small_claims < large_claims / 3
    assert small == large


def test_the_checklist_is_complete_once_a_claim_reached_documents_complete():
    seed()
    complete = Claim.objects.filter(status_changes__status=ClaimStatus.DOCUMENTS_COMPLETE)
    assert complete.exists()
    for claim in complete.prefetch_related("documents"):
        received = {d.item for d in claim.documents.all() if d.state == DocumentState.RECEIVED}
        assert received == set(checklist_for(claim.kind, claim.injured)), claim.pk
    # Some contacted claims still miss documents (to request), none before the first contact.
    waiting = Claim.objects.exclude(status_changes__status=ClaimStatus.DOCUMENTS_COMPLETE)
    assert not ClaimDocument.objects.filter(claim__first_contact_at=None).exists()
    assert waiting.filter(first_contact_at__isnull=False).exists()
    assert ClaimDocument.objects.filter(claim__in=waiting).exists()
    assert ClaimDocument.history.count() == ClaimDocument.objects.count()
