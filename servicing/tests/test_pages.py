"""The manager's view of service cases by class and age (issue 17): open cases counted per
class and age bucket (days since opened), totals, each figure linking to the list filtered the
same way (the drill-down shows those cases); the view, the lists and the detail pages read a
fixed number of queries whatever the number of rows; the call list shows service work."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from clients.tests.factories import ClientFactory
from servicing.models import CaseClass, CaseSource, RequestKind
from servicing.services import service_cases_open, service_request_create
from servicing.tests.factories import CaseFactory, LifePolicyFactory

pytestmark = pytest.mark.django_db

OVERVIEW_QUERIES = 9
LIST_QUERIES = 10
DETAIL_QUERIES = 13


def _days_ago(days):
    return timezone.now() - datetime.timedelta(days=days)


@pytest.fixture
def spread(agent):
    """Open cases: normal 2 (3 and 10 days), difficult 1 (45 days), lapsed 2 (5 and 200 days);
    one closed normal case (not counted)."""
    made = {}
    for name, case_class, days in [
        ("n3", CaseClass.NORMAL, 3), ("n10", CaseClass.NORMAL, 10),
        ("d45", CaseClass.DIFFICULT, 45), ("l5", CaseClass.LAPSED, 5),
        ("l200", CaseClass.LAPSED, 200),
    ]:  # fmt: skip
        made[name] = CaseFactory(
            client=ClientFactory(owner=agent), case_class=case_class, opened_at=_days_ago(days)
        )
    CaseFactory(client=ClientFactory(owner=agent), opened_at=_days_ago(2), closed_at=timezone.now(),
                outcome="served")  # fmt: skip
    return made


def test_the_view_counts_open_cases_by_class_and_age(client, manager, agent, spread):
    from brokerage.accounts.tests.factories import TeamFactory

    agent.team = TeamFactory(manager=manager)
    agent.save()
    client.force_login(manager)
    overview = client.get(reverse("servicing:cases")).context["overview"]
    figures = {row["class"]: [c["count"] for c in row["cells"]] for row in overview["rows"]}
    assert figures == {"normal": [1, 1, 0, 0], "difficult": [0, 0, 1, 0], "lapsed": [1, 0, 0, 1]}
    assert [c["count"] for c in overview["totals"]] == [2, 1, 1, 1]
    assert overview["total"] == 5


def test_each_figure_drills_down_to_the_cases_it_counts(client, maintainer, spread):
    client.force_login(maintainer)
    url = reverse("servicing:case_list")

    def shown(**params):
        return {c.pk for c in client.get(url, params).context["page"].object_list}

    assert shown(case_class="normal", age="week") == {spread["n3"].pk}
    assert shown(case_class="normal", age="month") == {spread["n10"].pk}
    assert shown(case_class="lapsed") == {spread["l5"].pk, spread["l200"].pk}
    assert shown(age="older") == {spread["l200"].pk}
    assert shown(age="quarter") == {spread["d45"].pk}
    assert len(shown(closed="1")) == 1
    html = client.get(reverse("servicing:cases")).content.decode()
    assert f'href="{url}?case_class=difficult&amp;age=quarter">1</a>' in html


def _cases(agent, n):
    for _ in range(n):
        CaseFactory(client=ClientFactory(owner=agent), opened_at=_days_ago(n))


@pytest.mark.parametrize("n", [1, 6])
def test_the_view_and_the_lists_read_a_fixed_number_of_queries(
    client, maintainer, agent, n, django_assert_max_num_queries
):
    _cases(agent, n)
    policy = LifePolicyFactory(holder=ClientFactory(owner=agent), agent=agent)
    for _ in range(n):
        service_request_create(
            policy=policy, by=agent, kind=RequestKind.RIDER,
            due_on=timezone.localdate() + datetime.timedelta(days=3),
        )  # fmt: skip
    client.force_login(maintainer)
    with django_assert_max_num_queries(OVERVIEW_QUERIES):
        assert client.get(reverse("servicing:cases")).status_code == 200
    with django_assert_max_num_queries(LIST_QUERIES):
        response = client.get(reverse("servicing:case_list"))
    assert len(response.context["page"].object_list) == n
    with django_assert_max_num_queries(LIST_QUERIES):
        response = client.get(reverse("servicing:requests"))
    assert len(response.context["page"].object_list) == n


@pytest.mark.parametrize("n", [1, 4])
def test_the_detail_pages_read_a_fixed_number_of_queries(
    client, agent, n, django_assert_max_num_queries
):
    from servicing.models import AGENT_SEARCHES
    from servicing.services import service_case_record_search, service_request_set_status

    holder = ClientFactory(owner=agent, contact_inaccurate=True)
    policy = LifePolicyFactory(holder=holder, agent=agent)
    (case,) = service_cases_open(previous={holder.pk: None}, source=CaseSource.ORPHAN, by=agent)
    for method in AGENT_SEARCHES[:n]:
        service_case_record_search(case=case, by=agent, method=method)
    request = service_request_create(
        policy=policy, by=agent, kind=RequestKind.OTHER,
        due_on=timezone.localdate() + datetime.timedelta(days=3),
    )  # fmt: skip
    if n > 1:
        service_request_set_status(request=request, by=agent, status="sent")
    client.force_login(agent)
    for url in (
        reverse("servicing:case_detail", args=[case.pk]),
        reverse("servicing:request_detail", args=[request.pk]),
        reverse("servicing:parties", args=[policy.pk]),
    ):
        with django_assert_max_num_queries(DETAIL_QUERIES):
            assert client.get(url).status_code == 200


def test_the_call_list_shows_service_work_linked_to_its_page(client, agent):
    holder = ClientFactory(owner=agent)
    policy = LifePolicyFactory(holder=holder, agent=agent)
    (case,) = service_cases_open(previous={holder.pk: None}, source=CaseSource.ORPHAN)
    request = service_request_create(
        policy=policy, by=agent, kind=RequestKind.PHONE_CHANGE,
        due_on=timezone.localdate() + datetime.timedelta(days=3),
    )  # fmt: skip
    client.force_login(agent)
    html = client.get(reverse("workqueue:queue")).content.decode()
    assert reverse("servicing:case_detail", args=[case.pk]) in html
    assert reverse("servicing:request_detail", args=[request.pk]) in html
    assert 'data-kind="service_case"' in html and 'data-kind="service_request"' in html


def test_a_normal_case_page_offers_the_service_list_and_items(client, agent):
    holder = ClientFactory(owner=agent)
    LifePolicyFactory(holder=holder, agent=agent)
    (case,) = service_cases_open(previous={holder.pk: None}, source=CaseSource.ORPHAN)
    client.force_login(agent)
    url = reverse("servicing:case_detail", args=[case.pk])
    html = client.get(url).content.decode()
    assert 'data-testid="sign-list"' in html and 'data-testid="service-items"' in html
    assert 'data-testid="search-methods"' not in html
    response = client.post(reverse("servicing:case_item", args=[case.pk]),
                           {"item": "dividend", "state": "bogus"})  # fmt: skip
    assert response.status_code == 400
    client.post(reverse("servicing:case_sign", args=[case.pk]))
    client.post(reverse("servicing:case_item", args=[case.pk]),
                {"item": "dividend", "state": "done", "note": "Entregado"})  # fmt: skip
    html = client.get(url).content.decode()
    assert "Service list signed on" in html and "Entregado" in html
    response = client.post(reverse("servicing:case_close", args=[case.pk]), {"outcome": "served"})
    assert response.status_code == 400 and "Not offered yet" in response.content.decode()


def test_the_client_file_lists_its_cases_and_requests(client, agent):
    holder = ClientFactory(owner=agent)
    policy = LifePolicyFactory(holder=holder, agent=agent)
    (case,) = service_cases_open(previous={holder.pk: None}, source=CaseSource.ORPHAN)
    request = service_request_create(
        policy=policy, by=agent, kind=RequestKind.BENEFICIARY_CHANGE,
        due_on=timezone.localdate() + datetime.timedelta(days=3),
        new_parties=[{"name": "Luis", "relation": "spouse", "id_number": "", "share": 100}],
    )  # fmt: skip
    client.force_login(agent)
    html = client.get(reverse("clients:detail", args=[holder.pk])).content.decode()
    assert reverse("servicing:case_detail", args=[case.pk]) in html
    assert reverse("servicing:request_detail", args=[request.pk]) in html
    html = client.get(reverse("servicing:request_detail", args=[request.pk])).content.decode()
    assert "Spouse" in html


def test_a_call_result_on_service_work_goes_on_the_clients_timeline(agent):
    from clients.models import Interaction
    from servicing.kind import REQUEST_KIND
    from workqueue.models import WorkItem
    from workqueue.services import item_record_result

    holder = ClientFactory(owner=agent)
    policy = LifePolicyFactory(holder=holder, agent=agent)
    request = service_request_create(
        policy=policy, by=agent, kind=RequestKind.PHONE_CHANGE,
        due_on=timezone.localdate() + datetime.timedelta(days=3),
    )  # fmt: skip
    item = WorkItem.objects.get(kind=REQUEST_KIND, subject_id=request.pk)
    item_record_result(item=item, by=agent, result="no_answer")
    entry = Interaction.objects.get(client=holder, message="servicing.request_result")
    assert request.reference in entry.text and "No answer" in entry.text
