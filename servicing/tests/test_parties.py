"""A policy's parties (issue 17): the beneficiaries' shares add up to exactly 100 (Decimal: 99.99
and 100.01 are refused), one policyholder, valid CURPs and resident IDs; the parties page shows
field errors and never a 500; each change is in the history; the policy page warns when a life
or health policy names no beneficiary, and shows an auto policy's holder as the insured."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from clients.tests.factories import ClientFactory
from policies.models import Line
from policies.tests.factories import PolicyFactory
from servicing.models import PartyRole, PolicyParty
from servicing.parties import parties_errors
from servicing.services import policy_parties_set
from servicing.tests.factories import LifePolicyFactory, PartyFactory, beneficiaries

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "shares",
    [("99.99",), ("100.01",), ("50", "49.99"), ("50", "50.01"), ("33.33", "33.33", "33.33")],
)
def test_it_refuses_shares_that_do_not_add_up_to_exactly_100(shares, agent):
    policy = LifePolicyFactory(holder=ClientFactory(owner=agent), agent=agent)
    errors = parties_errors(beneficiaries(*shares))
    assert errors and "100" in " ".join(errors.messages())
    with pytest.raises(ValidationError):
        policy_parties_set(policy=policy, by=agent, parties=beneficiaries(*shares))
    assert not PolicyParty.objects.filter(policy=policy).exists()


def test_it_records_shares_that_add_up_to_100_as_decimals(agent):
    policy = LifePolicyFactory(holder=ClientFactory(owner=agent), agent=agent)
    parties = policy_parties_set(
        policy=policy, by=agent, parties=beneficiaries("33.34", "33.33", "33.33")
    )
    assert [p.share for p in parties] == [Decimal("33.34"), Decimal("33.33"), Decimal("33.33")]
    assert sum(p.share for p in parties) == Decimal("100")


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ({"role": PartyRole.INSURED, "share": Decimal("10")}, "share"),
        ({"role": PartyRole.BENEFICIARY, "share": None}, "share"),
        ({"role": PartyRole.BENEFICIARY, "share": Decimal("0")}, "share"),
        ({"role": PartyRole.INSURED, "name": " "}, "name"),
        ({"role": PartyRole.INSURED, "id_number": "GODE561231HDFRRN08"}, "id_number"),
        ({"role": PartyRole.INSURED, "id_number": "110101199003071234"}, "id_number"),
    ],
)
def test_it_names_the_field_of_a_wrong_row(row, field):
    base = {"name": "Ana Pérez", "relation": "", "id_number": "", "share": None}
    errors = parties_errors([{**base, **row}])
    assert field in errors.rows[0]


def test_it_takes_a_valid_curp_and_resident_id_and_other_ids_as_typed():
    base = {"role": PartyRole.INSURED, "name": "Ana", "relation": "", "share": None}
    for number in ("BOXW310820HNERXN09", "360426199101010071", "G12345678", ""):
        assert not parties_errors([{**base, "id_number": number}])


def test_it_allows_one_policyholder_only():
    rows = [
        {"role": PartyRole.POLICYHOLDER, "name": name, "relation": "", "id_number": "",
         "share": None}
        for name in ("Ana", "Luis")
    ]  # fmt: skip
    assert "one policyholder" in " ".join(parties_errors(rows).whole)


def test_it_replaces_the_set_and_keeps_each_change_in_the_history(agent):
    policy = LifePolicyFactory(holder=ClientFactory(owner=agent), agent=agent)
    first = policy_parties_set(policy=policy, by=agent, parties=beneficiaries("60", "40"))
    kept = {**beneficiaries("70")[0], "id": first[0].pk, "name": first[0].name}
    second = policy_parties_set(
        policy=policy, by=agent, parties=[kept, {**beneficiaries("30")[0], "name": "Nuevo"}]
    )
    assert [(p.name, p.share) for p in second] == [
        (first[0].name, Decimal("70")),
        ("Nuevo", Decimal("30")),
    ]
    history = PolicyParty.history.filter(policy_id=policy.pk)
    assert set(history.values_list("history_type", flat=True)) == {"+", "~", "-"}
    assert history.filter(history_type="-", id=first[1].pk).exists()
    assert all(h.history_user_id == agent.pk for h in history)


def test_it_refuses_a_party_of_another_policy(agent):
    other = PartyFactory()
    policy = LifePolicyFactory(holder=ClientFactory(owner=agent), agent=agent)
    with pytest.raises(ValidationError):
        policy_parties_set(
            policy=policy, by=agent, parties=[{**beneficiaries("100")[0], "id": other.pk}]
        )
    assert PolicyParty.objects.get(pk=other.pk).policy_id == other.policy_id


def _post(rows):
    data = {
        "parties-TOTAL_FORMS": str(len(rows)), "parties-INITIAL_FORMS": "0",
        "parties-MIN_NUM_FORMS": "0", "parties-MAX_NUM_FORMS": "1000",
    }  # fmt: skip
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"parties-{index}-{key}"] = value
    return data


def test_the_page_shows_field_errors_and_saves_nothing_when_shares_miss_100(client, agent):
    policy = LifePolicyFactory(holder=ClientFactory(owner=agent), agent=agent)
    client.force_login(agent)
    url = reverse("servicing:parties", args=[policy.pk])
    rows = [
        {"role": "policyholder", "name": "Ana Pérez"},
        {"role": "beneficiary", "name": "Luis", "share": "50"},
        {"role": "beneficiary", "name": "Eva", "share": "49.99"},
    ]
    response = client.post(url, _post(rows))
    assert response.status_code == 400
    assert "99.99" in response.content.decode() and "exactly" in response.content.decode()
    assert not PolicyParty.objects.exists()
    rows[1]["share"] = "abc"
    response = client.post(url, _post(rows))
    assert response.status_code == 400
    assert 'data-field-error="share"' in response.content.decode()
    rows[1]["share"] = "50.01"
    response = client.post(url, _post(rows))
    assert response.status_code == 302
    assert sorted(PolicyParty.objects.values_list("name", "share")) == [
        ("Ana Pérez", None), ("Eva", Decimal("49.99")), ("Luis", Decimal("50.01"))
    ]  # fmt: skip


def test_the_page_offers_the_holder_as_policyholder_and_insured_to_start(client, agent):
    holder = ClientFactory(owner=agent, national_id="BOXW310820HNERXN09")
    policy = LifePolicyFactory(holder=holder, agent=agent)
    client.force_login(agent)
    html = client.get(reverse("servicing:parties", args=[policy.pk])).content.decode()
    assert html.count(f'value="{holder.display_name}"') == 2
    assert html.count('value="BOXW310820HNERXN09"') == 2


def test_the_policy_page_warns_when_a_life_policy_names_no_beneficiary(client, agent):
    policy = LifePolicyFactory(holder=ClientFactory(owner=agent), agent=agent)
    client.force_login(agent)
    url = reverse("policies:detail", args=[policy.pk])
    assert 'data-testid="no-beneficiaries"' in client.get(url).content.decode()
    policy_parties_set(policy=policy, by=agent, parties=beneficiaries("100"))
    html = client.get(url).content.decode()
    assert 'data-testid="no-beneficiaries"' not in html
    assert "Beneficiario 1" in html and "100.00 %" in html


def test_an_auto_policy_shows_its_holder_as_policyholder_and_insured(client, agent):
    policy = PolicyFactory(holder=ClientFactory(owner=agent), agent=agent, line=Line.AUTO)
    client.force_login(agent)
    html = client.get(reverse("policies:detail", args=[policy.pk])).content.decode()
    assert 'data-testid="holder-is-insured"' in html
    assert 'data-testid="no-beneficiaries"' not in html


def test_a_relation_outside_the_list_is_refused():
    row = {"role": PartyRole.INSURED, "name": "Ana", "relation": "cousin", "id_number": "",
           "share": None}  # fmt: skip
    assert "relation" in parties_errors([row]).rows[0]


def test_the_page_posted_back_keeps_the_parties_left_as_they_were(client, agent):
    policy = LifePolicyFactory(holder=ClientFactory(owner=agent), agent=agent)
    first = policy_parties_set(policy=policy, by=agent, parties=beneficiaries("50", "30", "20"))
    client.force_login(agent)
    url = reverse("servicing:parties", args=[policy.pk])
    page = client.get(url).context["formset"]
    data = {
        "parties-TOTAL_FORMS": str(len(page.forms)),
        "parties-INITIAL_FORMS": str(page.initial_form_count()),
        "parties-MIN_NUM_FORMS": "0", "parties-MAX_NUM_FORMS": "1000",
    }  # fmt: skip
    for index, form in enumerate(page.forms):
        for name, field in form.fields.items():
            if name == "DELETE":
                continue
            value = form.initial.get(name, field.initial)
            data[f"parties-{index}-{name}"] = "" if value is None else str(value)
    # Only the last two change: 30 → 25 and 20 → 25; the first is posted back as it was.
    data["parties-1-share"], data["parties-2-share"] = "25", "25"
    response = client.post(url, data)
    assert response.status_code == 302
    assert list(PolicyParty.objects.order_by("position").values_list("pk", "share")) == [
        (first[0].pk, Decimal("50")), (first[1].pk, Decimal("25")), (first[2].pk, Decimal("25"))
    ]  # fmt: skip
    # Removing one needs its box ticked; the rest stay.
    data["parties-2-DELETE"], data["parties-1-share"] = "on", "50"
    assert client.post(url, data).status_code == 302
    assert list(PolicyParty.objects.values_list("pk", flat=True).order_by("pk")) == [
        first[0].pk,
        first[1].pk,
    ]
