"""The policy pages: the policy form with its vehicle, the list, the file, cancelling, the PDF,
and quotations from comparison to purchase or follow-up."""

import datetime
import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import formats, timezone
from pypdf import PdfReader

from brokerage.accounts.tests.factories import UserFactory
from clients.models import ClientStatus
from clients.tests.factories import ClientFactory
from policies.models import (
    Line,
    Policy,
    PolicyStatus,
    Quotation,
    QuotationStatus,
    Quote,
    QuoteStatus,
    Vehicle,
)
from policies.schedule import instalment_schedule
from policies.tests.factories import (
    InsurerFactory,
    PolicyFactory,
    QuotationFactory,
    QuoteFactory,
    VehicleFactory,
    make_vin,
)
from workqueue.models import ItemStatus, WorkItem

pytestmark = pytest.mark.django_db

# Measured on PostgreSQL with 5 policies and asserted unchanged for 60: session, user and
# roles (3), co-assigned ids, count, the insurers of the filter, the page (holder, insurer and
# agent joined), and the session's save (3).
POLICY_LIST_QUERIES = 10

TODAY = timezone.localdate()


def _day(days: int) -> str:
    return (TODAY + datetime.timedelta(days=days)).isoformat()


def _ungrouped(text: str) -> str:
    """Amounts without their thousands separators: "12,500.50" reads "12500.50"."""
    return re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)


@pytest.fixture
def holder(agent):
    return ClientFactory(owner=agent, first_name="Ana", last_name="López")


@pytest.fixture
def insurer():
    return InsurerFactory(name="HDI Seguros", code="hdi", preferred=True)


def _policy_data(insurer, **changes):
    data = {
        "insurer": insurer.pk,
        "number": "HDI-001",
        "line": "auto",
        "coverage": "Amplia",
        "premium": "12500.50",
        "currency": "MXN",
        "payment_frequency": "quarterly",
        "start_date": _day(0),
        "end_date": _day(365),
        "general_conditions": "Condiciones generales de HDI, edición 2024.",
        "vehicle-make": "Nissan",
        "vehicle-model": "Versa",
        "vehicle-year": "2022",
        "vehicle-vin": make_vin(12345),
        "vehicle-plate": "abc-123",
        "vehicle-use": "private",
    }
    data.update(changes)
    return data


# --- The policy form ------------------------------------------------------------------------


def test_it_creates_an_auto_policy_with_its_vehicle(client, agent, holder, insurer):
    client.force_login(agent)
    response = client.post(reverse("policies:create", args=[holder.pk]), _policy_data(insurer))
    policy = Policy.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("policies:detail", args=[policy.pk])
    assert policy.number == "HDI-001"
    assert policy.agent == agent
    assert policy.premium == Decimal("12500.50")
    vehicle = policy.vehicles.get()
    assert (vehicle.vin, vehicle.plate) == (make_vin(12345), "ABC123")
    holder.refresh_from_db()
    assert holder.status == ClientStatus.ACTIVE


def _bad_vin():
    vin = make_vin(12345)
    return vin[:9] + "O" + vin[10:]  # the letter O at position 10


def test_it_names_the_bad_vin_character_and_saves_nothing(client, agent, holder, insurer):
    client.force_login(agent)
    response = client.post(
        reverse("policies:create", args=[holder.pk]),
        _policy_data(insurer, **{"vehicle-vin": _bad_vin()}),
    )
    assert response.status_code == 200
    errors = response.context["vehicle_form"].errors
    assert list(errors) == ["vin"]
    assert "Character 10 is “O”" in errors["vin"][0]
    assert "Character 10 is “O”" in response.content.decode()
    assert not Policy.objects.exists()
    assert not Vehicle.objects.exists()


def test_it_names_a_wrong_check_digit_and_saves_nothing(client, agent, holder, insurer):
    vin = make_vin(12345)
    wrong = "X" if vin[8] != "X" else "0"
    client.force_login(agent)
    response = client.post(
        reverse("policies:create", args=[holder.pk]),
        _policy_data(insurer, **{"vehicle-vin": vin[:8] + wrong + vin[9:]}),
    )
    assert response.status_code == 200
    assert "check digit" in response.context["vehicle_form"].errors["vin"][0]
    assert not Policy.objects.exists()
    assert not Vehicle.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"start_date": _day(10), "end_date": _day(5)}, "end_date"),
        ({"end_date": _day(0)}, "end_date"),
        ({"premium": "-1.00"}, "premium"),
    ],
    ids=["end-before-start", "end-on-start", "negative-premium"],
)
def test_it_puts_the_error_on_the_field_and_saves_nothing(
    client, agent, holder, insurer, changes, field
):
    client.force_login(agent)
    response = client.post(
        reverse("policies:create", args=[holder.pk]), _policy_data(insurer, **changes)
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.errors) == [field]
    assert f'id="error_1_id_{field}"' in response.content.decode()
    assert not Policy.objects.exists()
    assert not Vehicle.objects.exists()


@pytest.mark.parametrize(
    "typed",
    [
        "HDI-001",
        " HDI-001 ",
        "hdi-001",
    ],
)
def test_it_puts_a_duplicate_number_on_the_number_field(client, agent, holder, insurer, typed):
    PolicyFactory(holder=holder, insurer=insurer, number="HDI-001")
    client.force_login(agent)
    response = client.post(
        reverse("policies:create", args=[holder.pk]), _policy_data(insurer, number=typed)
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "number" in form.errors, form.errors
    assert "already has a policy numbered HDI-001" in form.errors["number"][0]
    assert Policy.objects.count() == 1
    assert not Vehicle.objects.exists()


def test_it_accepts_the_same_number_at_another_insurer(client, agent, holder, insurer):
    PolicyFactory(holder=holder, insurer=InsurerFactory(code="gnp"), number="HDI-001")
    client.force_login(agent)
    response = client.post(reverse("policies:create", args=[holder.pk]), _policy_data(insurer))
    assert response.status_code == 302
    assert Policy.objects.count() == 2


def test_it_creates_a_health_policy_without_a_vehicle(client, agent, holder, insurer):
    client.force_login(agent)
    data = {k: v for k, v in _policy_data(insurer, line="health").items() if "vehicle" not in k}
    response = client.post(reverse("policies:create", args=[holder.pk]), data)
    assert response.status_code == 302
    assert Policy.objects.get().line == Line.HEALTH
    assert not Vehicle.objects.exists()


# --- The policy list ------------------------------------------------------------------------


@pytest.fixture
def portfolio(agent, holder, insurer):
    other_insurer = InsurerFactory(name="GNP Seguros", code="gnp")
    return {
        "soon": PolicyFactory(
            holder=holder,
            insurer=insurer,
            start_date=TODAY - datetime.timedelta(days=355),
            end_date=TODAY + datetime.timedelta(days=10),
        ),
        "later": PolicyFactory(
            holder=holder,
            insurer=other_insurer,
            line=Line.HEALTH,
            start_date=TODAY - datetime.timedelta(days=265),
            end_date=TODAY + datetime.timedelta(days=100),
        ),
        "cancelled": PolicyFactory(
            holder=holder,
            insurer=insurer,
            status=PolicyStatus.CANCELLED,
            start_date=TODAY - datetime.timedelta(days=300),
            end_date=TODAY + datetime.timedelta(days=65),
        ),
        "expired": PolicyFactory(
            holder=holder,
            insurer=other_insurer,
            status=PolicyStatus.EXPIRED,
            start_date=TODAY - datetime.timedelta(days=400),
            end_date=TODAY - datetime.timedelta(days=35),
        ),
        "other_insurer": other_insurer,
    }


def _policies(response):
    return {p.pk for p in response.context["page"].object_list}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, {"soon", "later", "cancelled", "expired"}),
        ({"status": "active"}, {"soon", "later"}),
        ({"status": "cancelled"}, {"cancelled"}),
        ({"line": "health"}, {"later"}),
        ({"line": "auto", "status": "active"}, {"soon"}),
        ({"insurer": "other"}, {"later", "expired"}),
        ({"ends_within": "30"}, {"soon"}),
        ({"ends_within": "90"}, {"soon", "cancelled"}),
        ({"ends_within": "120"}, {"soon", "later", "cancelled"}),
    ],
)
def test_it_filters_the_policy_list(client, agent, portfolio, params, expected):
    if params.get("insurer") == "other":
        params = {**params, "insurer": portfolio["other_insurer"].pk}
    client.force_login(agent)
    response = client.get(reverse("policies:list"), params)
    assert _policies(response) == {portfolio[name].pk for name in expected}


@pytest.mark.parametrize("typed", ["HDI-0042-77", "hdi-0042-77", " hdi-0042-77 "])
def test_it_finds_a_policy_by_its_number_as_printed(client, agent, holder, insurer, typed):
    wanted = PolicyFactory(holder=holder, insurer=insurer, number="HDI-0042-77")
    PolicyFactory(holder=holder, insurer=insurer, number="HDI-0042-78")
    client.force_login(agent)
    assert _policies(client.get(reverse("policies:list"), {"q": typed})) == {wanted.pk}


def test_it_finds_a_dashed_policy_number_typed_without_dashes(client, agent, holder, insurer):
    wanted = PolicyFactory(holder=holder, insurer=insurer, number="HDI-0042-77")
    client.force_login(agent)
    assert _policies(client.get(reverse("policies:list"), {"q": "HDI004277"})) == {wanted.pk}


def test_it_answers_htmx_with_the_policy_table_only(client, agent, portfolio):
    client.force_login(agent)
    response = client.get(
        reverse("policies:list"),
        {"status": "active"},
        headers={"HX-Request": "true", "HX-Target": "policy-table"},
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="policy-table">')
    assert "<nav" not in html
    assert html.count("data-policy=") == 2


@pytest.mark.parametrize("n", [5, 60])
def test_it_lists_policies_in_a_fixed_number_of_queries(
    client, agent, n, django_assert_max_num_queries
):
    insurers = [InsurerFactory() for _ in range(3)]
    agents = [agent, UserFactory(roles=["agent"])]
    for i in range(n):
        holder = ClientFactory(owner=agent, co_agents=[agents[1]])
        PolicyFactory(holder=holder, insurer=insurers[i % 3], agent=agents[i % 2])
    client.force_login(agent)
    with django_assert_max_num_queries(POLICY_LIST_QUERIES):
        response = client.get(reverse("policies:list"), {"status": "active"})
    assert len(_policies(response)) == min(n, 50)


# --- The policy file ------------------------------------------------------------------------


def _section(html: str, title: str) -> str:
    match = re.search(
        rf'<section[^>]*>\s*<div class="card-header[^"]*">(?:<span[^>]*>)?{title}.*?</section>',
        html,
        re.S,
    )
    assert match, f"no section {title}"
    return match.group(0)


def test_it_shows_the_vehicles_and_the_history_of_an_edit(client, agent, holder, insurer):
    policy = PolicyFactory(holder=holder, insurer=insurer, number="HDI-777", coverage="Amplia")
    vehicle = VehicleFactory(policy=policy, make="Mazda", model="CX-5", year=2021, plate="MZD123")
    client.force_login(agent)
    data = {
        "insurer": insurer.pk,
        "number": "HDI-777",
        "line": "auto",
        "coverage": "Limitada",
        "premium": "9900.00",
        "currency": "MXN",
        "payment_frequency": "annual",
        "start_date": policy.start_date.isoformat(),
        "end_date": policy.end_date.isoformat(),
        "general_conditions": "",
    }
    response = client.post(reverse("policies:edit", args=[policy.pk]), data)
    assert response.status_code == 302
    response = client.post(
        reverse("policies:vehicle_edit", args=[policy.pk, vehicle.pk]),
        {
            "vehicle-make": "Mazda",
            "vehicle-model": "CX-5",
            "vehicle-year": "2021",
            "vehicle-vin": vehicle.vin,
            "vehicle-plate": "mzd-999",
            "vehicle-use": "private",
        },
    )
    assert response.status_code == 302

    html = client.get(reverse("policies:detail", args=[policy.pk])).content.decode()
    vehicles = _section(html, "Vehicles")
    assert "Mazda CX-5 2021" in vehicles
    assert vehicle.vin in vehicles
    assert "MZD999" in vehicles
    history = _ungrouped(_section(html, "History"))
    coverage = re.search(r'<tr data-field="coverage">.*?</tr>', history, re.S).group(0)
    assert '<del class="text-danger">Amplia</del>' in coverage
    assert '<ins class="text-success">Limitada</ins>' in coverage
    premium = re.search(r'<tr data-field="premium">.*?</tr>', history, re.S).group(0)
    assert "12500.00" in premium and "9900.00" in premium
    assert str(agent) in history
    plate = re.search(
        r'<tr data-field="plate">.*?</tr>', _section(html, "Vehicle history"), re.S
    ).group(0)
    assert "MZD123" in plate and "MZD999" in plate


def test_it_cancels_only_with_a_reason_and_a_date(client, agent, holder, insurer):
    policy = PolicyFactory(holder=holder, insurer=insurer)
    client.force_login(agent)
    url = reverse("policies:cancel", args=[policy.pk])
    response = client.post(url, {"on": "", "reason": ""})
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"on", "reason"}
    response = client.post(url, {"on": _day(0), "reason": "   "})
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"reason"}
    policy.refresh_from_db()
    assert policy.status == PolicyStatus.ACTIVE

    response = client.post(url, {"on": _day(0), "reason": "El cliente vendió el auto"})
    assert response.status_code == 302
    policy.refresh_from_db()
    assert policy.status == PolicyStatus.CANCELLED
    assert policy.cancelled_on == TODAY
    assert policy.cancel_reason == "El cliente vendió el auto"
    html = client.get(reverse("policies:detail", args=[policy.pk])).content.decode()
    assert "El cliente vendió el auto" in html
    assert "Cancel policy" not in html


def test_it_refuses_a_cancellation_date_outside_the_validity(client, agent, holder, insurer):
    policy = PolicyFactory(holder=holder, insurer=insurer)
    client.force_login(agent)
    response = client.post(
        reverse("policies:cancel", args=[policy.pk]),
        {"on": (policy.end_date + datetime.timedelta(days=1)).isoformat(), "reason": "Venta"},
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"on"}
    policy.refresh_from_db()
    assert policy.status == PolicyStatus.ACTIVE


# --- The policy PDF -------------------------------------------------------------------------


def _pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def _squash(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize(
    ("first_name", "last_name", "display"),
    [("José", "Ñúñez", "José Ñúñez"), ("华", "李", "李华")],
    ids=["spanish", "chinese"],
)
def test_it_prints_the_policy_pdf(client, agent, insurer, first_name, last_name, display):
    holder = ClientFactory(owner=agent, first_name=first_name, last_name=last_name)
    assert holder.display_name == display
    policy = PolicyFactory(
        holder=holder,
        insurer=insurer,
        number="HDI-2024-0001",
        coverage="Amplia con asistencia vial",
        premium=Decimal("12500.50"),
        payment_frequency="quarterly",
        start_date=datetime.date(2025, 3, 1),
        end_date=datetime.date(2026, 3, 1),
        general_conditions="Deducible de 5 % por daños materiales y 10 % por robo total.",
    )
    vehicle = VehicleFactory(policy=policy, make="Nissan", model="Versa", year=2022)
    client.force_login(agent)

    response = client.get(reverse("policies:pdf", args=[policy.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="policy-hdi-HDI-2024-0001.pdf"' in response["Content-Disposition"]
    text = _ungrouped(_squash(_pdf_text(response.content)))
    assert display in text
    assert "Nissan" in text and "Versa" in text and "2022" in text
    assert vehicle.vin in text
    assert "Amplia con asistencia vial" in text
    assert "Payment frequency: Quarterly" in text
    instalments = instalment_schedule(
        premium=policy.premium,
        frequency=policy.payment_frequency,
        start=policy.start_date,
        end=policy.end_date,
    )
    assert [i.amount for i in instalments] == [Decimal("3125.14")] + [Decimal("3125.12")] * 3
    for instalment in instalments:
        assert f"{instalment.amount} MXN" in text
        assert formats.date_format(instalment.due_on, "DATE_FORMAT") in text
    assert "12500.50 MXN" in text
    validity = (
        f"{formats.date_format(policy.start_date, 'DATE_FORMAT')} – "
        f"{formats.date_format(policy.end_date, 'DATE_FORMAT')}"
    )
    assert validity in text
    assert "Deducible de 5 % por daños materiales y 10 % por robo total." in text


# --- Quotations -----------------------------------------------------------------------------


def _quotation_post(quotes):
    data = {
        "line": "auto",
        "description": "Seguro para la camioneta nueva",
        "quote-TOTAL_FORMS": "4",
        "quote-INITIAL_FORMS": "0",
        "quote-MIN_NUM_FORMS": "1",
        "quote-MAX_NUM_FORMS": "1000",
    }
    for i in range(4):
        quote = quotes[i] if i < len(quotes) else {}
        data.update(
            {
                f"quote-{i}-insurer": quote.get("insurer", ""),
                f"quote-{i}-premium": quote.get("premium", ""),
                f"quote-{i}-currency": quote.get("currency", "MXN"),
                f"quote-{i}-coverage": quote.get("coverage", ""),
                f"quote-{i}-valid_until": quote.get("valid_until", ""),
            }
        )
    return data


def test_it_compares_two_quotes_with_the_preferred_insurer_first(client, agent, holder, insurer):
    cheaper = InsurerFactory(name="Qualitas", code="qualitas", preferred=False)
    client.force_login(agent)
    response = client.post(
        reverse("policies:quotation_create", args=[holder.pk]),
        _quotation_post(
            [
                {
                    "insurer": cheaper.pk,
                    "premium": "8400.00",
                    "coverage": "Amplia, deducible 10 %",
                    "valid_until": _day(30),
                },
                {
                    "insurer": insurer.pk,
                    "premium": "9100.00",
                    "coverage": "Amplia, deducible 5 %",
                    "valid_until": _day(30),
                },
            ]
        ),
    )
    quotation = Quotation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("policies:quotation", args=[quotation.pk])
    assert quotation.quotes.count() == 2

    html = client.get(response["Location"]).content.decode()
    board = re.search(r'data-testid="quotes".*?<div class="row g-4">', html, re.S).group(0)
    board = _ungrouped(board)
    cards = re.findall(r'data-quote="(\d+)"', board)
    first = Quote.objects.get(pk=cards[0])
    second = Quote.objects.get(pk=cards[1])
    assert (first.insurer, second.insurer) == (insurer, cheaper)
    assert board.index("HDI Seguros") < board.index("Qualitas")
    assert "9100.00 MXN" in board and "8400.00 MXN" in board
    assert "Preferred" in board


def test_it_refuses_a_quotation_without_quotes(client, agent, holder):
    client.force_login(agent)
    response = client.post(
        reverse("policies:quotation_create", args=[holder.pk]), _quotation_post([])
    )
    assert response.status_code == 200
    assert response.context["formset"].non_form_errors()
    assert not Quotation.objects.exists()


def test_it_turns_an_accepted_quote_into_a_policy(client, agent, holder, insurer):
    quotation = QuotationFactory(client=holder, created_by=agent, line=Line.AUTO)
    chosen = QuoteFactory(quotation=quotation, insurer=insurer, premium=Decimal("9100.00"))
    other = QuoteFactory(quotation=quotation, premium=Decimal("8400.00"))
    client.force_login(agent)
    url = reverse("policies:quote_accept", args=[chosen.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "number": "hdi-555",
            "payment_frequency": "monthly",
            "start_date": _day(0),
            "end_date": _day(365),
            "general_conditions": "",
            "vehicle-make": "Ford",
            "vehicle-model": "Ranger",
            "vehicle-year": "2024",
            "vehicle-vin": make_vin(555),
            "vehicle-plate": "",
            "vehicle-use": "commercial",
        },
    )
    policy = Policy.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("policies:detail", args=[policy.pk])
    assert policy.premium == Decimal("9100.00")
    assert policy.insurer == insurer
    assert policy.coverage == chosen.coverage
    assert policy.number == "HDI-555"
    assert policy.source_quote == chosen
    assert policy.vehicles.get().model == "Ranger"
    chosen.refresh_from_db()
    other.refresh_from_db()
    quotation.refresh_from_db()
    assert chosen.status == QuoteStatus.ACCEPTED
    assert other.status == QuoteStatus.DECLINED
    assert quotation.status == QuotationStatus.WON


def test_it_schedules_a_follow_up_when_the_last_open_quote_is_declined(
    client, agent, holder, insurer, settings
):
    quotation = QuotationFactory(client=holder, created_by=agent)
    first = QuoteFactory(quotation=quotation, insurer=insurer)
    second = QuoteFactory(quotation=quotation)
    client.force_login(agent)

    response = client.post(reverse("policies:quote_decline", args=[first.pk]))
    assert response.status_code == 302
    assert not WorkItem.objects.filter(kind="quote_follow_up").exists()

    client.post(reverse("policies:quote_decline", args=[second.pk]))
    item = WorkItem.objects.get(kind="quote_follow_up", subject_id=quotation.pk)
    assert item.agent == agent
    assert item.status == ItemStatus.OPEN
    assert item.due_on == TODAY + datetime.timedelta(days=settings.QUOTE_FOLLOW_UP_DAYS)
    assert holder.display_name in item.title
    quotation.refresh_from_db()
    assert quotation.status == QuotationStatus.LOST
    assert quotation.follow_up_on == item.due_on
