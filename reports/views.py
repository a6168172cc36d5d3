"""The managers' dashboard: one page per view (renewal rate, premium, pipeline, lost renewals,
agent performance), each a set of tables with a chart, filters kept in the URL, an .xlsx
export of the view and a PDF of the whole dashboard; and each agent's own page."""

from dateutil.relativedelta import relativedelta
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from brokerage.core.exports import export_record, xlsx_response
from clients.selectors import agents_for_reassignment
from policies.models import Currency, Insurer, Line

from .analytic import analytic
from .filters import ReportFilters, teams_for
from .models import DashboardPrint, PrintStatus
from .printing import print_request
from .registry import BY_SLUG, REPORTS, Report
from .renewal_rate import (
    TOTAL,
    client_cell_id,
    renewal_client_counts,
    renewal_rate_layout,
    renewal_rates,
)
from .tables import PCT, Column, pct


def _filters(request, report: Report) -> ReportFilters:
    filters = report.filters(request.GET, user=request.user)
    for problem in filters.problems:
        messages.warning(request, problem)
    return filters


def _tables(report: Report, user, filters: ReportFilters):
    return report.tables(user=user, filters=filters, today=timezone.localdate())


def _xlsx(request, report: Report, filters: ReportFilters, tables, *, owner=""):
    rows = sum(len(t.rows) for t in tables)
    export_record(user=request.user, what=f"report:{report.slug}", filters=filters.as_query(),
                  rows=rows)  # fmt: skip
    sheets = []
    for table in tables:
        header, *rows = table.sheet_rows()
        sheets.append((table.subtitle or table.title, header, rows))
    name = f"cartera-{report.slug}{owner}-{filters.start.isoformat()}-{filters.end.isoformat()}"
    return xlsx_response(filename=f"{name}.xlsx", sheets=sheets)


def _page(request, report: Report, filters: ReportFilters, tables, *, base_url: str,
          extra=None, own_page=False):  # fmt: skip
    user = request.user
    return render(
        request,
        "reports/report.html",
        {
            "report": report, "reports": REPORTS, "filters": filters, "tables": tables,
            "groupings": report.groupings, "own_page": own_page,
            "teams": () if own_page else teams_for(user),
            "agents": () if own_page else agents_for_reassignment(user=user),
            "insurers": Insurer.objects.order_by("name"), "lines": Line.choices,
            "currencies": Currency.choices,
            "query_string": urlencode(filters.as_query()), "base_url": base_url,
            # The tabs keep the filters (each view has its own groupings).
            "tab_query": urlencode(filters.as_query(by="")),
            "print_filters": sorted(filters.as_query(by="").items()),
            **(extra or {}),
        },
    )  # fmt: skip


@login_required
@permission_required("accounts.view_dashboards", raise_exception=True)
def report_view(request, slug):
    report = BY_SLUG.get(slug)
    if report is None:
        raise Http404
    filters = _filters(request, report)
    tables = _tables(report, request.user, filters)
    if request.GET.get("export") == "xlsx":
        if not request.user.has_perm("accounts.export_data"):
            raise PermissionDenied
        return _xlsx(request, report, filters, tables)
    return _page(request, report, filters, tables, base_url=request.path)


@login_required
@permission_required("accounts.view_dashboards", raise_exception=True)
def renewal_rate_view(request):
    """Renewal rate by month of expiry, agent, team, insurer or line, on three bases side by
    side (policies, clients, premium), with last year's rate for the same period."""
    report = BY_SLUG["renewals"]
    filters = _filters(request, report)
    export = request.GET.get("export") == "xlsx"
    if export and not request.user.has_perm("accounts.export_data"):
        raise PermissionDenied
    # The page is drawn without the distinct counts of clients (the dearest query: seconds for
    # the whole book); its client-rate cells load right after (renewal_rate_clients_view).
    # The export counts them in full.
    with analytic():
        figures = renewal_rates(user=request.user, filters=filters, clients=export)
    if export:
        return _xlsx(request, report, filters, renewal_rate_layout(figures, filters=filters))
    clients_url = f"{reverse('reports:renewal_rate_clients')}?{urlencode(filters.as_query())}"
    tables = renewal_rate_layout(figures, filters=filters, clients_url=clients_url)
    return _page(request, report, filters, tables, base_url=request.path,
                 extra={"figures": figures})  # fmt: skip


@login_required
@permission_required("accounts.view_dashboards", raise_exception=True)
def renewal_rate_clients_view(request):
    """The renewal rate page's client rates (a fragment its cells load right after the page):
    the filters read again as the user's own (a team or agent they do not lead is ignored, the
    cases are those they see), the distinct clients counted exactly, one query."""
    report = BY_SLUG["renewals"]
    filters = report.filters(request.GET, user=request.user)
    with analytic():
        counts = renewal_client_counts(user=request.user, filters=filters)
    column = Column("client_rate", "", PCT)
    cells = [
        (client_cell_id(key), column, pct(won, due))
        for key, (due, won) in sorted(counts.items(), key=lambda item: item[0] is TOTAL)
    ]
    return render(request, "reports/_renewal_clients.html", {"cells": cells, "counts": counts})


def _may_print(user) -> bool:
    return user.has_perm("accounts.view_dashboards") and user.has_perm("accounts.export_data")


def _print_for(request, pk) -> DashboardPrint:
    if not _may_print(request.user):
        raise PermissionDenied
    return get_object_or_404(DashboardPrint, pk=pk, user=request.user)


@login_required
@require_POST
def print_create_view(request):
    """Print the whole dashboard, every view with the filters posted, as one PDF: queued as a
    task (a minute at a large book); the print's page shows how far it has got."""
    if not _may_print(request.user):
        raise PermissionDenied
    printed = print_request(user=request.user, params=request.POST,
                            language=translation.get_language())  # fmt: skip
    return redirect("reports:print", pk=printed.pk)


@login_required
def print_detail_view(request, pk):
    printed = _print_for(request, pk)
    return render(
        request,
        "reports/print.html",
        {
            "print": printed,
            "back": f"{reverse('reports:renewal_rate')}?{urlencode(printed.filters)}",
        },
    )


@login_required
def print_progress_view(request, pk):
    """The progress bar's partial; once the print ends the page reloads to offer the file."""
    printed = _print_for(request, pk)
    if printed.status in (PrintStatus.DONE, PrintStatus.FAILED):
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    return render(request, "reports/_print_progress.html", {"print": printed})


@login_required
def print_download_view(request, pk):
    printed = _print_for(request, pk)
    if printed.status != PrintStatus.DONE or not printed.file:
        raise Http404
    return FileResponse(printed.file.open("rb"), as_attachment=True,
                        filename=printed.file.name.rsplit("/", 1)[-1],
                        content_type="application/pdf")  # fmt: skip


OWN_REPORTS = ("agents", "premium", "renewals", "collections")
# Own views that open on this month (not this year) unless a range is asked for; their tab
# links leave the range out.
OWN_MONTHLY = ("collections",)


def _this_month(today) -> tuple:
    first = today.replace(day=1)
    return first, first + relativedelta(months=1) - relativedelta(days=1)


@login_required
def my_figures_view(request):
    """An agent's own figures: their performance, premium, renewal rate and collections,
    nobody else's (the figures are built as the agent sees the book, filtered to the agent)."""
    user = request.user
    slug = request.GET.get("view") or OWN_REPORTS[0]
    if slug not in OWN_REPORTS:
        slug = OWN_REPORTS[0]
    report = BY_SLUG[slug]
    params = request.GET.copy()
    for name in ("agent", "team"):
        params.pop(name, None)
    if slug in OWN_MONTHLY and not params.get("start") and not params.get("end"):
        start, end = _this_month(timezone.localdate())
        params["start"], params["end"] = start.isoformat(), end.isoformat()
    own_groupings = [g for g in report.groupings if g[0] in ("month", "day")]
    filters = ReportFilters.from_query(
        params, user=user, groupings=tuple(g for g, _l in own_groupings)
    )
    for problem in filters.problems:
        messages.warning(request, problem)
    filters.agent = user
    tables = _tables(report, user, filters)
    if request.GET.get("export") == "xlsx":
        return _xlsx(request, report, filters, tables, owner=f"-{user.username}")
    own = [BY_SLUG[s] for s in OWN_REPORTS]
    return _page(request, report, filters, tables, base_url=request.path, own_page=True,
                 extra={"reports": own, "groupings": own_groupings,
                        "monthly_tabs": OWN_MONTHLY})  # fmt: skip
