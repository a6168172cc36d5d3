from django.contrib import admin

from .admin_safety import AuditSafeAdminMixin
from .models import ExportRecord


@admin.register(ExportRecord)
class ExportRecordAdmin(AuditSafeAdminMixin, admin.ModelAdmin):
    """Read-only: who took which data out of Cartera."""

    list_display = ("at", "user", "what", "rows")
    list_filter = ("what",)
    list_select_related = ("user",)
