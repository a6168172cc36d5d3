"""Every way of renewing ends the same way (policies.services.policy_renewed and the renewals
hook): the case won with the new policy, the policies linked, the call-list item closed as
renewed, the agent's points and the client's timeline. One test per route, one check."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from brokerage.accounts.tests.factories import UserFactory
from clients.models import Interaction
from imports.services import commit, job_create
from imports.tests.conftest import row, workbook
from policies.models import Policy, PolicyStatus, QuotationStatus
from policies.services import quote_accept, quote_add
from policies.tests.factories import InsurerFactory, VehicleFactory
from renewals.jobs import renewals_morning_job
from renewals.kind import RENEWAL_KIND, RENEWED
from renewals.models import CaseStatus, RenewalCase
from renewals.services import renewal_defaults, renewal_renew
from renewals.tests.conftest import TODAY, policy_ending
from workqueue.models import ItemStatus, PointsAward, WorkItem
from workqueue.services import item_record_result

pytestmark = pytest.mark.django_db


@pytest.fixture
def worked(ladders, agent):
    """An auto policy with its vehicle, ending in 30 days, with its case and its touch in the
    agent's call list."""
    policy = policy_ending(30, owner=agent, insurer=InsurerFactory(name="HDI Seguros", code="hdi"))
    VehicleFactory(policy=policy, plate="ABC0001")
    renewals_morning_job(day=TODAY)
    return {
        "policy": policy,
        "item": WorkItem.objects.get(kind=RENEWAL_KIND),
        "case": RenewalCase.objects.get(policy=policy),
    }


def assert_renewal_ended(worked, new: Policy, *, agent):
    old = Policy.objects.get(pk=worked["policy"].pk)
    case = RenewalCase.objects.get(pk=worked["case"].pk)
    item = WorkItem.objects.get(pk=worked["item"].pk)
    assert new.previous_policy_id == old.pk and old.status == PolicyStatus.RENEWED
    assert (case.status, case.new_policy_id, case.closed_at is not None) == (
        CaseStatus.WON, new.pk, True,
    )  # fmt: skip
    assert (item.status, item.result) == (ItemStatus.DONE, RENEWED.code)
    award = PointsAward.objects.get(kind=RENEWAL_KIND, subject_id=case.pk)
    assert award.agent == agent and award.premium == new.premium
    assert Interaction.objects.filter(client=old.holder, summary__contains=str(new.number)).exists()


def test_it_ends_a_renewal_from_the_renew_button(worked, agent):
    data = renewal_defaults(case=worked["case"])
    data.pop("vehicles", None)
    new = renewal_renew(case=worked["case"], by=agent, number="HDI-NEW-1", **data)
    assert_renewal_ended(worked, new, agent=agent)
    assert new.vehicles.get().plate == "ABC0001"


def test_it_prefills_the_buy_form_of_a_renewal_quote_from_the_expiring_policy(
    worked, agent, client
):
    item = item_record_result(item=worked["item"], by=agent, result="interested")
    quotation = RenewalCase.objects.get(pk=worked["case"].pk).quotation
    assert item.next_url == reverse("policies:quotation", args=[quotation.pk])
    client.force_login(agent)
    response = client.get(reverse("policies:quote_accept", args=[quotation.quotes.get().pk]))
    old = worked["policy"]
    form, vehicle_form = response.context["form"], response.context["vehicle_form"]
    assert form["start_date"].value() == old.end_date
    assert form["end_date"].value() == old.end_date.replace(year=old.end_date.year + 1)
    assert form["payment_frequency"].value() == old.payment_frequency
    vehicle = old.vehicles.get()
    assert (vehicle_form["vin"].value(), vehicle_form["plate"].value()) == (
        vehicle.vin, vehicle.plate,
    )  # fmt: skip


def test_it_ends_a_renewal_when_the_client_buys_a_renewal_quote(worked, agent, client):
    """Call list → Interested → the renewal quotation → another quote → the client buys it."""
    item_record_result(item=worked["item"], by=agent, result="interested")
    quotation = RenewalCase.objects.get(pk=worked["case"].pk).quotation
    rival = InsurerFactory(name="GNP", code="gnp")
    quote = quote_add(
        quotation=quotation, by=agent, insurer=rival, premium=Decimal("11800.00"),
        currency="MXN", coverage="Amplia", valid_until=TODAY + datetime.timedelta(days=20),
    )  # fmt: skip
    client.force_login(agent)
    url = reverse("policies:quote_accept", args=[quote.pk])
    form = client.get(url).context
    posted = {"number": "GNP-77", "payment_frequency": "annual", "general_conditions": ""}
    for name in ("start_date", "end_date"):
        posted[name] = form["form"][name].value().isoformat()
    for name in ("make", "model", "year", "vin", "plate", "use"):
        posted[f"vehicle-{name}"] = form["vehicle_form"][name].value()
    response = client.post(url, posted)
    assert response.status_code == 302, response.context["form"].errors
    new = Policy.objects.get(number="GNP-77")
    assert_renewal_ended(worked, new, agent=agent)
    assert new.insurer == rival and new.vehicles.get().plate == "ABC0001"
    quotation.refresh_from_db()
    assert quotation.status == QuotationStatus.WON


def test_it_refuses_to_buy_a_renewal_quote_of_a_policy_already_renewed(worked, agent):
    item_record_result(item=worked["item"], by=agent, result="interested")
    quote = RenewalCase.objects.get(pk=worked["case"].pk).quotation.quotes.get()
    data = renewal_defaults(case=worked["case"])
    data.pop("vehicles", None)
    renewal_renew(case=worked["case"], by=agent, number="HDI-NEW-1", **data)
    with pytest.raises(ValidationError, match="already renewed"):
        quote_accept(
            quote=quote, by=agent, number="HDI-NEW-2", start_date=data["start_date"],
            end_date=data["end_date"], payment_frequency="annual",
        )  # fmt: skip
    assert not Policy.objects.filter(number="HDI-NEW-2").exists()


def test_it_ends_a_renewal_when_an_import_shows_the_new_term(worked, agent):
    """The insurer's report lists the next term under a new number: same client (tax ID),
    same line, starting when the old one ends, same vehicle."""
    old = worked["policy"]
    old.holder.tax_id = "PEPC000001AB1"
    old.holder.save(update_fields=["tax_id"])
    start, end = old.end_date, old.end_date.replace(year=old.end_date.year + 1)
    maint = UserFactory(roles=["maintainer"])
    data = workbook([row(
        1, **{"No. de Póliza": "HDI-NEW-9", "Inicio de vigencia": start.strftime("%d/%m/%Y"),
              "Fin de vigencia": end.strftime("%d/%m/%Y")},
    )])  # fmt: skip
    job, _table = job_create(insurer=old.insurer, by=maint, name="renovadas.xlsx", data=data)
    commit(job)
    new = Policy.objects.get(number="HDI-NEW-9")
    assert new.holder == old.holder
    # A maintainer's import: the points go to the agent of the old policy.
    assert_renewal_ended(worked, new, agent=agent)


def test_it_leaves_a_new_policy_of_another_vehicle_unlinked(worked, agent):
    old = worked["policy"]
    old.holder.tax_id = "PEPC000001AB1"
    old.holder.save(update_fields=["tax_id"])
    start, end = old.end_date, old.end_date.replace(year=old.end_date.year + 1)
    maint = UserFactory(roles=["maintainer"])
    data = workbook([row(
        1, **{"No. de Póliza": "HDI-NEW-9", "Inicio de vigencia": start.strftime("%d/%m/%Y"),
              "Fin de vigencia": end.strftime("%d/%m/%Y"), "Placas": "ZZZ999"},
    )])  # fmt: skip
    job, _table = job_create(insurer=old.insurer, by=maint, name="nuevas.xlsx", data=data)
    commit(job)
    assert Policy.objects.get(number="HDI-NEW-9").previous_policy is None
    assert RenewalCase.objects.get(pk=worked["case"].pk).status == CaseStatus.OPEN
