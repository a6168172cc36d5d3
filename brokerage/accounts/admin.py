from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import Team, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    """For staff repairs only. Users are deactivated, never deleted."""

    list_display = ("username", "first_name", "last_name", "team", "is_active", "last_login")
    list_filter = ("is_active", "groups", "team")
    fieldsets = BaseUserAdmin.fieldsets + (
        (_("Cartera"), {"fields": ("language", "phone", "team", "deactivated_at")}),
    )
    readonly_fields = ("deactivated_at",)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "manager")
    list_select_related = ("manager",)
