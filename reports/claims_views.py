"""The lists behind the claims view's figures: the claims a figure counts, each linked to its
page, for the managers who read the dashboard (their teams' claims, the dashboard's filters)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from .analytic import analytic
from .claims import REPAIR_LISTS, ClaimFilters, Drill, drill_down

PAGE_SIZE = 50


@login_required
@permission_required("accounts.view_dashboards", raise_exception=True)
def claims_list_view(request):
    user = request.user
    filters = ClaimFilters.from_query(request.GET, user=user, groupings=())
    drill = Drill.from_query(request.GET)
    for problem in (*filters.problems, *drill.problems):
        messages.warning(request, problem)
    today = timezone.localdate()
    # Read like the dashboard's figures (the reports' database: the replica when there is
    # one), the page's rows fetched inside; the template then reads nothing more of them.
    with analytic():
        rows = drill_down(user=user, filters=filters, drill=drill, today=today)
        page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
        page.object_list = list(page.object_list)
    query = filters.as_query(by="")
    back = f"{reverse('reports:report', args=['claims'])}?{urlencode(query)}"
    return render(
        request,
        "reports/claims_list.html",
        {
            "drill": drill, "filters": filters, "page": page, "today": today, "back": back,
            "query_string": urlencode({**query, **drill.as_query()}),
            "repairs": drill.show in REPAIR_LISTS,
            "callbacks": drill.show in ("callbacks", "low_score"),
        },
    )  # fmt: skip
