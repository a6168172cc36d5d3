"""The Django admin is for staff repairs: the audit trail (timeline, file-access log, exports,
work results, history) is read-only there and no delete there can cascade into it."""

import pytest
from django.contrib import admin
from django.urls import reverse

from brokerage.accounts.models import User
from brokerage.accounts.tests.factories import UserFactory
from brokerage.core.admin_safety import cascades_into_audit, is_audit_model
from brokerage.core.models import ExportRecord
from clients.models import Client, ClientAccess, ClientDocument, Interaction
from clients.tests.factories import ClientFactory
from policies.models import Policy
from workqueue.models import ItemResult, WorkItem
from workqueue.tests.factories import ItemResultFactory, WorkItemFactory, register_test_kind

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(db):
    return UserFactory(is_superuser=True, is_staff=True)


@pytest.fixture
def su_request(rf, superuser):
    request = rf.get("/admin/")
    request.user = superuser
    return request


def test_it_knows_the_audit_models():
    for model in (Interaction, ClientAccess, ExportRecord, ItemResult, Client.history.model,
                  Policy.history.model):  # fmt: skip
        assert is_audit_model(model), model
    for model in (Client, Policy, WorkItem, ClientDocument):
        assert not is_audit_model(model), model


def test_it_sees_which_deletes_cascade_into_the_audit_trail():
    for model in (Client, WorkItem, User):
        assert cascades_into_audit(model), model


def test_no_registered_admin_can_write_audit_rows_or_delete_into_them(su_request):
    """Every model in the admin, today's and tomorrow's: the rule is checked for all."""
    checked = 0
    for model, model_admin in admin.site._registry.items():
        if is_audit_model(model):
            assert not model_admin.has_add_permission(su_request), model
            assert not model_admin.has_change_permission(su_request), model
            assert not model_admin.has_delete_permission(su_request), model
            checked += 1
        if cascades_into_audit(model):
            assert not model_admin.has_delete_permission(su_request), model
            checked += 1
        for inline in model_admin.get_inline_instances(su_request):
            if is_audit_model(inline.model) or cascades_into_audit(inline.model):
                assert not inline.has_delete_permission(su_request), (model, inline.model)
    assert checked >= 6


@pytest.mark.parametrize(
    "model", [Interaction, ClientAccess, ItemResult, WorkItem, Client, Policy, ClientDocument]
)
def test_a_superuser_cannot_delete_them_in_the_admin(su_request, model):
    assert not admin.site._registry[model].has_delete_permission(su_request)


def test_the_admin_delete_page_of_a_work_item_is_refused(client, superuser):
    register_test_kind()
    item = WorkItemFactory()
    ItemResultFactory(item=item, by=superuser)
    client.force_login(superuser)
    url = reverse("admin:workqueue_workitem_delete", args=[item.pk])
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert WorkItem.objects.filter(pk=item.pk).exists()
    assert ItemResult.objects.filter(item=item).exists()


def test_the_admin_bulk_delete_of_clients_is_not_offered(client, superuser):
    holder = ClientFactory()
    client.force_login(superuser)
    response = client.post(
        reverse("admin:clients_client_changelist"),
        {"action": "delete_selected", "_selected_action": [holder.pk], "post": "yes"},
    )
    assert Client.objects.filter(pk=holder.pk).exists()
    assert response.status_code in (200, 302)


def test_the_timeline_cannot_be_edited_in_the_admin(client, superuser):
    holder = ClientFactory()
    entry = Interaction.objects.create(
        client=holder, user=superuser, channel="call", summary="Llamada"
    )
    client.force_login(superuser)
    url = reverse("admin:clients_interaction_change", args=[entry.pk])
    response = client.post(url, {"summary": "rewritten"})
    entry.refresh_from_db()
    assert entry.summary == "Llamada"
    assert response.status_code in (200, 403)
