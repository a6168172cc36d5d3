from django.contrib import admin

from brokerage.core.admin_safety import AuditSafeAdminMixin

from .models import ItemResult, WorkItem


@admin.register(WorkItem)
class WorkItemAdmin(AuditSafeAdminMixin, admin.ModelAdmin):
    """For staff repairs only: results are kept, so items are closed, never deleted."""

    list_display = ("kind", "title", "agent", "due_on", "status", "attempts", "result")
    list_filter = ("kind", "status")
    raw_id_fields = ("agent",)


@admin.register(ItemResult)
class ItemResultAdmin(AuditSafeAdminMixin, admin.ModelAdmin):
    """Read-only: the record of every call result."""

    list_display = ("item", "result", "by", "at")
    list_filter = ("result",)
    raw_id_fields = ("item", "by")
