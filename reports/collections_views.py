"""The lists behind the collections view's figures: the instalments, promises to pay or
policies at risk a figure counts, each linked to its policy. A manager reads their teams' book
(the dashboard's filters); an agent, from their own page, only their own policies."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from .analytic import analytic
from .collections import Drill, drill_down
from .filters import ReportFilters

PAGE_SIZE = 50


@login_required
def collections_list_view(request):
    user = request.user
    # Who does not read the dashboard (an agent) reads their own policies only, whatever the
    # URL says, as on their own page.
    own = not user.has_perm("accounts.view_dashboards")
    params = request.GET.copy()
    if own:
        for name in ("agent", "team"):
            params.pop(name, None)
    filters = ReportFilters.from_query(params, user=user, groupings=())
    if own:
        filters.agent = user
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
    if drill.kind == "instalments":
        for instalment in page.object_list:
            instalment.days_overdue = (today - instalment.due_on).days
    query = filters.as_query(by="")
    if own:
        query.pop("agent", None)
        back = f"{reverse('reports:mine')}?{urlencode({'view': 'collections', **query})}"
    else:
        back = f"{reverse('reports:report', args=['collections'])}?{urlencode(query)}"
    return render(
        request,
        "reports/collections_list.html",
        {
            "drill": drill, "filters": filters, "page": page, "today": today, "back": back,
            "query_string": urlencode({**query, **drill.as_query()}),
        },
    )  # fmt: skip
