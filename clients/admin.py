from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from brokerage.core.admin_safety import AuditSafeAdminMixin

from .models import Client, ClientAccess, ClientDocument, ContactPerson, Interaction


class ContactPersonInline(AuditSafeAdminMixin, admin.TabularInline):
    model = ContactPerson
    extra = 0


@admin.register(Client)
class ClientAdmin(AuditSafeAdminMixin, SimpleHistoryAdmin):
    """For staff repairs only; people work in the client pages."""

    list_display = ("display_name", "kind", "status", "owner", "phone")
    list_filter = ("kind", "status")
    search_fields = ("display_name", "national_id", "tax_id", "phone")
    raw_id_fields = ("owner", "co_agents", "created_by")
    inlines = [ContactPersonInline]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ClientDocument)
class ClientDocumentAdmin(AuditSafeAdminMixin, admin.ModelAdmin):
    list_display = ("original_name", "kind", "client", "uploaded_at")
    raw_id_fields = ("client", "uploaded_by")

    def has_delete_permission(self, request, obj=None):
        return False  # a client's papers are kept (and a delete here would leave the file)


@admin.register(Interaction)
class InteractionAdmin(AuditSafeAdminMixin, admin.ModelAdmin):
    list_display = ("client", "channel", "user", "occurred_at")
    raw_id_fields = ("client", "user")


@admin.register(ClientAccess)
class ClientAccessAdmin(AuditSafeAdminMixin, admin.ModelAdmin):
    list_display = ("client", "user", "at")
    raw_id_fields = ("client", "user")

    def has_change_permission(self, request, obj=None):
        return False
