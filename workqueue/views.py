from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone

from .selectors import group_by_kind, queue_for_agent

PAGE_SIZE = 50


@login_required
@permission_required("accounts.work_queue", raise_exception=True)
def queue(request):
    """The agent's call list for today."""
    today = timezone.localdate()
    page = Paginator(queue_for_agent(user=request.user, day=today), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "workqueue/queue.html",
        {"page": page, "groups": group_by_kind(page.object_list), "today": today},
    )
