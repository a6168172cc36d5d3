"""A reinstatement request done (复效, rehabilitación: the insurer accepted it) puts the lapsed
policy back in force, in its history with who and when, and closes its lapsed work: the
renewals' lapse follow-up in the maintainers' queue is cancelled and the client's lapsed
service case closes once no life or health policy of theirs is still lapsed. A policy whose
term has ended needs the new end date the insurer set, or the morning job would lapse it
again."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from clients.models import Interaction
from clients.tests.factories import ClientFactory
from policies.models import PolicyStatus
from renewals.jobs import renewals_morning_job
from renewals.kind import LAPSED_KIND
from renewals.models import CaseStatus
from renewals.tests.factories import RenewalCaseFactory
from servicing.kind import CASE_KIND
from servicing.models import CaseClass, CaseOutcome, CaseSource, RequestKind, RequestStatus
from servicing.services import (
    service_cases_open,
    service_request_create,
    service_request_set_status,
)
from servicing.tests.factories import LifePolicyFactory
from workqueue.models import ItemStatus, Queue, WorkItem
from workqueue.services import item_create

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def _lapsed_policy(agent, holder=None, **kwargs):
    return LifePolicyFactory(
        holder=holder or ClientFactory(owner=agent), agent=agent, status=PolicyStatus.LAPSED,
        **kwargs,
    )  # fmt: skip


def _sent_reinstatement(policy, agent):
    request = service_request_create(
        policy=policy, by=agent, kind=RequestKind.REINSTATEMENT,
        due_on=TODAY() + datetime.timedelta(days=10),
    )  # fmt: skip
    return service_request_set_status(request=request, by=agent, status=RequestStatus.SENT)


def _lapse_follow_up(policy):
    """The renewals' lapsed case and its follow-up in the maintainers' queue."""
    case = RenewalCaseFactory(policy=policy, status=CaseStatus.LAPSED,
                              lapsed_at=timezone.now() - datetime.timedelta(days=3),
                              handed_over_at=timezone.now())  # fmt: skip
    item = item_create(kind=LAPSED_KIND, subject_id=case.pk, key="lapsed", title="Lapsed",
                       due_on=TODAY(), queue=Queue.MAINTAINERS)  # fmt: skip
    return case, item


def test_a_done_reinstatement_puts_the_policy_back_in_force_and_closes_its_lapsed_work(agent):
    policy = _lapsed_policy(agent)
    (case,) = service_cases_open(previous={policy.holder_id: None}, source=CaseSource.ORPHAN)
    assert case.case_class == CaseClass.LAPSED
    renewal_case, follow_up = _lapse_follow_up(policy)
    request = _sent_reinstatement(policy, agent)
    before = timezone.now()

    service_request_set_status(request=request, by=agent, status=RequestStatus.DONE)

    policy.refresh_from_db()
    assert policy.status == PolicyStatus.ACTIVE
    last = policy.history.order_by("-history_date", "-history_id").first()
    assert (last.status, last.history_user_id, last.history_type) == ("active", agent.pk, "~")
    assert last.history_date >= before
    assert request.reference in last.history_change_reason
    assert policy.history.filter(status=PolicyStatus.LAPSED).exists()  # the lapse stays told
    # Its lapsed work: the renewals' follow-up cancelled, the lapsed service case closed.
    follow_up.refresh_from_db()
    assert follow_up.status == ItemStatus.CANCELLED
    renewal_case.refresh_from_db()
    assert renewal_case.status == CaseStatus.LAPSED
    case.refresh_from_db()
    assert (case.outcome, case.closed_by_id) == (CaseOutcome.REINSTATEMENT, agent.pk)
    assert request.reference in case.note
    assert not WorkItem.objects.filter(
        kind=CASE_KIND, subject_id=case.pk, status=ItemStatus.OPEN
    ).exists()
    assert Interaction.objects.filter(
        client=policy.holder, message="servicing.reinstated", params__request=request.reference
    ).exists()


def test_the_case_stays_open_while_another_policy_is_still_lapsed(agent):
    holder = ClientFactory(owner=agent)
    first = _lapsed_policy(agent, holder)
    _lapsed_policy(agent, holder)
    (case,) = service_cases_open(previous={holder.pk: None}, source=CaseSource.ORPHAN)
    service_request_set_status(
        request=_sent_reinstatement(first, agent), by=agent, status=RequestStatus.DONE
    )
    first.refresh_from_db()
    case.refresh_from_db()
    assert first.status == PolicyStatus.ACTIVE and case.is_open


def test_a_policy_whose_term_ended_needs_its_new_end_date(agent):
    start = TODAY() - datetime.timedelta(days=400)
    policy = _lapsed_policy(agent, start_date=start, end_date=start + datetime.timedelta(days=365))
    request = _sent_reinstatement(policy, agent)

    with pytest.raises(ValidationError) as excinfo:
        service_request_set_status(request=request, by=agent, status=RequestStatus.DONE)
    assert "end_date" in excinfo.value.message_dict
    request.refresh_from_db()
    policy.refresh_from_db()
    assert (request.status, policy.status) == (RequestStatus.SENT, PolicyStatus.LAPSED)
    with pytest.raises(ValidationError):  # a date already past is no end date
        service_request_set_status(request=request, by=agent, status=RequestStatus.DONE,
                                   end_date=TODAY() - datetime.timedelta(days=1))  # fmt: skip

    new_end = start + datetime.timedelta(days=730)
    service_request_set_status(
        request=request, by=agent, status=RequestStatus.DONE, end_date=new_end
    )
    policy.refresh_from_db()
    assert (policy.status, policy.end_date) == (PolicyStatus.ACTIVE, new_end)
    # The next morning leaves it in force and hands no lapse over.
    renewals_morning_job()
    policy.refresh_from_db()
    assert policy.status == PolicyStatus.ACTIVE
    assert not WorkItem.objects.filter(kind=LAPSED_KIND).exists()


def test_a_lapse_reinstated_within_48_hours_is_never_handed_over(agent):
    policy = _lapsed_policy(agent)
    RenewalCaseFactory(policy=policy, status=CaseStatus.LAPSED,
                       lapsed_at=timezone.now() - datetime.timedelta(days=3))  # fmt: skip
    service_request_set_status(
        request=_sent_reinstatement(policy, agent), by=agent, status=RequestStatus.DONE
    )
    renewals_morning_job()
    assert not WorkItem.objects.filter(kind=LAPSED_KIND).exists()


def test_the_request_page_asks_for_the_new_end_date(client, agent):
    start = TODAY() - datetime.timedelta(days=400)
    policy = _lapsed_policy(agent, start_date=start, end_date=start + datetime.timedelta(days=365))
    request = _sent_reinstatement(policy, agent)
    client.force_login(agent)
    url = reverse("servicing:request_status", args=[request.pk])
    response = client.post(url, {"status": "done"})
    assert response.status_code == 400
    assert "give the end date the insurer set" in response.content.decode()
    new_end = (start + datetime.timedelta(days=730)).isoformat()
    response = client.post(url, {"status": "done", "end_date": new_end})
    assert response.status_code == 302
    policy.refresh_from_db()
    assert (policy.status, policy.end_date.isoformat()) == (PolicyStatus.ACTIVE, new_end)
