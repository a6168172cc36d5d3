from urllib.parse import urlencode

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from brokerage.core.filters import ignored_message, read_form

from .forms import OutboxFilterForm
from .models import Channel, Message, Status
from .services import notification_retry

PAGE_SIZE = 50


@login_required
@permission_required("accounts.view_outbox", raise_exception=True)
def outbox(request):
    qs = Message.objects.select_related("created_by")
    values, ignored = read_form(OutboxFilterForm(request.GET))
    if ignored:
        flash.warning(request, ignored_message(ignored))
    status, channel = values.get("status", ""), values.get("channel", "")
    query = values.get("q", "").strip()
    if status:
        qs = qs.filter(status=status)
    if channel:
        qs = qs.filter(channel=channel)
    if query:
        qs = qs.filter(to__icontains=query)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "statuses": Status.choices,
        "channels": Channel.choices,
        "filters": {"status": status, "channel": channel, "q": query},
        "query_string": urlencode(
            {k: v for k, v in (("status", status), ("channel", channel), ("q", query)) if v}
        ),
    }
    template = "notifications/outbox.html"
    if request.htmx:
        template += "#outbox-table"
    return render(request, template, context)


@require_POST
@login_required
@permission_required("accounts.view_outbox", raise_exception=True)
def retry(request, pk):
    message = get_object_or_404(Message, pk=pk)
    try:
        notification_retry(message=message)
    except ValidationError as exc:
        flash.error(request, " ".join(exc.messages))
    else:
        flash.success(request, _("The message to %(to)s is queued again.") % {"to": message.to})
    return redirect("notifications:outbox")
