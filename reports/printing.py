"""The whole dashboard as one PDF: every view with the same filters, as the user who asked
sees the book, in their language. Printed by a Celery task that says how far it has got."""

from django.core.files.base import ContentFile
from django.http import QueryDict
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.http import urlencode

from brokerage.celery import enqueue_on_commit, requeue_stale
from brokerage.core.exports import export_record
from brokerage.core.pdf import pdf_from_html

from .filters import ReportFilters
from .models import DashboardPrint, PrintStatus
from .registry import REPORTS


def print_request(*, user, params, language: str) -> DashboardPrint:
    """Queue a print of the dashboard with the filters in ``params`` (the report's URL)."""
    from .tasks import dashboard_print_task

    filters = ReportFilters.from_query(params, user=user)
    # Every view's own filters too (the claims view's claim type and repair month), which
    # the print reads back view by view.
    query = filters.as_query()
    for report in REPORTS:
        if report.filters_class is not ReportFilters:
            query.update(report.filters(params, user=user).as_query(by=filters.by))
    printed = DashboardPrint.objects.create(
        user=user, filters=query, language=language, views_total=len(REPORTS),
        queued_at=timezone.now(),
    )  # fmt: skip
    # The print says "queued" whatever the broker answers; with the broker down the request
    # still succeeds and print_requeue_stale sends the task once it is back.
    enqueue_on_commit(dashboard_print_task, printed.pk)
    return printed


def print_requeue_stale() -> int:
    """Re-enqueue prints still queued after TASK_REQUEUE_AFTER_MINUTES (the broker was down
    when they were asked for, or lost their task). Returns how many were sent."""
    from .tasks import dashboard_print_task

    return requeue_stale(
        DashboardPrint.objects.filter(status=PrintStatus.QUEUED),
        dashboard_print_task,
        created_field="created_at",
    )


def print_claim(*, print_id: int, redelivered: bool = False) -> bool:
    """Claim a queued print for the task about to render it (queued → running, one conditional
    update), so a task delivered twice, or re-sent by the sweep while the first still runs,
    prints once. A print left running by a worker that died is taken over only by the broker's
    redelivery of that same task (acks late)."""
    claimed = DashboardPrint.objects.filter(pk=print_id, status=PrintStatus.QUEUED).update(
        status=PrintStatus.RUNNING
    )
    if claimed:
        return True
    return (
        redelivered
        and DashboardPrint.objects.filter(pk=print_id, status=PrintStatus.RUNNING).exists()
    )


def print_render(printed: DashboardPrint, *, base_url: str = "") -> DashboardPrint:
    """Build every view, render the PDF and keep it with the print (a print already done is
    left alone, so a task delivered twice prints once)."""
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
        pdf = pdf_from_html(html, base_url=base_url or None)
    name = f"cartera-dashboard-{filters.start.isoformat()}-{filters.end.isoformat()}.pdf"
    printed.file.save(name, ContentFile(pdf), save=False)
    printed.status, printed.views_done = PrintStatus.DONE, printed.views_total
    printed.finished_at = timezone.now()
    printed.save(update_fields=["file", "status", "views_done", "finished_at"])
    export_record(user=user, what="report:dashboard.pdf", filters=printed.filters,
                  rows=sum(len(t.rows) for _r, tables in sections for t in tables))  # fmt: skip
    return printed
