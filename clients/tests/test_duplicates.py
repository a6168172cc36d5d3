"""Duplicate client files: the warning on the create and edit forms (IDs compared in their
normal form, or the same name and phone, without showing a file the user may not open), and
the maintainers' merge (everything moves, history kept, the merged file's address redirects,
twice does nothing, a bounded preview)."""

import re
import unicodedata

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from stdnum.util import clean as stdnum_clean

from brokerage.accounts.tests.factories import TeamFactory, UserFactory
from clients import services
from clients.duplicates import SAME_ID, SAME_NAME_AND_PHONE, client_duplicates
from clients.models import (
    ID_SEPARATORS,
    Client,
    ClientAccess,
    ClientDocument,
    ClientStatus,
    ContactPerson,
    Interaction,
    id_key,
)
from clients.tests.factories import ClientFactory, CorporateClientFactory
from clients.tests.test_views import png_bytes
from policies.models import Policy, Quotation
from policies.tests.factories import PolicyFactory, QuotationFactory
from renewals.models import RenewalCase
from renewals.tests.factories import RenewalCaseFactory, TouchFactory
from workqueue.models import WorkItem

pytestmark = pytest.mark.django_db

PERSON = {
    "first_name": "Ana",
    "last_name": "López",
    "phone": "55 1234 5678",
    "email": "ana@example.com",
    "language": "es",
    "status": "prospect",
}
COMPANY = {
    "legal_name": "Abarrotes La Esperanza SA de CV",
    "phone": "+52 33 1234 5678",
    "email": "compras@esperanza.example",
    "language": "es",
    "status": "prospect",
}


def _create(django_client, kind, data):
    return django_client.post(reverse("clients:create") + f"?kind={kind}", data)


# --- The normal form -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("gode-561231-gr8", "GODE561231GR8"),  # Mexican RFC
        (" BOXW 310820 HNERXN09 ", "BOXW310820HNERXN09"),  # CURP
        ("110105 19491231 002x", "11010519491231002X"),  # Chinese resident ID
        ("9144-0300-MA5E.U0T/8G", "91440300MA5EU0T8G"),  # unified social credit code
        ("ＧＯＤＥ５６１２３１ＧＲ８", "GODE561231GR8"),  # full-width, as a Chinese keyboard types
    ],
)
def test_it_puts_ids_in_one_normal_form(typed, key):
    assert id_key(typed) == key


@pytest.mark.parametrize(
    "typed",
    [
        "gode-561231-gr8",
        " a.b_c/d e ",
        "x`y-z",
        "\tGODE 561231\n",
        "",
        "–—ＧＯ-de",
        "110105 19491231 002x",
    ],
)
def test_its_quick_path_for_plain_text_is_stdnums_normal_form(typed):
    """Plain ASCII takes one translate; the result is python-stdnum's, as for any other text."""
    reference = stdnum_clean(unicodedata.normalize("NFKC", typed), ID_SEPARATORS).strip().upper()
    assert id_key(typed) == reference


# --- The warning ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stored", "typed"),
    [
        ("GODE561231GR8", "gode-561231-gr8"),
        ("GODE-561231-GR8", "GODE561231GR8"),  # stored with dashes (an insurer's report)
        ("GODE 561231 GR8", "gode.561231.gr8"),
        ("11010519491231002X", "110105 19491231 002x"),
    ],
)
def test_it_warns_of_a_file_with_the_same_national_id_written_differently(
    client, agent, stored, typed
):
    existing = ClientFactory(
        owner=agent, first_name="Gonzalo", last_name="Díaz", national_id=stored
    )
    client.force_login(agent)

    response = _create(client, "individual", {**PERSON, "national_id": typed})

    assert response.status_code == 200
    assert Client.objects.count() == 1
    html = response.content.decode()
    warning = re.search(r'data-testid="duplicates".*?</div>', html, re.S).group(0)
    assert reverse("clients:detail", args=[existing.pk]) in warning
    assert "Gonzalo Díaz" in warning
    assert "same national or tax ID" in warning
    assert 'name="duplicate_ok"' in html and 'type="checkbox"' in html


def test_it_warns_of_a_company_with_the_same_tax_id_written_differently(client, agent):
    existing = CorporateClientFactory(owner=agent, legal_name="Otra SA", tax_id="ALE-010203-AB1")
    client.force_login(agent)

    response = _create(client, "corporate", {**COMPANY, "tax_id": "ale 010203 ab1"})

    assert response.status_code == 200
    assert [d.client for d in response.context["form"].duplicates] == [existing]
    assert Client.objects.count() == 1


@pytest.mark.parametrize("phone_field", ["phone", "phone_other", "whatsapp"])
def test_it_warns_of_a_file_with_the_same_name_and_phone(client, agent, phone_field):
    phones = {"phone": "", phone_field: "+525512345678"}
    existing = ClientFactory(owner=agent, first_name="ANA", last_name="LÓPEZ", **phones)
    client.force_login(agent)

    response = _create(client, "individual", PERSON)  # "55 1234 5678": the same number

    assert response.status_code == 200
    duplicates = response.context["form"].duplicates
    assert [(d.reason, d.client) for d in duplicates] == [(SAME_NAME_AND_PHONE, existing)]
    assert "same name and phone" in response.content.decode()
    assert Client.objects.count() == 1


@pytest.mark.parametrize(
    "other",
    [
        pytest.param({"first_name": "Rosa", "phone": "+525512345678"}, id="same-phone-other-name"),
        pytest.param({"first_name": "Ana", "phone": "+525587654321"}, id="same-name-other-phone"),
        pytest.param(
            {"first_name": "Rosa", "phone": "+525587654321", "national_id": "LOPA800101HDFRRN09"},
            id="another-id",
        ),
    ],
)
def test_it_does_not_warn_for_a_different_person(client, agent, other):
    ClientFactory(owner=agent, last_name="López", **other)
    client.force_login(agent)

    response = _create(client, "individual", {**PERSON, "national_id": "LOPA800101HDFRRN07"})

    assert response.status_code == 302
    assert Client.objects.count() == 2


def test_it_does_not_count_a_merged_file_as_a_duplicate(maintainer):
    survivor = ClientFactory(national_id="GODE561231GR8")
    merged = ClientFactory(national_id="GODE561231GR8")
    services.client_merge(survivor=survivor, merged=merged, by=maintainer)

    found = client_duplicates(user=maintainer, national_id="GODE561231GR8")

    assert [d.client for d in found] == [survivor]


def test_it_saves_once_the_user_says_it_is_a_different_client(client, agent):
    ClientFactory(owner=agent, national_id="GODE561231GR8")
    client.force_login(agent)

    response = _create(
        client, "individual", {**PERSON, "national_id": "GODE561231GR8", "duplicate_ok": "on"}
    )

    assert response.status_code == 302
    assert Client.objects.count() == 2


def test_it_warns_without_revealing_a_file_the_agent_cannot_open(client, agent):
    team = TeamFactory()
    other_agent = UserFactory(roles=["agent"], team=team, first_name="Bruno", last_name="Secreto")
    ask = UserFactory(roles=["maintainer"], first_name="Marta", last_name="Mantenimiento")
    hidden = ClientFactory(
        owner=other_agent,
        first_name="Herminia",
        last_name="Reservada",
        national_id="GODE561231GR8",
        email="herminia@privado.example",
    )
    client.force_login(agent)

    response = _create(client, "individual", {**PERSON, "national_id": "gode-561231-gr8"})

    assert response.status_code == 200
    assert Client.objects.count() == 1
    html = response.content.decode()
    warning = re.search(r'data-testid="duplicates".*?</div>', html, re.S).group(0)
    assert "a file you cannot open" in warning
    assert str(ask) in warning  # whom to ask
    for secret in ("Herminia", "Reservada", "herminia@privado", "Bruno", "Secreto"):
        assert secret not in html
    assert reverse("clients:detail", args=[hidden.pk]) not in html
    assert [d.client for d in response.context["form"].duplicates] == [None]


def test_it_warns_on_edit_when_the_id_becomes_another_files(client, agent):
    other = ClientFactory(owner=agent, national_id="GODE561231GR8")
    mine = ClientFactory(owner=agent, first_name="Ana", last_name="López")
    client.force_login(agent)

    response = client.post(
        reverse("clients:edit", args=[mine.pk]), {**PERSON, "national_id": "gode 561231 gr8"}
    )

    assert response.status_code == 200
    assert [d.client for d in response.context["form"].duplicates] == [other]
    mine.refresh_from_db()
    assert mine.national_id == ""


def test_it_does_not_warn_on_edit_of_a_file_against_itself_or_when_no_id_changes(client, agent):
    mine = ClientFactory(
        owner=agent, first_name="Ana", last_name="López", phone="+525512345678",
        national_id="GODE561231GR8",
    )  # fmt: skip
    # A known duplicate: editing something else does not ask again.
    ClientFactory(owner=agent, first_name="Ana", last_name="López", phone="+525512345678")
    client.force_login(agent)

    response = client.post(
        reverse("clients:edit", args=[mine.pk]),
        {**PERSON, "national_id": "GODE561231GR8", "email": "nueva@example.com"},
    )

    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.email == "nueva@example.com"


def test_it_reports_the_reason_of_each_duplicate(maintainer):
    by_id = ClientFactory(national_id="GODE561231GR8")
    by_phone = ClientFactory(first_name="Ana", last_name="López", phone="+525512345678")

    found = client_duplicates(
        user=maintainer,
        national_id="gode561231gr8",
        display_name="ana lópez",
        phones=["+525512345678"],
    )

    assert [(d.reason, d.client) for d in found] == [
        (SAME_ID, by_id),
        (SAME_NAME_AND_PHONE, by_phone),
    ]


# --- The merge -----------------------------------------------------------------------------


@pytest.fixture
def pair(agent):
    """Two files of one person: the survivor owned by ``agent``, the duplicate by another agent,
    with a co-agent, a running policy with its renewal case and open call-list item, a
    quotation, a contact, a document, a contact person and a record of being opened."""
    other_agent = UserFactory(roles=["agent"])
    co_agent = UserFactory(roles=["agent"])
    survivor = ClientFactory(
        owner=agent, first_name="Ana", last_name="López", national_id="LOPA800101MDFXXX01",
        email="", status=ClientStatus.PROSPECT, notes="Prefiere llamadas.",
    )  # fmt: skip
    duplicate = ClientFactory(
        owner=other_agent, first_name="Ana", last_name="Lopez", national_id="LOPA-800101-MDFXXX01",
        email="ana@example.com", status=ClientStatus.ACTIVE, co_agents=[co_agent],
        notes="Cliente desde 2019.",
    )  # fmt: skip
    policy = PolicyFactory(holder=duplicate, agent=other_agent)
    case = RenewalCaseFactory(policy=policy)
    item = TouchFactory(case=case, agent=other_agent)
    quotation = QuotationFactory(client=duplicate)
    services.interaction_log(client=duplicate, by=other_agent, channel="call", summary="Hola")
    services.document_upload(
        client=duplicate,
        by=other_agent,
        kind="other",
        upload=SimpleUploadedFile("ine.png", png_bytes(), content_type="image/png"),
    )
    services.contact_person_add(client=duplicate, by=other_agent, name="Rosa Méndez")
    services.client_record_access(client=duplicate, user=other_agent)
    return {
        "survivor": survivor, "duplicate": duplicate, "policy": policy, "case": case,
        "item": item, "quotation": quotation, "other_agent": other_agent, "co_agent": co_agent,
    }  # fmt: skip


def test_it_moves_everything_to_the_surviving_file_and_keeps_the_history(maintainer, agent, pair):
    survivor, duplicate = pair["survivor"], pair["duplicate"]

    moved = services.client_merge(survivor=survivor, merged=duplicate, by=maintainer)

    moved = dict(moved)
    assert moved["policies"] == 1 and moved["quotations"] == 1 and moved["interactions"] == 1
    assert moved["documents"] == 1 and moved["contact persons"] == 1
    assert Policy.objects.get(pk=pair["policy"].pk).holder == survivor
    assert Quotation.objects.get(pk=pair["quotation"].pk).client == survivor
    assert Interaction.objects.get().client == survivor
    assert ClientDocument.objects.get().client == survivor
    assert ContactPerson.objects.get().client == survivor
    # The access log says which file was opened: it stays.
    assert ClientAccess.objects.get().client == duplicate
    # Renewal cases follow their policies; the open item stays on its case, with the owner.
    case = RenewalCase.objects.get(pk=pair["case"].pk)
    assert case.holder_id == survivor.pk
    item = WorkItem.objects.get(pk=pair["item"].pk)
    assert item.subject_id == case.pk
    assert item.agent == agent
    assert Policy.objects.get(pk=pair["policy"].pk).agent == agent
    # Co-agents move; the duplicate's agent keeps sight of the client as a co-agent.
    survivor.refresh_from_db()
    assert set(survivor.co_agents.all()) == {pair["co_agent"], pair["other_agent"]}
    assert survivor.owner == agent
    # The survivor takes what it lacked; the merged file is kept, marked, out of every book.
    assert survivor.email == "ana@example.com"
    assert survivor.status == ClientStatus.ACTIVE
    assert survivor.notes == "Prefiere llamadas.\n\nCliente desde 2019."
    duplicate.refresh_from_db()
    assert duplicate.merged_into == survivor
    assert duplicate.owner is None and not duplicate.co_agents.exists()
    assert duplicate.national_id == ""
    assert not Client.objects.visible_to(maintainer).filter(pk=duplicate.pk).exists()
    # History: who and when, on both files and on the moved policy.
    record = duplicate.history.order_by("-history_date", "-history_id").first()
    assert record.history_user == maintainer and record.merged_into_id == survivor.pk
    assert record.prev_record.national_id == "LOPA-800101-MDFXXX01"
    assert record.prev_record.owner_id == pair["other_agent"].pk
    assert survivor.history.order_by("-history_id").first().history_user == maintainer
    policy_record = Policy.history.filter(id=pair["policy"].pk).order_by("-history_id").first()
    assert policy_record.history_user == maintainer
    assert policy_record.holder_id == survivor.pk


def test_it_merges_the_same_pair_twice_without_doing_anything_the_second_time(maintainer, pair):
    survivor, duplicate = pair["survivor"], pair["duplicate"]
    services.client_merge(survivor=survivor, merged=duplicate, by=maintainer)
    history = (survivor.history.count(), duplicate.history.count(), Policy.history.count())

    again = services.client_merge(survivor=survivor, merged=duplicate, by=maintainer)

    assert again == []
    assert (survivor.history.count(), duplicate.history.count(), Policy.history.count()) == history


def test_it_refuses_to_merge_a_file_into_one_merged_elsewhere(maintainer):
    a, b, c = ClientFactory(), ClientFactory(), ClientFactory()
    services.client_merge(survivor=a, merged=b, by=maintainer)

    with pytest.raises(services.ValidationError):
        services.client_merge(survivor=c, merged=b, by=maintainer)
    with pytest.raises(services.ValidationError):
        services.client_merge(survivor=b, merged=c, by=maintainer)
    with pytest.raises(services.ValidationError):
        services.client_merge(survivor=c, merged=c, by=maintainer)


def test_it_sends_files_merged_earlier_on_to_the_new_survivor(client, maintainer):
    a, b, c = ClientFactory(), ClientFactory(), ClientFactory()
    services.client_merge(survivor=b, merged=a, by=maintainer)

    services.client_merge(survivor=c, merged=b, by=maintainer)

    assert Client.objects.get(pk=a.pk).merged_into_id == c.pk
    client.force_login(maintainer)
    response = client.get(reverse("clients:detail", args=[a.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("clients:detail", args=[c.pk])


def test_it_locks_both_files_lower_id_first(maintainer):
    low, high = ClientFactory(), ClientFactory()

    with CaptureQueriesContext(connection) as queries:
        services.client_merge(survivor=high, merged=low, by=maintainer)

    locks = [q["sql"] for q in queries.captured_queries if "FOR UPDATE" in q["sql"]]
    assert locks and '"clients_client"' in locks[0]
    assert re.search(r'ORDER BY "clients_client"\."id" ASC', locks[0])


@pytest.mark.parametrize("role", ["agent", "manager", "maintainer", "admin"])
def test_it_lets_only_maintainers_and_admins_merge(client, role, agent):
    team = TeamFactory()
    manager = UserFactory(roles=["manager"])
    team.manager = manager
    team.save()
    agent.team = team
    agent.save()
    users = {
        "agent": agent,
        "manager": manager,
        "maintainer": UserFactory(roles=["maintainer"]),
        "admin": UserFactory(roles=["admin"]),
    }
    survivor = ClientFactory(owner=agent, national_id="GODE561231GR8")
    duplicate = ClientFactory(owner=agent, national_id="GODE561231GR8")
    PolicyFactory(holder=duplicate)
    client.force_login(users[role])
    allowed = role in ("maintainer", "admin")

    page = client.get(reverse("clients:merge", args=[survivor.pk]) + f"?other={duplicate.pk}")
    detail = client.get(reverse("clients:detail", args=[survivor.pk]))
    response = client.post(
        reverse("clients:merge_confirm"), {"survivor": survivor.pk, "merged": duplicate.pk}
    )

    assert page.status_code == (200 if allowed else 403)
    assert ('data-testid="merge-link"' in detail.content.decode()) is allowed
    duplicate.refresh_from_db()
    if allowed:
        assert response.status_code == 302
        assert response["Location"] == reverse("clients:detail", args=[survivor.pk])
        assert duplicate.merged_into == survivor
        assert Policy.objects.get().holder == survivor
    else:
        assert response.status_code == 403
        assert duplicate.merged_into is None
        assert Policy.objects.get().holder == duplicate
        with pytest.raises(services.ValidationError):
            services.client_merge(survivor=survivor, merged=duplicate, by=users[role])


def test_it_merges_by_post_only_and_says_what_moved_then_that_nothing_changed(
    client, maintainer, pair
):
    survivor, duplicate = pair["survivor"], pair["duplicate"]
    client.force_login(maintainer)
    url = reverse("clients:merge_confirm")
    data = {"survivor": survivor.pk, "merged": duplicate.pk}

    assert client.get(url, data).status_code == 405
    first = client.post(url, data, follow=True)
    second = client.post(url, data, follow=True)

    [done] = [str(m) for m in first.context["messages"]]
    assert done.startswith(f"{duplicate} (no. {duplicate.pk}) was merged into this file. Moved: ")
    for moved in ("policies: 1", "quotations: 1", "interactions: 1", "documents: 1"):
        assert moved in done
    assert [str(m) for m in second.context["messages"]] == [
        "These files had already been merged: nothing changed."
    ]
    assert Client.objects.get(pk=duplicate.pk).merged_into == survivor


def test_it_redirects_a_merged_files_address_to_the_survivor(client, maintainer, agent, pair):
    survivor, duplicate = pair["survivor"], pair["duplicate"]
    services.client_merge(survivor=survivor, merged=duplicate, by=maintainer)

    client.force_login(agent)  # the survivor's owner
    response = client.get(reverse("clients:detail", args=[duplicate.pk]))
    listed = client.get(reverse("clients:list")).context["page"].object_list

    assert response.status_code == 302
    assert response["Location"] == reverse("clients:detail", args=[survivor.pk])
    assert [c.pk for c in listed] == [survivor.pk]
    # Someone who may not open the survivor learns nothing of either file.
    client.force_login(UserFactory(roles=["agent"]))
    assert client.get(reverse("clients:detail", args=[duplicate.pk])).status_code == 404


def test_it_previews_what_moves_each_way(client, maintainer, pair):
    survivor, duplicate = pair["survivor"], pair["duplicate"]
    client.force_login(maintainer)

    response = client.get(reverse("clients:merge", args=[survivor.pk]) + f"?other={duplicate.pk}")

    rows = {label: (mine, theirs) for label, mine, theirs in response.context["rows"]}
    assert rows["policies"] == (0, 1)
    assert rows["quotations"] == (0, 1)
    assert rows["interactions"] == (0, 1)
    assert rows["documents"] == (0, 1)
    assert rows["co-assigned agents"] == (0, 1)
    assert [d.client for d in response.context["candidates"]] == [duplicate]
    assert duplicate.merged_into_id is None  # a preview changes nothing


def _preview_queries(django_client, survivor, duplicate):
    url = reverse("clients:merge", args=[survivor.pk]) + f"?other={duplicate.pk}"
    with CaptureQueriesContext(connection) as queries:
        assert django_client.get(url).status_code == 200
    return len(queries)


# Measured on PostgreSQL: session, user and roles (3), the file with its co-agents and contact
# persons (3), the other file, one count per kind of row that moves (9: payments, service
# touches and service cases included) and the co-agents, the candidates, the navigation's
# permissions (2) and the session's save (3); asserted unchanged with ten times the rows and
# candidates.
PREVIEW_QUERIES = 23


def test_it_previews_in_a_fixed_number_of_queries(client, maintainer):
    survivor = ClientFactory(national_id="GODE561231GR8")
    duplicate = ClientFactory(national_id="GODE561231GR8")
    client.force_login(maintainer)
    PolicyFactory(holder=duplicate)
    few = _preview_queries(client, survivor, duplicate)

    for _ in range(10):
        PolicyFactory(holder=duplicate)
        QuotationFactory(client=duplicate)
        services.interaction_log(client=duplicate, by=maintainer, channel="call", summary="x")
        ClientFactory(national_id="GODE-561231-GR8")
    duplicate.co_agents.set(UserFactory.create_batch(5, roles=["agent"]))
    many = _preview_queries(client, survivor, duplicate)

    assert few == many
    assert many <= PREVIEW_QUERIES
