"""Life-policy service cases (seed 003, issue 17): a departing agent's book spread over other
agents opens one case per client holding a life or health policy (once: run twice, nothing
more), so does a policy with no active agent (the orphans' sweep, run twice); each is classified
normal / difficult / lapsed by the seed's rules and closed only as its class allows: a normal
case with its service list signed and every service item offered, a difficult case only after
the six search methods (then the office's help: the maintainers' queue), a lapsed case with
reinstatement requested (or declined, said why)."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from brokerage.accounts.tests.factories import UserFactory
from clients.services import client_book_reassign
from clients.tests.factories import ClientFactory
from policies.models import Line, PolicyStatus
from policies.tests.factories import PolicyFactory
from servicing.kind import CASE_KIND, OFFICE_KIND
from servicing.models import (
    AGENT_SEARCHES,
    CaseClass,
    CaseOutcome,
    CaseSource,
    ItemState,
    RequestKind,
    SearchMethod,
    ServiceCase,
    ServiceItem,
)
from servicing.services import (
    service_case_close,
    service_case_offer_reinstatement,
    service_case_reclassify,
    service_case_record_item,
    service_case_record_search,
    service_case_sign_list,
    service_cases_open,
    service_cases_open_for_book,
    service_cases_open_orphans,
)
from servicing.tests.factories import CaseFactory, LifePolicyFactory
from workqueue.models import ItemStatus, Queue, WorkItem

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(manager):
    from brokerage.accounts.tests.factories import TeamFactory

    team = TeamFactory(manager=manager)
    leaving = UserFactory(roles=["agent"], team=team)
    staying = UserFactory(roles=["agent"], team=team)
    life = LifePolicyFactory(holder=ClientFactory(owner=leaving), agent=leaving)
    health = PolicyFactory(holder=ClientFactory(owner=leaving), agent=leaving, line=Line.HEALTH)
    auto_only = PolicyFactory(holder=ClientFactory(owner=leaving), agent=leaving)
    return leaving, staying, [life, health, auto_only]


def test_a_departing_agents_book_opens_one_case_per_life_or_health_client(manager, book):
    leaving, staying, (life, health, auto_only) = book
    client_book_reassign(from_agent=leaving, to_agents=[staying], by=manager, notify=False)
    cases = ServiceCase.objects.order_by("client_id")
    assert {c.client_id for c in cases} == {life.holder_id, health.holder_id}
    assert {(c.source, c.previous_agent_id, c.opened_by_id) for c in cases} == {
        (CaseSource.DEPARTED_AGENT, leaving.pk, manager.pk)
    }
    items = WorkItem.objects.filter(kind=CASE_KIND)
    assert {(i.subject_id, i.agent_id, i.queue) for i in items} == {
        (c.pk, staying.pk, Queue.AGENT) for c in cases
    }
    # Run again (the same clients, a second time): nothing more.
    assert service_cases_open_for_book(clients=[life.holder, health.holder], from_agent=leaving,
                                       by=manager) == []  # fmt: skip
    assert ServiceCase.objects.count() == 2 and items.count() == 2


def test_the_orphans_sweep_opens_each_case_once(agent):
    gone = UserFactory(roles=["agent"])
    gone.deactivated_at = timezone.now()
    gone.save()
    no_agent = LifePolicyFactory(holder=ClientFactory(owner=None), agent=None)
    deactivated = LifePolicyFactory(holder=ClientFactory(owner=agent), agent=gone)
    served = LifePolicyFactory(holder=ClientFactory(owner=agent), agent=agent)
    PolicyFactory(holder=ClientFactory(owner=None), agent=None)  # auto: not a life case
    LifePolicyFactory(holder=ClientFactory(), agent=None, status=PolicyStatus.CANCELLED)
    first = service_cases_open_orphans()
    assert {c.client_id for c in first} == {no_agent.holder_id, deactivated.holder_id}
    assert service_cases_open_orphans() == []
    assert ServiceCase.objects.count() == 2
    assert not ServiceCase.objects.filter(client_id=served.holder_id).exists()
    items = {i.subject_id: i for i in WorkItem.objects.filter(kind=CASE_KIND)}
    by_client = {c.client_id: c for c in first}
    # The client with no owner waits for the distribution; the other goes to its owner.
    assert items[by_client[no_agent.holder_id].pk].agent_id is None
    assert items[by_client[deactivated.holder_id].pk].agent_id == agent.pk


def test_a_closed_case_lets_a_new_one_open_later(agent, maintainer):
    policy = LifePolicyFactory(holder=ClientFactory(owner=agent), agent=agent)
    (case,) = service_cases_open(previous={policy.holder_id: None}, source=CaseSource.ORPHAN)
    service_case_reclassify(case=case, by=agent, case_class=CaseClass.DIFFICULT)
    for method in AGENT_SEARCHES:
        service_case_record_search(case=case, by=agent, method=method)
    service_case_close(case=case, by=agent, outcome=CaseOutcome.UNREACHABLE)
    again = service_cases_open(previous={policy.holder_id: None}, source=CaseSource.ORPHAN)
    assert len(again) == 1 and again[0].pk != case.pk


def _open_counting(manager, size: int, agent):
    """Open the cases of ``size`` new clients (half of them with a lapsed policy too, one
    without an owner) and count the queries it took."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    holders = [ClientFactory(owner=agent if i else None) for i in range(size)]
    for i, holder in enumerate(holders):
        LifePolicyFactory(holder=holder, agent=agent)
        if i % 2:
            LifePolicyFactory(holder=holder, agent=agent, status=PolicyStatus.LAPSED)
    with CaptureQueriesContext(connection) as queries:
        cases = service_cases_open(
            previous={h.pk: None for h in holders}, source=CaseSource.DEPARTED_AGENT, by=manager
        )
    return holders, cases, len(queries)


def test_it_opens_any_number_of_cases_in_the_same_few_queries(manager, agent):
    from clients.models import Interaction

    _holders, _cases, small_queries = _open_counting(manager, 2, agent)
    holders, cases, queries = _open_counting(manager, 12, agent)
    assert queries == small_queries <= 12
    # Each client its case, classified, with its history, its item and its timeline entry.
    assert [c.client_id for c in cases] == sorted(h.pk for h in holders)
    classes = {
        c.client_id: c.case_class for c in ServiceCase.objects.filter(pk__in=[c.pk for c in cases])
    }
    assert classes == {
        h.pk: CaseClass.LAPSED if i % 2 else CaseClass.NORMAL for i, h in enumerate(holders)
    }
    assert ServiceCase.history.filter(id__in=[c.pk for c in cases], history_type="+",
                                      history_user=manager).count() == 12  # fmt: skip
    items = {i.subject_id: i for i in WorkItem.objects.filter(kind=CASE_KIND)}
    by_client = {c.client_id: c for c in cases}
    assert items[by_client[holders[0].pk].pk].agent_id is None  # no owner: the distribution
    assert items[by_client[holders[1].pk].pk].agent_id == agent.pk
    assert by_client[holders[1].pk].reference in items[by_client[holders[1].pk].pk].title
    logged = Interaction.objects.filter(client__in=holders, message="servicing.case_opened")
    assert sorted(logged.values_list("client_id", flat=True)) == sorted(h.pk for h in holders)
    assert by_client[holders[3].pk].reference in logged.get(client=holders[3]).summary
    # Again: nothing more.
    assert service_cases_open(previous={h.pk: None for h in holders},
                              source=CaseSource.ORPHAN) == []  # fmt: skip
    assert ServiceCase.objects.count() == 14


@pytest.mark.parametrize(
    ("client_kwargs", "statuses", "expected"),
    [
        ({}, [PolicyStatus.ACTIVE], CaseClass.NORMAL),
        ({}, [PolicyStatus.ACTIVE, PolicyStatus.LAPSED], CaseClass.LAPSED),
        ({"contact_inaccurate": True}, [PolicyStatus.LAPSED], CaseClass.LAPSED),
        ({"contact_inaccurate": True}, [PolicyStatus.ACTIVE], CaseClass.DIFFICULT),
        ({"phone": "", "email": "", "whatsapp": ""}, [PolicyStatus.ACTIVE], CaseClass.DIFFICULT),
        ({"phone": "", "whatsapp": ""}, [PolicyStatus.ACTIVE], CaseClass.NORMAL),
    ],
)
def test_it_classifies_each_case_as_the_seed_says(agent, client_kwargs, statuses, expected):
    holder = ClientFactory(owner=agent, **client_kwargs)
    for status in statuses:
        LifePolicyFactory(holder=holder, agent=agent, status=status)
    (case,) = service_cases_open(previous={holder.pk: None}, source=CaseSource.ORPHAN)
    assert case.case_class == expected


def test_a_difficult_case_is_declared_unreachable_only_after_every_search(agent):
    holder = ClientFactory(owner=agent, contact_inaccurate=True)
    LifePolicyFactory(holder=holder, agent=agent)
    (case,) = service_cases_open(previous={holder.pk: None}, source=CaseSource.ORPHAN, by=agent)
    assert case.case_class == CaseClass.DIFFICULT
    with pytest.raises(ValidationError) as error:
        service_case_close(case=case, by=agent, outcome=CaseOutcome.UNREACHABLE)
    assert "try" in " ".join(error.value.messages)
    for method in AGENT_SEARCHES[:-1]:
        service_case_record_search(case=case, by=agent, method=method, note="nada")
    with pytest.raises(ValidationError) as error:
        service_case_close(case=case, by=agent, outcome=CaseOutcome.UNREACHABLE)
    assert str(AGENT_SEARCHES[-1].label) in " ".join(error.value.messages)
    with pytest.raises(ValidationError):  # the office's help is the declaration itself
        service_case_record_search(case=case, by=agent, method=SearchMethod.OFFICE_HELP)
    with pytest.raises(ValidationError):  # a difficult case is not "served"
        service_case_close(case=case, by=agent, outcome=CaseOutcome.SERVED)
    service_case_record_search(case=case, by=agent, method=AGENT_SEARCHES[-1])
    service_case_close(case=case, by=agent, outcome=CaseOutcome.UNREACHABLE, note="Se mudó")
    case.refresh_from_db()
    assert (case.outcome, case.closed_by) == (CaseOutcome.UNREACHABLE, agent)
    assert set(case.searches.values_list("method", flat=True)) == set(SearchMethod.values)
    assert WorkItem.objects.get(kind=CASE_KIND, subject_id=case.pk).status == ItemStatus.DONE
    office = WorkItem.objects.get(kind=OFFICE_KIND, subject_id=case.pk)
    assert (office.queue, office.status) == (Queue.MAINTAINERS, ItemStatus.OPEN)


def test_search_methods_are_recorded_on_difficult_cases_only(agent):
    case = CaseFactory(client=ClientFactory(owner=agent), case_class=CaseClass.NORMAL)
    with pytest.raises(ValidationError):
        service_case_record_search(case=case, by=agent, method=SearchMethod.PHONE)


def test_a_normal_case_closes_once_the_list_is_signed_and_every_item_offered(agent):
    holder = ClientFactory(owner=agent)
    LifePolicyFactory(holder=holder, agent=agent)
    (case,) = service_cases_open(previous={holder.pk: None}, source=CaseSource.ORPHAN)
    for item in list(ServiceItem)[:-1]:
        service_case_record_item(case=case, by=agent, item=item, state=ItemState.OFFERED)
    with pytest.raises(ValidationError) as error:
        service_case_close(case=case, by=agent, outcome=CaseOutcome.SERVED)
    text = " ".join(error.value.messages)
    assert "not signed" in text and str(list(ServiceItem)[-1].label) in text
    service_case_sign_list(case=case, by=agent)
    service_case_record_item(case=case, by=agent, item=list(ServiceItem)[-1], state="done")
    with pytest.raises(ValidationError):  # done cannot go back to merely offered
        service_case_record_item(case=case, by=agent, item=list(ServiceItem)[-1], state="offered")
    service_case_close(case=case, by=agent, outcome=CaseOutcome.SERVED)
    case.refresh_from_db()
    assert case.outcome == CaseOutcome.SERVED and case.list_signed_by == agent
    with pytest.raises(ValidationError):
        service_case_sign_list(case=case, by=agent)  # closed


def test_a_lapsed_case_offers_reinstatement_and_closes_with_it(agent):
    holder = ClientFactory(owner=agent)
    lapsed = LifePolicyFactory(holder=holder, agent=agent, status=PolicyStatus.LAPSED)
    (case,) = service_cases_open(previous={holder.pk: None}, source=CaseSource.ORPHAN)
    assert case.case_class == CaseClass.LAPSED
    with pytest.raises(ValidationError):
        service_case_close(case=case, by=agent, outcome=CaseOutcome.REINSTATEMENT)
    with pytest.raises(ValidationError):  # declined: say why
        service_case_close(case=case, by=agent, outcome=CaseOutcome.DECLINED)
    due = timezone.localdate() + datetime.timedelta(days=7)
    request = service_case_offer_reinstatement(case=case, policy=lapsed, by=agent, due_on=due)
    assert (request.kind, request.policy_id, request.status) == (
        RequestKind.REINSTATEMENT,
        lapsed.pk,
        "requested",
    )
    again = service_case_offer_reinstatement(case=case, policy=lapsed, by=agent, due_on=due)
    assert again.pk == request.pk
    service_case_close(case=case, by=agent, outcome=CaseOutcome.REINSTATEMENT)
    case.refresh_from_db()
    assert case.outcome == CaseOutcome.REINSTATEMENT


def test_reclassifying_to_lapsed_needs_a_lapsed_policy(agent):
    holder = ClientFactory(owner=agent)
    LifePolicyFactory(holder=holder, agent=agent)
    (case,) = service_cases_open(previous={holder.pk: None}, source=CaseSource.ORPHAN)
    with pytest.raises(ValidationError):
        service_case_reclassify(case=case, by=agent, case_class=CaseClass.LAPSED)
    service_case_reclassify(case=case, by=agent, case_class=CaseClass.DIFFICULT)
    case.refresh_from_db()
    assert case.case_class == CaseClass.DIFFICULT
    assert case.history.filter(case_class=CaseClass.DIFFICULT).exists()


def test_a_reassigned_clients_open_case_follows_to_the_new_owner(manager, book):
    leaving, staying, (life, _health, _auto) = book
    (case,) = service_cases_open(previous={life.holder_id: None}, source=CaseSource.ORPHAN)
    from clients.services import client_reassign

    client_reassign(client=life.holder, to=staying, by=manager, notify=False)
    assert WorkItem.objects.get(kind=CASE_KIND, subject_id=case.pk).agent_id == staying.pk


def test_the_sweep_task_opens_each_case_once_when_run_twice():
    from servicing.tasks import service_cases_open_orphans_task

    LifePolicyFactory(holder=ClientFactory(owner=None), agent=None)
    assert service_cases_open_orphans_task.delay().get() == 1
    assert service_cases_open_orphans_task.delay().get() == 0
    assert ServiceCase.objects.count() == 1


def test_the_database_refuses_a_second_open_case_for_a_client(agent):
    from django.db import IntegrityError, transaction

    holder = ClientFactory(owner=agent)
    CaseFactory(client=holder)
    with pytest.raises(IntegrityError), transaction.atomic():
        CaseFactory(client=holder)
    CaseFactory(client=holder, closed_at=timezone.now(), outcome="served")  # closed ones: any
    assert ServiceCase.objects.filter(client=holder).count() == 2


def test_three_failed_calls_make_a_normal_case_difficult_with_the_phone_tried(agent):
    from workqueue.services import item_record_result

    holder = ClientFactory(owner=agent)
    LifePolicyFactory(holder=holder, agent=agent)
    (case,) = service_cases_open(previous={holder.pk: None}, source=CaseSource.ORPHAN)
    item = WorkItem.objects.get(kind=CASE_KIND, subject_id=case.pk)
    for result in ("no_answer", "switched_off"):
        item = item_record_result(item=item, by=agent, result=result)
    case.refresh_from_db()
    assert case.case_class == CaseClass.NORMAL and not case.searches.exists()
    item_record_result(item=item, by=agent, result="no_answer")
    case.refresh_from_db()
    holder.refresh_from_db()
    assert case.case_class == CaseClass.DIFFICULT and holder.contact_inaccurate
    assert list(case.searches.values_list("method", "by")) == [(SearchMethod.PHONE, agent.pk)]
    item.refresh_from_db()
    assert item.queue == Queue.MAINTAINERS  # the contact goes to be fixed, as for any work


def test_the_beat_opens_the_orphans_cases_every_morning_before_the_morning_run():
    from brokerage.celery import app
    from servicing.tasks import service_cases_open_orphans_task

    entry = app.conf.beat_schedule["servicing-open-orphan-cases"]
    morning = app.conf.beat_schedule["renewals-morning"]["schedule"]
    assert entry["task"] == service_cases_open_orphans_task.name
    assert (min(entry["schedule"].hour), min(entry["schedule"].minute)) < (
        min(morning.hour),
        min(morning.minute),
    )
