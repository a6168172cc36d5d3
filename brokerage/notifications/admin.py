from django.contrib import admin

from brokerage.core.admin_safety import AuditSafeAdminMixin

from .models import Message


@admin.register(Message)
class MessageAdmin(AuditSafeAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "channel", "to", "template", "status", "attempts")
    list_filter = ("status", "channel")
    search_fields = ("to",)
    readonly_fields = [f.name for f in Message._meta.fields]

    def has_add_permission(self, request):
        return False
