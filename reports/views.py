from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import render
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from clients.selectors import agents_for_reassignment
from policies.models import Insurer, Line

from .filters import GROUPINGS, ReportFilters, teams_for
from .selectors import renewal_rates


@login_required
@permission_required("accounts.view_dashboards", raise_exception=True)
def renewal_rate_view(request):
    """Renewal rate by month of expiry, agent, team, insurer or line, on three bases side by
    side (policies, clients, premium), with last year's rate for the same period."""
    filters = ReportFilters.from_query(request.GET, user=request.user)
    for problem in filters.problems:
        messages.warning(request, problem)
    figures = renewal_rates(user=request.user, filters=filters)
    labels = {
        "month": _("Month of expiry"), "agent": _("Agent"), "team": _("Team"),
        "insurer": _("Insurer"), "line": _("Line of business"),
    }  # fmt: skip
    teams = teams_for(request.user)
    return render(
        request,
        "reports/renewal_rate.html",
        {
            "filters": filters, "figures": figures, "group_label": labels[filters.by],
            "groupings": [(g, labels[g]) for g in GROUPINGS],
            "teams": teams, "agents": agents_for_reassignment(user=request.user),
            "insurers": Insurer.objects.order_by("name"), "lines": Line.choices,
            "query_string": urlencode(filters.as_query()),
        },
    )  # fmt: skip
