"""Reporting a claim (issue 16): the form (finding the policy, field errors, never a 500), the
claim it writes, and the urgent first-contact item on the agent's call list, or the on-duty
list (the maintainers' queue) when the agent cannot take it."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from brokerage.accounts.services import user_deactivate
from brokerage.accounts.tests.factories import UserFactory
from claims.kind import CLAIM_KIND, CLAIM_PRIORITY
from claims.models import Claim, ClaimStatus, ClaimStatusChange
from claims.services import claim_report
from claims.tests.factories import report, report_data
from clients.models import Interaction
from clients.tests.factories import ClientFactory
from policies.tests.factories import PolicyFactory, VehicleFactory
from workqueue.models import ItemStatus, Queue, WorkItem
from workqueue.selectors import queue_for_agent
from workqueue.tests.factories import WorkItemFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def policy(agent):
    holder = ClientFactory(owner=agent, first_name="Lucía", last_name="Hernández")
    return PolicyFactory(holder=holder, agent=agent)


def form_data(**overrides) -> dict:
    occurred = timezone.localtime() - datetime.timedelta(hours=2)
    data = {
        "occurred_at": occurred.strftime("%Y-%m-%dT%H:%M"),
        "place": "Eje Central y Reforma",
        "kind": "collision",
        "injured": "no",
        "description": "",
        "reporter_name": "Lucía Hernández",
        "reporter_phone": "+525512345678",
        "reporter_email": "",
        "insurer_claim_number": "",
        "adjuster": "",
        "amount_claimed": "",
    }
    return data | overrides


def test_it_puts_the_claim_first_in_the_agents_call_list_in_the_same_request(client, agent, policy):
    # The agent's list already holds higher-priority renewal and payment work due earlier.
    WorkItemFactory(agent=agent, priority=100, due_on=timezone.localdate() - datetime.timedelta(3))
    WorkItemFactory(agent=agent, priority=90)
    client.force_login(agent)
    response = client.post(reverse("claims:report_for", args=[policy.pk]), form_data())
    claim = Claim.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("claims:detail", args=[claim.pk])
    first = queue_for_agent(user=agent, day=timezone.localdate()).first()
    assert (first.kind, first.subject_id, first.priority) == (CLAIM_KIND, claim.pk, CLAIM_PRIORITY)
    assert first.due_on == timezone.localdate() and first.handed_out_at is not None
    # And the call list shows it first, with the client's phone, WhatsApp and the countdown.
    response = client.get(reverse("workqueue:queue"))
    html = response.content.decode()
    items = re.findall(r'data-testid="call-item" data-kind="([a-z_]+)"', html)
    assert items[0] == CLAIM_KIND
    card = html[html.index('data-kind="claim_contact"') :]
    assert f"tel:{policy.holder.phone}" in card
    assert f"https://wa.me/{policy.holder.phone.as_e164.lstrip('+')}" in card
    assert 'data-testid="claim-countdown"' in card
    assert claim.contact_due_at.isoformat() in card
    # The countdown's few lines of script carry the page's CSP nonce (no inline script runs
    # without it).
    nonce = re.search(r"<script nonce=\"([^\"]+)\">\s*\(function", card).group(1)
    assert f"'nonce-{nonce}'" in response["Content-Security-Policy"]


def test_it_records_the_claim_to_the_second_with_its_first_status_and_timeline(agent, policy):
    claim = report(policy=policy, by=agent, kind="theft", injured=True)
    claim.refresh_from_db()
    assert claim.reported_at.microsecond == 0
    assert claim.contact_due_at == claim.reported_at + datetime.timedelta(minutes=10)
    assert (claim.status, claim.agent, claim.reported_by) == (ClaimStatus.REPORTED, agent, agent)
    assert claim.currency == policy.currency
    assert list(ClaimStatusChange.objects.values_list("status", flat=True)) == ["reported"]
    assert claim.history.count() == 1 and claim.history.first().history_user == agent
    entry = Interaction.objects.get(client=policy.holder)
    assert entry.text == f"Claim {claim.reference} reported on {policy}: Theft."


def test_a_deactivated_agents_claim_goes_to_the_on_duty_list(agent, maintainer, policy):
    user_deactivate(user=agent, by=UserFactory(roles=["admin"]))
    claim = report(policy=policy, by=maintainer)
    item = WorkItem.objects.get(kind=CLAIM_KIND, subject_id=claim.pk)
    assert (item.queue, item.agent, item.priority) == (Queue.MAINTAINERS, None, CLAIM_PRIORITY)
    assert claim.agent is None


def test_the_owner_takes_it_when_the_policys_agent_left(agent, maintainer):
    gone = UserFactory(roles=["agent"])
    policy = PolicyFactory(holder=ClientFactory(owner=agent), agent=gone)
    user_deactivate(user=gone, by=UserFactory(roles=["admin"]))
    claim = report(policy=policy, by=maintainer)
    item = WorkItem.objects.get(kind=CLAIM_KIND, subject_id=claim.pk)
    assert (item.queue, item.agent) == (Queue.AGENT, agent)


def test_the_maintainers_queue_shows_the_on_duty_claim_with_a_contact_button(client, maintainer):
    policy = PolicyFactory(holder=ClientFactory(owner=None), agent=None)
    claim = report(policy=policy, by=maintainer)
    client.force_login(maintainer)
    html = client.get(reverse("workqueue:maintainers")).content.decode()
    assert 'data-kind="claim_contact"' in html
    assert reverse("claims:contact", args=[claim.pk]) in html
    response = client.post(reverse("claims:contact", args=[claim.pk]))
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.first_contact_by == maintainer and claim.status == ClaimStatus.FIRST_CONTACT
    item = WorkItem.objects.get(kind=CLAIM_KIND, subject_id=claim.pk)
    assert item.status == ItemStatus.DONE


def test_it_finds_the_policy_by_name_plate_vin_or_number(client, agent, policy):
    vehicle = VehicleFactory(policy=policy)
    someone_elses = PolicyFactory(holder=ClientFactory(first_name="Lucía"))
    client.force_login(agent)
    for text in ("Hernández", vehicle.plate.lower(), vehicle.vin, policy.number):
        html = client.get(reverse("claims:report"), {"q": text}).content.decode()
        assert reverse("claims:report_for", args=[policy.pk]) in html, text
        assert reverse("claims:report_for", args=[someone_elses.pk]) not in html
    html = client.get(reverse("claims:report"), {"q": "nobody-like-this"}).content.decode()
    assert 'data-testid="no-policy"' in html


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("occurred_at", "9999-12-31T10:00", "real date"),
        ("occurred_at", "²", "valid date"),
        ("occurred_at", "", "required"),
        ("place", "Reforma\x00", "Null characters"),
        ("amount_claimed", "²", "number"),
        ("amount_claimed", "-5", "greater than or equal to 0"),
        ("kind", "meteor", "valid choice"),
        ("reporter_phone", "²²²", "valid phone"),
        ("reporter_phone", "", "phone number or an e-mail"),
        ("reporter_email", "not-an-address", "valid email"),
    ],
)
def test_it_answers_bad_input_with_a_field_error(client, agent, policy, field, value, message):
    client.force_login(agent)
    response = client.post(
        reverse("claims:report_for", args=[policy.pk]), form_data(**{field: value})
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Claim.objects.exists() and not WorkItem.objects.filter(kind=CLAIM_KIND).exists()


def test_it_refuses_a_claim_in_the_future_or_outside_the_policys_term(client, agent, policy):
    client.force_login(agent)
    url = reverse("claims:report_for", args=[policy.pk])
    future = (timezone.localtime() + datetime.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(url, form_data(occurred_at=future))
    assert "cannot have happened in the future" in response.content.decode()
    before = timezone.localtime() - datetime.timedelta(days=400)
    response = client.post(url, form_data(occurred_at=before.strftime("%Y-%m-%dT%H:%M")))
    assert "The policy was not in force on that day" in response.content.decode()
    assert not Claim.objects.exists()


def test_a_policy_the_user_cannot_see_is_a_404(client, agent):
    hidden = PolicyFactory(holder=ClientFactory(owner=UserFactory(roles=["agent"])))
    client.force_login(agent)
    assert client.get(reverse("claims:report_for", args=[hidden.pk])).status_code == 404
    response = client.post(reverse("claims:report_for", args=[hidden.pk]), form_data())
    assert response.status_code == 404
    assert client.get(reverse("claims:report_for", args=[2**70])).status_code == 404
    assert not Claim.objects.exists()


def test_the_report_form_opens_prefilled_with_the_holder(client, agent, policy):
    client.force_login(agent)
    html = client.get(reverse("claims:report_for", args=[policy.pk])).content.decode()
    assert 'value="Lucía Hernández"' in html
    assert 'name="occurred_at"' in html and 'type="datetime-local"' in html


def test_the_service_refuses_fields_it_does_not_own(agent, policy):
    with pytest.raises(ValueError):
        claim_report(policy=policy, by=agent, data=report_data(status="settled"))
