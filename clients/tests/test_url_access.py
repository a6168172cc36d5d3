"""Who may open which client, policy, quote and document URL.

One client file (owned by an agent of team A, co-assigned to a second agent of team A) is
tried by nine people: its owner, its co-assigned agent, a teammate who is not assigned, an
agent of team B, the manager of team A, the manager of team B, a maintainer, an
administrator and an anonymous visitor. Those who may see the file get their page (or, for
a POST, the redirect of a job done); the others get a 404 (never a 200, never a 500) and
change nothing.
"""

import datetime
import struct
import zlib
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from brokerage.accounts.tests.factories import TeamFactory, UserFactory
from brokerage.core.models import ExportRecord
from clients import services as client_services
from clients.models import Client, ClientAccess, ClientDocument, ContactPerson, Interaction
from clients.tests.factories import ClientFactory
from policies.models import Quotation, Quote
from policies.tests.factories import (
    InsurerFactory,
    PolicyFactory,
    QuotationFactory,
    QuoteFactory,
    VehicleFactory,
    make_vin,
)

pytestmark = pytest.mark.django_db

ROLES = [
    "owner",
    "co_agent",
    "teammate",
    "outsider",
    "manager",
    "other_manager",
    "maintainer",
    "admin",
    "anonymous",
]
# Who may see the client file (and so its policies, quotes and documents).
SEES_THE_CLIENT = {"owner", "co_agent", "manager", "maintainer", "admin"}
AGENTS = {"owner", "co_agent", "teammate", "outsider"}
MANAGES_TEAMS = {"manager", "other_manager", "admin"}  # accounts.manage_team
EXPORTS = {"manager", "other_manager", "maintainer", "admin"}  # accounts.export_data
EDITS_INSURERS = {"maintainer", "admin"}  # policies.view_insurer / change_insurer

CLIENT_PHONE = "+525512345678"
CLIENT_NATIONAL_ID = "LOPA800101HDFRRN09"
POLICY_NUMBER = "HDI-0042"
PLATE = "XYZ123"
VIN = make_vin(424242)


def png_bytes(width: int = 2, height: int = 2) -> bytes:
    """A small but real PNG image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def world(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    manager = UserFactory(roles=["manager"])
    other_manager = UserFactory(roles=["manager"])
    team = TeamFactory(manager=manager)
    other_team = TeamFactory(manager=other_manager)
    owner = UserFactory(roles=["agent"], team=team)
    users = {
        "owner": owner,
        "co_agent": UserFactory(roles=["agent"], team=team),
        "teammate": UserFactory(roles=["agent"], team=team),
        "outsider": UserFactory(roles=["agent"], team=other_team),
        "manager": manager,
        "other_manager": other_manager,
        "maintainer": UserFactory(roles=["maintainer"]),
        "admin": UserFactory(roles=["admin"]),
        "anonymous": None,
    }
    client = ClientFactory(
        owner=owner,
        co_agents=[users["co_agent"]],
        phone=CLIENT_PHONE,
        national_id=CLIENT_NATIONAL_ID,
        last_name="Objetivo",
    )
    insurer = InsurerFactory(name="HDI Seguros", code="hdi")
    policy = PolicyFactory(holder=client, insurer=insurer, number=POLICY_NUMBER)
    vehicle = VehicleFactory(policy=policy, plate=PLATE, vin=VIN)
    quotation = QuotationFactory(client=client, created_by=owner)
    quote = QuoteFactory(quotation=quotation, insurer=insurer)
    document = client_services.document_upload(
        client=client,
        by=owner,
        kind="national_id",
        upload=SimpleUploadedFile("ine.png", png_bytes(), content_type="image/png"),
    )
    # The other agents' own clients, which only they (and their managers) may see.
    teammate_client = ClientFactory(owner=users["teammate"], last_name="DelCompañero")
    outsider_client = ClientFactory(owner=users["outsider"], last_name="DeFuera")
    teammate_policy = PolicyFactory(holder=teammate_client, insurer=insurer)
    outsider_policy = PolicyFactory(holder=outsider_client, insurer=insurer)
    return SimpleNamespace(
        users=users,
        client=client,
        insurer=insurer,
        policy=policy,
        vehicle=vehicle,
        quotation=quotation,
        quote=quote,
        document=document,
        teammate_client=teammate_client,
        outsider_client=outsider_client,
        teammate_policy=teammate_policy,
        outsider_policy=outsider_policy,
    )


@dataclass
class Endpoint:
    """One URL: how to call it, and what a permitted call changes (if anything)."""

    name: str
    args: object = None  # world -> list of URL arguments
    method: str = "get"
    data: object = None  # world -> POST data
    effect: object = None  # world -> a value that a permitted call changes
    kind: str = "object"  # object | manage | book | export | insurer | open
    tags: set = field(default_factory=set)
    shows: object = None  # world -> text a permitted GET page must show


def _client_pk(w):
    return [w.client.pk]


def _today():
    return timezone.localdate()


OBJECT_ENDPOINTS = [
    Endpoint(
        "clients:detail",
        _client_pk,
        effect=lambda w: ClientAccess.objects.filter(client=w.client).count(),
        shows=lambda w: w.client.display_name,
    ),
    Endpoint("clients:edit", _client_pk, shows=lambda w: w.client.display_name),
    Endpoint(
        "clients:interaction_create",
        _client_pk,
        method="post",
        data=lambda w: {"channel": "call", "direction": "out", "summary": "Llamada de prueba"},
        effect=lambda w: Interaction.objects.filter(client=w.client).count(),
    ),
    Endpoint(
        "clients:document_upload",
        _client_pk,
        method="post",
        data=lambda w: {
            "kind": "other",
            "file": SimpleUploadedFile("otro.png", png_bytes(3, 3), content_type="image/png"),
        },
        effect=lambda w: ClientDocument.objects.filter(client=w.client).count(),
    ),
    Endpoint(
        "clients:contact_add",
        _client_pk,
        method="post",
        data=lambda w: {"name": "Rosa Méndez", "position": "Compras", "phone": "", "email": ""},
        effect=lambda w: ContactPerson.objects.filter(client=w.client).count(),
    ),
    Endpoint(
        "clients:reassign",
        _client_pk,
        method="post",
        data=lambda w: {"agent": w.users["teammate"].pk},
        effect=lambda w: Client.objects.get(pk=w.client.pk).owner_id,
        kind="manage",
    ),
    Endpoint("clients:document_download", lambda w: [w.document.pk]),
    Endpoint("policies:create", _client_pk, shows=lambda w: w.client.display_name),
    Endpoint("policies:detail", lambda w: [w.policy.pk], shows=lambda w: w.policy.number),
    Endpoint("policies:edit", lambda w: [w.policy.pk], shows=lambda w: w.policy.number),
    Endpoint("policies:cancel", lambda w: [w.policy.pk], shows=lambda w: w.policy.number),
    Endpoint("policies:pdf", lambda w: [w.policy.pk], tags={"pdf"}),
    Endpoint("policies:vehicle_add", lambda w: [w.policy.pk], shows=lambda w: w.policy.number),
    Endpoint(
        "policies:vehicle_edit",
        lambda w: [w.policy.pk, w.vehicle.pk],
        shows=lambda w: w.policy.number,
    ),
    Endpoint("policies:quotation_create", _client_pk, shows=lambda w: w.client.display_name),
    Endpoint(
        "policies:quotation", lambda w: [w.quotation.pk], shows=lambda w: w.quotation.description
    ),
    Endpoint(
        "policies:quote_add",
        lambda w: [w.quotation.pk],
        method="post",
        data=lambda w: {
            "insurer": w.insurer.pk,
            "premium": "8700.00",
            "currency": "MXN",
            "coverage": "Limitada",
            "valid_until": (_today() + datetime.timedelta(days=20)).isoformat(),
        },
        effect=lambda w: Quote.objects.filter(quotation=w.quotation).count(),
    ),
    Endpoint(
        "policies:follow_up",
        lambda w: [w.quotation.pk],
        method="post",
        data=lambda w: {"on": (_today() + datetime.timedelta(days=3)).isoformat()},
        effect=lambda w: Quotation.objects.get(pk=w.quotation.pk).follow_up_on,
    ),
    Endpoint(
        "policies:quote_accept", lambda w: [w.quote.pk], shows=lambda w: w.client.display_name
    ),
    Endpoint(
        "policies:quote_decline",
        lambda w: [w.quote.pk],
        method="post",
        effect=lambda w: Quote.objects.get(pk=w.quote.pk).status,
    ),
]
OTHER_ENDPOINTS = [
    Endpoint("clients:list", kind="open"),
    Endpoint("clients:create", kind="open"),
    Endpoint("policies:list", kind="open"),
    Endpoint("clients:book_reassign", kind="book"),
    Endpoint(
        "clients:export",
        kind="export",
        effect=lambda w: ExportRecord.objects.count(),
    ),
    Endpoint("policies:insurers", kind="insurer"),
    Endpoint("policies:insurer_create", kind="insurer"),
    Endpoint("policies:insurer_edit", lambda w: [w.insurer.pk], kind="insurer"),
]
ENDPOINTS = OBJECT_ENDPOINTS + OTHER_ENDPOINTS


def expected_status(role: str, endpoint: Endpoint) -> int:
    if role == "anonymous":
        return 302
    done = 302 if endpoint.method == "post" else 200
    if endpoint.kind == "open":
        return 200
    if endpoint.kind == "export":
        return 200 if role in EXPORTS else 403
    if endpoint.kind == "insurer":
        return 200 if role in EDITS_INSURERS else 403
    if endpoint.kind == "book":
        return 200 if role in MANAGES_TEAMS else 403
    if endpoint.kind == "manage" and role not in MANAGES_TEAMS:
        return 403
    return done if role in SEES_THE_CLIENT else 404


def _call(django_client, w, endpoint):
    url = reverse(endpoint.name, args=endpoint.args(w) if endpoint.args else None)
    if endpoint.method == "post":
        return url, django_client.post(url, endpoint.data(w) if endpoint.data else {})
    return url, django_client.get(url)


MANAGERS = {"manager", "other_manager"}
# Endpoints that reach Client.objects.visible_to(request.user) for a manager.
FILTERS_CLIENTS = {e.name for e in OBJECT_ENDPOINTS} | {
    "clients:list",
    "policies:list",
    "clients:export",
}


def _matrix():
    for endpoint in ENDPOINTS:
        for role in ROLES:
            yield pytest.param(endpoint, role, id=f"{endpoint.name}-{role}")


def _roles():
    """Signed-in roles."""
    return [r for r in ROLES if r != "anonymous"]


@pytest.mark.parametrize(("endpoint", "role"), list(_matrix()))
def test_it_answers_each_role_as_the_access_matrix_says(client, world, role, endpoint):
    user = world.users[role]
    if user is not None:
        client.force_login(user)
    before = endpoint.effect(world) if endpoint.effect else None

    url, response = _call(client, world, endpoint)

    expected = expected_status(role, endpoint)
    assert response.status_code == expected, (role, url, response.status_code)
    if role == "anonymous":
        assert response["Location"].startswith("/accounts/login/?next="), response["Location"]
    if endpoint.effect:
        after = endpoint.effect(world)
        permitted = expected in (200, 302) and role != "anonymous"
        if permitted:
            assert after != before, f"{role} was let in but {endpoint.name} did nothing"
        else:
            assert after == before, f"{role} was refused but {endpoint.name} changed something"
    if expected == 200 and endpoint.shows:
        assert endpoint.shows(world) in response.content.decode()
    if expected == 200 and "pdf" in endpoint.tags:
        assert response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")


@pytest.mark.parametrize("role", _roles())
def test_it_downloads_a_document_only_for_those_who_see_the_client(client, world, role):
    client.force_login(world.users[role])
    response = client.get(reverse("clients:document_download", args=[world.document.pk]))
    if role in SEES_THE_CLIENT:
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == png_bytes()
    else:
        assert response.status_code == 404


@pytest.mark.parametrize("role", _roles())
def test_it_records_an_export_for_every_export_and_refuses_agents(client, world, role):
    client.force_login(world.users[role])
    response = client.get(reverse("clients:export"))
    if role in AGENTS:
        assert response.status_code == 403
        assert not ExportRecord.objects.exists()
        return
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    record = ExportRecord.objects.get()
    assert record.user == world.users[role]
    assert record.what == "clients"
    # The export holds what the exporter may see, and says so in its record.
    if role in SEES_THE_CLIENT:
        assert world.client.display_name in text
    else:
        assert world.client.display_name not in text
    assert record.rows == text.strip().count("\n")


# --- Lists and search: never more than the user may see ------------------------------------


def _listed_clients(response):
    return {c.pk for c in response.context["page"].object_list}


@pytest.mark.parametrize("role", _roles())
def test_it_lists_a_client_only_to_those_who_may_open_it(client, world, role):
    client.force_login(world.users[role])
    response = client.get(reverse("clients:list"))
    listed = _listed_clients(response)
    assert (world.client.pk in listed) == (role in SEES_THE_CLIENT)
    assert (world.client.display_name in response.content.decode()) == (role in SEES_THE_CLIENT)
    policies = client.get(reverse("policies:list"))
    listed_policies = {p.pk for p in policies.context["page"].object_list}
    assert (world.policy.pk in listed_policies) == (role in SEES_THE_CLIENT)


def test_it_lists_only_an_agents_own_and_co_assigned_clients(client, world):
    own = ClientFactory(owner=world.users["co_agent"], last_name="Propio")
    client.force_login(world.users["co_agent"])
    response = client.get(reverse("clients:list"))
    assert _listed_clients(response) == {world.client.pk, own.pk}
    own_policy = PolicyFactory(holder=own, insurer=world.insurer)
    policies = client.get(reverse("policies:list"))
    assert {p.pk for p in policies.context["page"].object_list} == {world.policy.pk, own_policy.pk}


def test_it_limits_a_manager_to_their_teams_at_the_queryset_level(world):
    """The rule itself is right when given a real User (the views pass a lazy one)."""
    visible = set(Client.objects.visible_to(world.users["manager"]).values_list("pk", flat=True))
    assert visible == {world.client.pk, world.teammate_client.pk}
    other = set(
        Client.objects.visible_to(world.users["other_manager"]).values_list("pk", flat=True)
    )
    assert other == {world.outsider_client.pk}


def test_it_lists_a_managers_team_but_not_the_other_team(client, world):
    client.force_login(world.users["manager"])
    listed = _listed_clients(client.get(reverse("clients:list")))
    assert listed == {world.client.pk, world.teammate_client.pk}
    policies = client.get(reverse("policies:list"))
    assert {p.pk for p in policies.context["page"].object_list} == {
        world.policy.pk,
        world.teammate_policy.pk,
    }


SEARCHES = {
    "phone_local": "55 1234 5678",
    "phone_international": "+52 55 1234 5678",
    "national_id": CLIENT_NATIONAL_ID,
    "policy_number": POLICY_NUMBER,
    "plate": PLATE,
    "vin": VIN,
}


@pytest.mark.parametrize("role", ["teammate", "outsider", "other_manager"])
@pytest.mark.parametrize("what", SEARCHES)
def test_it_never_reveals_another_agents_client_in_search(client, world, role, what):
    query = SEARCHES[what]
    # The owner finds the client by this very query: the search works.
    client.force_login(world.users["owner"])
    assert _listed_clients(client.get(reverse("clients:list"), {"q": query})) == {world.client.pk}
    client.force_login(world.users[role])
    response = client.get(reverse("clients:list"), {"q": query})
    assert _listed_clients(response) == set()
    assert world.client.display_name not in response.content.decode()
    # The htmx partial and the policy search do not reveal it either.
    partial = client.get(
        reverse("clients:list"),
        {"q": query},
        headers={"HX-Request": "true", "HX-Target": "client-table"},
    )
    assert world.client.display_name not in partial.content.decode()
    policies = client.get(reverse("policies:list"), {"q": query})
    assert world.policy.pk not in {p.pk for p in policies.context["page"].object_list}


def test_it_refuses_a_vehicle_of_another_policy_under_a_visible_policy(client, world):
    """The vehicle's own policy is checked, not just the policy in the URL."""
    client.force_login(world.users["teammate"])
    own_policy = world.teammate_policy
    response = client.get(
        reverse("policies:vehicle_edit", args=[own_policy.pk, world.vehicle.pk]),
    )
    assert response.status_code == 404
