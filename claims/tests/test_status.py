"""A claim's status (issue 16): only the allowed transitions, each kept with its date, who and
why, in the claim's history and on the client's timeline; the first contact through the call
list's result; the amounts and who settled; the claim page's forms."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from claims.kind import CLAIM_KIND, CONTACTED
from claims.models import TRANSITIONS, ClaimStatus, ClaimStatusChange
from claims.services import claim_record_contact, claim_set_status, claim_update
from claims.tests.factories import report
from clients.models import Interaction
from clients.tests.factories import ClientFactory
from policies.tests.factories import PolicyFactory
from workqueue.models import ItemStatus, WorkItem

pytestmark = pytest.mark.django_db

TO_SETTLED = [
    ClaimStatus.FIRST_CONTACT, ClaimStatus.IN_ASSESSMENT, ClaimStatus.DOCUMENTS_COMPLETE,
    ClaimStatus.WITH_INSURER, ClaimStatus.PARTLY_APPROVED, ClaimStatus.IN_REPAIR,
]  # fmt: skip


@pytest.fixture
def claim(agent):
    policy = PolicyFactory(holder=ClientFactory(owner=agent), agent=agent)
    return report(policy=policy, by=agent)


def test_it_walks_the_claim_to_closed_with_a_date_for_each_status(claim, agent):
    for status in TO_SETTLED:
        claim = claim_set_status(claim=claim, by=agent, status=status, note=f"to {status}")
    claim = claim_set_status(
        claim=claim, by=agent, status=ClaimStatus.SETTLED, amount_settled=Decimal("14200.50")
    )
    claim = claim_set_status(claim=claim, by=agent, status=ClaimStatus.CLOSED)
    reached = list(ClaimStatusChange.objects.filter(claim=claim).values_list("status", flat=True))
    assert reached == ["reported", *TO_SETTLED, "settled", "closed"]
    assert claim.amount_settled == Decimal("14200.50") and claim.settled_by == agent
    # Each change is in the history, with its author, and on the client's timeline.
    statuses = list(claim.history.order_by("history_id").values_list("status", flat=True))
    assert statuses[-3:] == ["in_repair", "settled", "closed"]
    assert set(claim.history.values_list("history_user", flat=True)) == {agent.pk}
    texts = [i.text for i in Interaction.objects.filter(client=claim.policy.holder)]
    assert f"Claim {claim.reference}: Partly approved. to partly_approved" in texts
    assert f"Claim {claim.reference}: Closed." in texts


@pytest.mark.parametrize(
    "start, refused",
    [
        (ClaimStatus.REPORTED, ClaimStatus.SETTLED),
        (ClaimStatus.REPORTED, ClaimStatus.IN_ASSESSMENT),
        (ClaimStatus.WITH_INSURER, ClaimStatus.CLOSED),
        (ClaimStatus.DENIED, ClaimStatus.SETTLED),
        (ClaimStatus.CLOSED, ClaimStatus.REPORTED),
        (ClaimStatus.WITHDRAWN, ClaimStatus.FIRST_CONTACT),
        (ClaimStatus.REPORTED, "lost_at_sea"),
    ],
)
def test_it_refuses_a_transition_it_does_not_allow(claim, agent, start, refused):
    type(claim).objects.filter(pk=claim.pk).update(status=start)
    claim.refresh_from_db()
    before = claim.history.count()
    with pytest.raises(ValidationError) as error:
        claim_set_status(claim=claim, by=agent, status=refused)
    assert "status" in error.value.error_dict
    claim.refresh_from_db()
    assert claim.status == start and claim.history.count() == before


def test_every_status_but_the_last_ones_leads_somewhere():
    assert {s for s, nexts in TRANSITIONS.items() if not nexts} == {"closed", "withdrawn"}
    reachable = {n for nexts in TRANSITIONS.values() for n in nexts} | {"reported"}
    assert reachable == set(ClaimStatus.values)


def test_settling_needs_the_amount(claim, agent):
    for status in TO_SETTLED:
        claim = claim_set_status(claim=claim, by=agent, status=status)
    with pytest.raises(ValidationError) as error:
        claim_set_status(claim=claim, by=agent, status=ClaimStatus.SETTLED)
    assert "amount_settled" in error.value.error_dict


def test_the_call_lists_contacted_result_records_the_first_contact(claim, agent, client):
    item = WorkItem.objects.get(kind=CLAIM_KIND, subject_id=claim.pk)
    client.force_login(agent)
    response = client.post(reverse("workqueue:result", args=[item.pk]), {"result": CONTACTED.code})
    assert response.status_code in (200, 302)
    claim.refresh_from_db()
    item.refresh_from_db()
    assert item.status == ItemStatus.DONE
    assert claim.status == ClaimStatus.FIRST_CONTACT and claim.first_contact_by == agent
    assert claim.time_to_first_contact is not None
    assert claim.time_to_first_contact < datetime.timedelta(minutes=1)
    texts = [i.text for i in Interaction.objects.filter(client=claim.policy.holder)]
    assert f"First-contact call on claim {claim.reference}: Client contacted." in texts
    # A second contact changes nothing.
    first = claim.first_contact_at
    claim_record_contact(claim=claim, by=agent, at=timezone.now() + datetime.timedelta(hours=1))
    claim.refresh_from_db()
    assert claim.first_contact_at == first


def test_the_status_form_offers_the_allowed_transitions_and_says_why_it_refuses(
    claim, agent, client
):
    client.force_login(agent)
    url = reverse("claims:detail", args=[claim.pk])
    html = client.get(url).content.decode()
    assert '<option value="first_contact">' in html and '<option value="withdrawn">' in html
    assert '<option value="settled">' not in html
    response = client.post(reverse("claims:status", args=[claim.pk]), {"status": "settled"})
    assert response.status_code == 400
    assert 'data-testid="status-errors"' in response.content.decode()
    response = client.post(
        reverse("claims:status", args=[claim.pk]), {"status": "withdrawn", "note": "x\x00"}
    )
    assert response.status_code == 400
    response = client.post(
        reverse("claims:status", args=[claim.pk]), {"status": "withdrawn", "note": "El cliente"}
    )
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.WITHDRAWN


def test_the_edit_page_saves_the_insurers_number_and_amounts(claim, agent, client):
    client.force_login(agent)
    url = reverse("claims:edit", args=[claim.pk])
    form = client.get(url).context["form"]
    data = {
        name: ("" if value is None else value)
        for name, value in ((n, form[n].value()) for n in form.fields)
    }
    data["occurred_at"] = timezone.localtime(claim.occurred_at).strftime("%Y-%m-%dT%H:%M")
    data["injured"] = "no"
    data |= {"insurer_claim_number": "SIN-2026-7781", "adjuster": "Ing. Ruiz",
             "amount_assessed": "17300.00"}  # fmt: skip
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    claim.refresh_from_db()
    assert (claim.insurer_claim_number, claim.adjuster) == ("SIN-2026-7781", "Ing. Ruiz")
    assert claim.amount_assessed == Decimal("17300.00")
    assert claim.amount_claimed == Decimal("25000.00")
    last = claim.history.first()
    assert last.history_user == agent and last.insurer_claim_number == "SIN-2026-7781"
    response = client.post(url, data | {"amount_settled": "²"})
    assert response.status_code == 200 and "Enter a number" in response.content.decode()


def test_an_update_cannot_move_the_claim_into_the_future(claim, agent):
    with pytest.raises(ValidationError) as error:
        claim_update(
            claim=claim, by=agent,
            data={"occurred_at": timezone.now() + datetime.timedelta(days=1)},
        )  # fmt: skip
    assert "occurred_at" in error.value.error_dict


def test_the_card_answers_htmx_in_place(claim, agent, client):
    item = WorkItem.objects.get(kind=CLAIM_KIND, subject_id=claim.pk)
    client.force_login(agent)
    url = reverse("workqueue:result", args=[item.pk])
    response = client.post(url, {"result": "no_answer"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-kind="claim_contact"' in html and 'data-testid="claim-countdown"' in html
    assert 'data-testid="item-feedback"' in html
    response = client.post(url, {"result": CONTACTED.code}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'data-testid="claim-countdown"' not in response.content.decode()
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.FIRST_CONTACT


def test_a_reassigned_clients_open_claims_and_contact_follow_it(claim, agent, manager):
    from brokerage.accounts.tests.factories import TeamFactory, UserFactory
    from clients.services import client_reassign

    team = TeamFactory(manager=manager)
    type(agent).objects.filter(pk=agent.pk).update(team=team)
    successor = UserFactory(roles=["agent"], team=team)
    closed = report(policy=claim.policy, by=agent)
    claim_set_status(claim=closed, by=agent, status=ClaimStatus.WITHDRAWN)
    client_reassign(client=claim.policy.holder, to=successor, by=manager, notify=False)
    claim.refresh_from_db()
    closed.refresh_from_db()
    assert claim.agent == successor and closed.agent == agent
    assert claim.history.first().history_user == manager
    item = WorkItem.objects.get(kind=CLAIM_KIND, subject_id=claim.pk)
    assert item.agent == successor and item.status == ItemStatus.OPEN
