from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from brokerage.core.admin_safety import AuditSafeAdminMixin

from .models import Claim, ClaimStatusChange, RepairShop


class StatusChangeInline(AuditSafeAdminMixin, admin.TabularInline):
    """The statuses the claim reached: the record of what happened, read-only."""

    model = ClaimStatusChange
    extra = 0
    readonly_fields = ("status", "at", "by", "note")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Claim)
class ClaimAdmin(AuditSafeAdminMixin, SimpleHistoryAdmin):
    """For staff repairs only; people work in the claims pages (claims.services writes)."""

    list_display = ("pk", "policy", "kind", "status", "reported_at", "first_contact_at")
    list_filter = ("status", "kind")
    search_fields = ("insurer_claim_number",)
    raw_id_fields = ("policy", "agent", "reported_by", "settled_by", "first_contact_by")
    inlines = [StatusChangeInline]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RepairShop)
class RepairShopAdmin(AuditSafeAdminMixin, SimpleHistoryAdmin):
    """The repair-shop directory, for staff repairs (people keep it on *More → Repair shops*,
    claims.repair writes): deactivate a shop rather than delete it, its claims keep it."""

    list_display = ("name", "partner", "active", "phone", "address")
    list_filter = ("partner", "active", "insurers")
    search_fields = ("name", "address", "brands")
    filter_horizontal = ("insurers",)

    def has_delete_permission(self, request, obj=None):
        return False
