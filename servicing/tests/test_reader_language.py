"""What a walk through the pages found (issue 17): a request's or a case's card on the call list
is titled in the reader's language, whatever language the item was opened in; a lapsed case
lists only its reinstatement requests under "Reinstatement" and chooses the client's one lapsed
policy for the offer."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from clients.tests.factories import ClientFactory
from policies.models import PolicyStatus
from servicing.models import CaseSource, RequestKind
from servicing.services import (
    case_title,
    request_title,
    service_cases_open,
    service_request_create,
)
from servicing.tests.factories import LifePolicyFactory
from workqueue.models import WorkItem

pytestmark = pytest.mark.django_db


def _due():
    return timezone.localdate() + datetime.timedelta(days=5)


def test_the_cards_are_titled_in_the_readers_language(client, agent):
    holder = ClientFactory(owner=agent, first_name="Ana", last_name="Ruiz")
    policy = LifePolicyFactory(holder=holder, agent=agent)
    with translation.override("en"):
        request = service_request_create(
            policy=policy, by=agent, kind=RequestKind.PHONE_CHANGE, due_on=_due()
        )
        (case,) = service_cases_open(previous={holder.pk: None}, source=CaseSource.ORPHAN)
    assert WorkItem.objects.get(kind="service_request").title.startswith("Service request")
    agent.language = "es"
    agent.save()
    client.force_login(agent)
    html = client.get(reverse("workqueue:queue"), HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert f"Solicitud de servicio {request.reference}: Cambio de teléfono" in html
    assert f"Caso de servicio {case.reference} (normal): Ana Ruiz" in html
    assert "Service request" not in html and "Service case" not in html


def test_a_lapsed_case_lists_only_reinstatements_and_chooses_the_one_lapsed_policy(client, agent):
    holder = ClientFactory(owner=agent)
    policy = LifePolicyFactory(holder=holder, agent=agent)
    phone = service_request_create(
        policy=policy, by=agent, kind=RequestKind.PHONE_CHANGE, due_on=_due()
    )
    policy.status = PolicyStatus.LAPSED
    policy.save()
    (case,) = service_cases_open(previous={holder.pk: None}, source=CaseSource.ORPHAN)
    client.force_login(agent)
    response = client.get(reverse("servicing:case_detail", args=[case.pk]))
    html = response.content.decode()
    section = html.split('data-testid="case-requests"')[1].split("</ul>")[0]
    assert phone.reference not in section
    form = response.context["reinstatement_form"]
    assert form["policy"].initial == policy.pk and form.fields["policy"].empty_label is None
    client.post(
        reverse("servicing:case_reinstatement", args=[case.pk]),
        {"policy": policy.pk, "due_on": _due().isoformat()},
    )
    html = client.get(reverse("servicing:case_detail", args=[case.pk])).content.decode()
    section = html.split('data-testid="case-requests"')[1].split("</ul>")[0]
    assert "SR-" in section and phone.reference not in section


def test_a_tampered_row_count_never_drops_the_recorded_parties(client, agent):
    """Found by posting odd values: a negative or short row count left no rows, and the set
    of no rows was recorded (every party removed)."""
    from servicing.models import PolicyParty
    from servicing.services import policy_parties_set

    policy = LifePolicyFactory(holder=ClientFactory(owner=agent), agent=agent)
    policy_parties_set(
        policy=policy, by=agent,
        parties=[{"role": "beneficiary", "name": "Luz", "relation": "child", "share": 100}],
    )  # fmt: skip
    client.force_login(agent)
    url = reverse("servicing:parties", args=[policy.pk])
    for total, initial in (("-1", "-1"), ("0", "1"), ("-5", "0")):
        response = client.post(
            url, {"parties-TOTAL_FORMS": total, "parties-INITIAL_FORMS": initial}
        )
        assert response.status_code == 400, (total, initial)
        assert response.context["formset"].non_form_errors()
    assert list(PolicyParty.objects.filter(policy=policy).values_list("name", flat=True)) == ["Luz"]


def test_the_stored_titles_are_in_their_agents_language_for_the_done_line_and_call_backs(agent):
    """The call list's "done" line and the call-backs page show the item's stored title: it is
    written in the language of the agent who will read it, whoever opened the item."""
    agent.language = "zh-hans"
    agent.save()
    holder = ClientFactory(owner=agent, first_name="Ana", last_name="Ruiz")
    policy = LifePolicyFactory(holder=holder, agent=agent)
    with translation.override("en"):
        request = service_request_create(
            policy=policy, by=agent, kind=RequestKind.PHONE_CHANGE, due_on=_due()
        )
        (case,) = service_cases_open(previous={holder.pk: None}, source=CaseSource.ORPHAN)
    with translation.override("zh-hans"):
        expected = {
            "service_request": request_title(request),
            "service_case": case_title(case, holder),
        }
    assert dict(WorkItem.objects.values_list("kind", "title")) == expected
    assert "Service" not in expected["service_request"] + expected["service_case"]
