"""Partner repair shops and where a claim's vehicle was repaired (issue 16). The directory:
agents read it, maintainers, managers and administrators keep it (an agent's POST is refused
and changes nothing); its list filters and pages in a fixed number of queries. The claim page
records the repair place by whoever works the claim: a partner shop (送修, the shop required)
or elsewhere (外修, the reason required, a note with "other"), the amount never negative, each
refusal a field error (never a 500); each record in the history and on the timeline; the
partner shops that work with the claim's insurer are offered first, also to the first
follow-up."""

from decimal import Decimal

import pytest
from django.urls import reverse

from brokerage.accounts.tests.factories import TeamFactory, UserFactory
from claims import repair, services
from claims.models import Claim, OutsideReason, RepairPlace, RepairShop
from claims.tests.factories import RepairShopFactory, report
from clients.models import Interaction
from clients.tests.factories import ClientFactory
from policies.tests.factories import InsurerFactory, PolicyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    manager = UserFactory(roles=["manager"])
    team = TeamFactory(manager=manager)
    owner = UserFactory(roles=["agent"], team=team)
    insurer = InsurerFactory(name="Qualitas")
    policy = PolicyFactory(holder=ClientFactory(owner=owner), agent=owner, insurer=insurer)
    claim = report(policy=policy, by=owner)
    services.claim_record_contact(claim=claim, by=owner)
    shops = {
        "ours": RepairShopFactory(name="Carrocerías del Valle", insurers=[insurer]),
        "partner": RepairShopFactory(name="Autopintura Coyoacán"),
        "other": RepairShopFactory(name="Agencia Nissan Sur", partner=False),
        "closed": RepairShopFactory(name="Taller Cerrado", active=False),
    }
    users = {
        "owner": owner, "manager": manager,
        "outsider": UserFactory(roles=["agent"], team=TeamFactory()),
        "maintainer": UserFactory(roles=["maintainer"]), "admin": UserFactory(roles=["admin"]),
    }  # fmt: skip
    return users, claim, shops, insurer


# --- the directory --------------------------------------------------------------------------

SHOP_POST = {
    "name": "Hojalatería Tlalpan", "address": "Calz. de Tlalpan 2200, CDMX",
    "phone": "+525556781234", "brands": "Nissan, Chevrolet", "partner": "on", "active": "on",
    "notes": "Entrega en 5 días",
}  # fmt: skip


def test_it_lets_an_agent_read_the_directory_but_not_change_it(client, world):
    users, _claim, shops, insurer = world
    client.force_login(users["owner"])
    listed = client.get(reverse("claims:repair_shops")).content.decode()
    assert "Carrocerías del Valle" in listed and "Agencia Nissan Sur" in listed
    assert "Taller Cerrado" not in listed  # inactive: only with "inactive shops too"
    assert reverse("claims:repair_shop_new") not in listed
    assert client.get(reverse("claims:repair_shop_new")).status_code == 403
    assert client.post(reverse("claims:repair_shop_new"), SHOP_POST).status_code == 403
    edit = reverse("claims:repair_shop_edit", args=[shops["ours"].pk])
    assert client.post(edit, {**SHOP_POST, "name": "Otro nombre"}).status_code == 403
    assert not RepairShop.objects.filter(name__in=["Hojalatería Tlalpan", "Otro nombre"]).exists()


def test_it_keeps_the_directory_from_those_outside_the_brokerage_staff(client, world):
    response = client.get(reverse("claims:repair_shops"))
    assert response.status_code == 302 and "login" in response["Location"]
    client.force_login(UserFactory(roles=[]))
    assert client.get(reverse("claims:repair_shops")).status_code == 403


@pytest.mark.parametrize("role", ["maintainer", "manager", "admin"])
def test_it_lets_maintainers_managers_and_admins_add_and_change_shops(client, world, role):
    users, _claim, shops, insurer = world
    client.force_login(users[role])
    response = client.post(
        reverse("claims:repair_shop_new"), {**SHOP_POST, "insurers": [insurer.pk]}
    )
    assert response.status_code == 302
    shop = RepairShop.objects.get(name="Hojalatería Tlalpan")
    assert shop.partner and list(shop.insurers.all()) == [insurer]
    assert shop.brand_list == ["Nissan", "Chevrolet"]
    assert shop.history.first().history_user == users[role]
    response = client.post(
        reverse("claims:repair_shop_edit", args=[shop.pk]),
        {**SHOP_POST, "partner": "", "notes": "Ya no es aliado"},
    )  # fmt: skip
    shop.refresh_from_db()
    assert response.status_code == 302 and not shop.partner and shop.notes == "Ya no es aliado"
    assert list(shop.insurers.all()) == []
    assert shop.history.first().partner is False and shop.history.last().partner is True


def test_it_says_a_name_is_taken_and_a_phone_is_wrong_as_field_errors(client, world):
    users, _claim, shops, _insurer = world
    client.force_login(users["maintainer"])
    response = client.post(
        reverse("claims:repair_shop_new"), {**SHOP_POST, "name": "carrocerías DEL valle"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["name"] == [
        "A shop with this name is already in the directory."
    ]
    response = client.post(reverse("claims:repair_shop_new"), {**SHOP_POST, "phone": "12"})
    assert "phone" in response.context["form"].errors
    assert RepairShop.objects.count() == 4


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"q": "valle"}, {"Carrocerías del Valle"}),
        ({"partner": "no"}, {"Agencia Nissan Sur"}),
        ({"partner": "yes"}, {"Carrocerías del Valle", "Autopintura Coyoacán"}),
        ({"brand": "toyota", "partner": "yes"}, {"Carrocerías del Valle", "Autopintura Coyoacán"}),
        ({"brand": "ferrari"}, set()),
        ({"insurer": "INSURER"}, {"Carrocerías del Valle"}),
        ({"inactive": "1", "q": "cerrado"}, {"Taller Cerrado"}),
    ],
)
def test_it_filters_the_directory(client, world, query, expected):
    users, _claim, _shops, insurer = world
    query = {k: (insurer.pk if v == "INSURER" else v) for k, v in query.items()}
    client.force_login(users["owner"])
    page = client.get(reverse("claims:repair_shops"), query).context["page"]
    assert {shop.name for shop in page.object_list} == expected


@pytest.mark.parametrize("n", [1, 8])
def test_the_directory_reads_a_fixed_number_of_queries(
    client, world, n, django_assert_max_num_queries
):
    users, _claim, _shops, insurer = world
    for _ in range(n):
        RepairShopFactory(insurers=[insurer, InsurerFactory()])
    client.force_login(users["maintainer"])
    with django_assert_max_num_queries(12):
        response = client.get(reverse("claims:repair_shops"))
    assert len(response.context["page"].object_list) == 3 + n
    assert response.content.decode().count('data-testid="shop-row"') == 3 + n


# --- the claim's repair ---------------------------------------------------------------------


def _post(client, claim, **data):
    return client.post(reverse("claims:repair", args=[claim.pk]), data)


def test_it_records_a_referral_to_a_partner_shop_in_history_and_timeline(client, world):
    users, claim, shops, _insurer = world
    client.force_login(users["owner"])
    response = _post(client, claim, repair_place="partner", repair_shop=shops["ours"].pk,
                     repair_amount="12500.50", outside_reason="dealer")  # fmt: skip
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.repair_place == RepairPlace.PARTNER and claim.repair_shop == shops["ours"]
    assert claim.outside_reason == "" and claim.repair_amount == Decimal("12500.50")
    assert claim.repair_recorded_by == users["owner"] and claim.repair_recorded_at is not None
    assert claim.history.first().repair_shop_id == shops["ours"].pk
    entry = Interaction.objects.get(client=claim.policy.holder, message=repair.REFERRED)
    assert entry.params == {"claim": claim.reference, "shop": "Carrocerías del Valle"}
    page = client.get(reverse("clients:detail", args=[claim.policy.holder_id]))
    assert (
        f"Claim {claim.reference}: referred to the partner shop Carrocerías del Valle."
        in page.content.decode()
    )


def test_a_correction_keeps_the_month_it_was_first_recorded(client, world):
    users, claim, shops, _insurer = world
    first = repair.claim_repair_record(
        claim=claim, by=users["owner"],
        data={"repair_place": "partner", "repair_shop": shops["partner"]},
    )  # fmt: skip
    client.force_login(users["maintainer"])
    response = _post(client, claim, repair_place="elsewhere", repair_shop=shops["other"].pk,
                     outside_reason="other", outside_reason_note="Taller del cuñado")  # fmt: skip
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.repair_place == RepairPlace.ELSEWHERE and claim.repair_shop == shops["other"]
    assert claim.outside_reason == OutsideReason.OTHER
    assert claim.outside_reason_note == "Taller del cuñado"
    assert claim.repair_recorded_at == first.repair_recorded_at
    assert claim.repair_recorded_by == users["owner"]
    assert [h.repair_place for h in claim.history.all()[:2]] == ["elsewhere", "partner"]
    assert Interaction.objects.filter(message=repair.REFERRED).count() == 1
    page = client.get(reverse("clients:detail", args=[claim.policy.holder_id])).content.decode()
    assert (
        f"Claim {claim.reference}: repaired elsewhere (Agencia Nissan Sur): Other. Taller del "
        "cuñado" in page
    )


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"repair_place": "partner"}, "repair_shop",
         "Choose the partner shop the vehicle was referred to."),
        ({"repair_place": "partner", "repair_shop": "other"}, "repair_shop",
         "Agencia Nissan Sur is not a partner shop: record the repair as elsewhere."),
        ({"repair_place": "elsewhere", "repair_shop": "partner", "outside_reason": "too_far"},
         "repair_shop",
         "Autopintura Coyoacán is a partner shop: record the repair as referred to a partner "
         "shop."),
        ({"repair_place": "elsewhere"}, "outside_reason", "Say why it was repaired elsewhere."),
        ({"repair_place": "elsewhere", "outside_reason": "other"}, "outside_reason_note",
         "Say what the other reason is."),
        ({"repair_place": "elsewhere", "outside_reason": "other", "outside_reason_note": "  "},
         "outside_reason_note", "Say what the other reason is."),
        ({"repair_place": "partner", "repair_shop": "ours", "repair_amount": "-1"},
         "repair_amount", "The amount must be between 0 and 9999999999.99."),
        ({"repair_place": "partner", "repair_shop": "closed"}, "repair_shop", None),
        ({"repair_place": "partner", "repair_shop": "ours", "repair_amount": "abc"},
         "repair_amount", None),
        ({"repair_place": "nowhere"}, "repair_place", None),
        ({"repair_place": "partner", "repair_shop": "999999999"}, "repair_shop", None),
    ],
)  # fmt: skip
def test_it_refuses_an_incomplete_repair_with_field_errors(client, world, data, field, message):
    users, claim, shops, _insurer = world
    data = {k: (shops[v].pk if k == "repair_shop" and v in shops else v) for k, v in data.items()}
    client.force_login(users["owner"])
    response = _post(client, claim, **data)
    assert response.status_code == 400
    errors = response.context["repair_form"].errors
    assert field in errors
    if message:
        assert errors[field] == [message]
        assert message.replace("'", "&#x27;") in response.content.decode()
    claim.refresh_from_db()
    assert claim.repair_place == "" and claim.repair_recorded_at is None
    assert not Interaction.objects.filter(message__startswith="claims.repair").exists()


def test_it_waits_for_the_first_contact_and_refuses_a_withdrawn_claim(client, world):
    users, claim, shops, _insurer = world
    fresh = report(policy=claim.policy, by=users["owner"])
    client.force_login(users["owner"])
    response = _post(client, fresh, repair_place="partner", repair_shop=shops["ours"].pk)
    assert response.status_code == 400
    assert "Record the first contact before where the vehicle is repaired." in (
        response.content.decode()
    )
    services.claim_set_status(claim=claim, by=users["owner"], status="withdrawn")
    response = _post(client, claim, repair_place="partner", repair_shop=shops["ours"].pk)
    assert response.status_code == 400
    assert not Claim.objects.filter(repair_place__gt="").exists()


@pytest.mark.parametrize("role", ["outsider", "manager", "maintainer"])
def test_only_those_who_see_the_claim_record_its_repair(client, world, role):
    users, claim, shops, _insurer = world
    client.force_login(users[role])
    response = _post(client, claim, repair_place="partner", repair_shop=shops["ours"].pk)
    claim.refresh_from_db()
    if role == "outsider":
        assert response.status_code == 404 and claim.repair_place == ""
    else:
        assert response.status_code == 302 and claim.repair_shop == shops["ours"]


def test_the_claim_page_offers_the_partner_shops_of_the_claims_insurer_first(client, world):
    users, claim, shops, insurer = world
    client.force_login(users["owner"])
    response = client.get(reverse("claims:detail", args=[claim.pk]))
    offered = [s.name for s in response.context["repair_shops"]]
    assert offered == ["Carrocerías del Valle", "Autopintura Coyoacán", "Agencia Nissan Sur"]
    assert [s.name for s in response.context["partner_shops"]] == offered[:2]
    html = response.content.decode()
    assert "Partner shops working with Qualitas" in html
    assert html.index("Carrocerías del Valle") < html.index("Autopintura Coyoacán")
    assert 'data-testid="follow-up-shop"' in html


def test_the_first_follow_up_steers_the_repair_to_the_chosen_partner_shop(client, world):
    users, claim, shops, _insurer = world
    client.force_login(users["owner"])
    response = client.post(
        reverse("claims:follow_up", args=[claim.pk]),
        {"cause_and_liability": "Alcance; responsable el tercero", "damage": "Defensa",
         "repair_shop": shops["ours"].pk, "repair_wish": "quiere auto sustituto"},
    )  # fmt: skip
    assert response.status_code == 302
    wish = claim.follow_ups.get().repair_wish
    assert wish == "Carrocerías del Valle (partner shop): quiere auto sustituto"
