from django.contrib import admin

from .models import WorkItem


@admin.register(WorkItem)
class WorkItemAdmin(admin.ModelAdmin):
    list_display = ("kind", "title", "agent", "due_on", "status", "attempts", "result")
    list_filter = ("kind", "status")
    raw_id_fields = ("agent",)
