from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from brokerage.core.admin_safety import AuditSafeAdminMixin

from .models import Insurer, Policy, Quotation, Quote, Vehicle


@admin.register(Insurer)
class InsurerAdmin(AuditSafeAdminMixin, admin.ModelAdmin):
    list_display = ("name", "code", "preferred", "active")


class VehicleInline(AuditSafeAdminMixin, admin.StackedInline):
    model = Vehicle
    extra = 0


@admin.register(Policy)
class PolicyAdmin(AuditSafeAdminMixin, SimpleHistoryAdmin):
    """For staff repairs only; people work in the policy pages."""

    list_display = ("number", "insurer", "holder", "line", "status", "end_date")
    list_filter = ("status", "line", "insurer")
    search_fields = ("number",)
    raw_id_fields = ("holder", "agent", "previous_policy", "source_quote")
    inlines = [VehicleInline]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Quotation)
class QuotationAdmin(AuditSafeAdminMixin, admin.ModelAdmin):
    list_display = ("description", "client", "line", "status")
    raw_id_fields = ("client", "created_by")


@admin.register(Quote)
class QuoteAdmin(AuditSafeAdminMixin, SimpleHistoryAdmin):
    list_display = ("quotation", "insurer", "premium", "status")
    raw_id_fields = ("quotation",)
