"""seed_demo's policy service (servicing.demo.seed_servicing, issue 17): parties on the life and
health policies (beneficiaries' shares add up to exactly 100, a few policies with none), service
requests of every type in every status (each status with its dates, the open ones on a call
list or in the maintainers' queue), service cases of every class in every age bucket, some
closed with their outcome; the same rows for the same seed."""

from collections import defaultdict
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from servicing.kind import CASE_KIND, REQUEST_KIND
from servicing.models import (
    SERVICE_LINES,
    CaseClass,
    PartyRole,
    PolicyParty,
    RequestKind,
    RequestStatus,
    ServiceCase,
    ServiceRequest,
)
from servicing.selectors import case_overview
from workqueue.models import ItemStatus, WorkItem

pytestmark = pytest.mark.django_db


def test_the_demo_has_parties_requests_and_cases_of_every_kind():
    from brokerage.accounts.models import User

    out = StringIO()
    call_command("seed_demo", clients=300, seed=7, stdout=out)
    assert "servicing:" in out.getvalue()

    shares = defaultdict(Decimal)
    for policy_id, share in PolicyParty.objects.filter(role=PartyRole.BENEFICIARY).values_list(
        "policy_id", "share"
    ):
        shares[policy_id] += share
    assert shares and set(shares.values()) == {Decimal("100")}
    with_parties = set(PolicyParty.objects.values_list("policy_id", flat=True))
    assert len(with_parties - set(shares)) >= 1  # a life or health policy with no beneficiary
    assert not PolicyParty.objects.exclude(policy__line__in=SERVICE_LINES).exists()

    requests = ServiceRequest.objects.all()
    assert set(requests.values_list("status", flat=True)) == set(RequestStatus.values)
    assert set(requests.values_list("kind", flat=True)) >= set(RequestKind.values) - {
        RequestKind.REINSTATEMENT
    }
    for request in requests:
        assert (request.sent_at is not None) == (request.status != RequestStatus.REQUESTED)
        assert (request.closed_at is not None) == (not request.is_open)
        assert bool(request.rejection_reason) == (request.status == RequestStatus.REJECTED)
    open_ids = set(requests.filter(status__in=("requested", "sent")).values_list("pk", flat=True))
    items = WorkItem.objects.filter(kind=REQUEST_KIND, status=ItemStatus.OPEN)
    assert set(items.values_list("subject_id", flat=True)) == open_ids

    cases = ServiceCase.objects.all()
    assert set(cases.values_list("case_class", flat=True)) == set(CaseClass.values)
    assert cases.filter(closed_at__isnull=False).exists()
    overview = case_overview(user=User.objects.get(username="admin"))
    assert all(total["count"] for total in overview["totals"])
    open_cases = set(cases.filter(closed_at__isnull=True).values_list("pk", flat=True))
    case_items = WorkItem.objects.filter(kind=CASE_KIND, status=ItemStatus.OPEN)
    assert set(case_items.values_list("subject_id", flat=True)) == open_cases

    # Nothing happened in the future, nor before the case or request it belongs to.
    now = timezone.now()
    for case in cases.prefetch_related("service_items", "searches"):
        stamps = [case.list_signed_at, case.closed_at]
        stamps += [row.at for row in case.service_items.all()]
        stamps += [row.tried_at for row in case.searches.all()]
        assert all(case.opened_at <= at <= now for at in stamps if at is not None), case
    for request in requests:
        stamps = [request.requested_at, request.sent_at, request.closed_at]
        assert [at for at in stamps if at is not None] == sorted(a for a in stamps if a)
        assert max(a for a in stamps if a) <= now
