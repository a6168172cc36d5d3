from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from brokerage.core.admin_safety import AuditSafeAdminMixin

from .models import Team, User


@admin.register(User)
class UserAdmin(AuditSafeAdminMixin, BaseUserAdmin):
    """For staff repairs only. Users are deactivated, never deleted. Only a superuser changes a
    superuser, or makes anyone staff, superuser or the holder of a permission."""

    list_display = (
        "username", "first_name", "last_name", "roles", "team", "is_active", "last_login"
    )  # fmt: skip
    list_filter = ("is_active", "groups", "team")
    fieldsets = BaseUserAdmin.fieldsets + (
        (_("Cartera"), {"fields": ("language", "phone", "team", "deactivated_at")}),
    )
    readonly_fields = ("deactivated_at",)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description=_("roles"))
    def roles(self, obj):
        return ", ".join(str(label) for label in obj.role_labels)

    def get_readonly_fields(self, request, obj=None):
        fields = tuple(super().get_readonly_fields(request, obj))
        if request.user.is_superuser:
            return fields
        return (*fields, "is_staff", "is_superuser", "groups", "user_permissions")

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Team)
class TeamAdmin(AuditSafeAdminMixin, admin.ModelAdmin):
    list_display = ("name", "manager")
    list_select_related = ("manager",)
