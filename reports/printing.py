"""The whole dashboard as one PDF: every view with the same filters, as the user who asked
sees the book, in their language. Printed by a Celery task that says how far it has got."""

from django.core.files.base import ContentFile
from django.db import transaction
from django.http import QueryDict
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.http import urlencode

from brokerage.core.exports import export_record

from .filters import ReportFilters
from .models import DashboardPrint, PrintStatus
from .registry import REPORTS


def print_request(*, user, params, language: str) -> DashboardPrint:
    """Queue a print of the dashboard with the filters in ``params`` (the report's URL)."""
    from .tasks import dashboard_print_task

    filters = ReportFilters.from_query(params, user=user)
    printed = DashboardPrint.objects.create(
        user=user, filters=filters.as_query(), language=language, views_total=len(REPORTS)
    )
    transaction.on_commit(lambda: dashboard_print_task.delay(printed.pk))
    return printed


def print_render(printed: DashboardPrint, *, base_url: str = "") -> DashboardPrint:
    """Build every view, render the PDF and keep it with the print (a print already done is
    left alone, so a task delivered twice prints once)."""
    from weasyprint import HTML

    if printed.status == PrintStatus.DONE:
        return printed
    user = printed.user
    params = QueryDict(urlencode(printed.filters))
    DashboardPrint.objects.filter(pk=printed.pk).update(status=PrintStatus.RUNNING, views_done=0)
    with translation.override(printed.language):
        sections = []
        for done, report in enumerate(REPORTS, start=1):
            filters = report.filters(params, user=user)
            sections.append((report, report.tables(user=user, filters=filters,
                                                   today=timezone.localdate())))  # fmt: skip
            DashboardPrint.objects.filter(pk=printed.pk).update(views_done=done)
        filters = ReportFilters.from_query(params, user=user)
        html = render_to_string(
            "reports/dashboard_pdf.html",
            {"sections": sections, "filters": filters, "problems": filters.problems,
             "printed_at": timezone.localtime(), "printed_by": user},
        )  # fmt: skip
        pdf = HTML(string=html, base_url=base_url or None).write_pdf()
    name = f"cartera-dashboard-{filters.start.isoformat()}-{filters.end.isoformat()}.pdf"
    printed.file.save(name, ContentFile(pdf), save=False)
    printed.status, printed.views_done = PrintStatus.DONE, printed.views_total
    printed.finished_at = timezone.now()
    printed.save(update_fields=["file", "status", "views_done", "finished_at"])
    export_record(user=user, what="report:dashboard.pdf", filters=printed.filters,
                  rows=sum(len(t.rows) for _r, tables in sections for t in tables))  # fmt: skip
    return printed
