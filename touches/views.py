"""The touches' pages: the settings a maintainer edits, and the results of a touch recorded
on a page of their own (the plate endorsement, the return visit)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from brokerage.core.forms import apply_service_errors
from workqueue.models import ItemStatus, Queue, WorkItem
from workqueue.services import item_record_result

from .forms import PlateForm, TouchSettingFormSet, VisitForm
from .jobs import touch_settings
from .kind import PLATE_RECORDED, VISITED
from .models import Touch, TouchKind
from .services import touch_settings_save

SETTINGS_PERMISSION = "accounts.distribute_work"


def _next_url(request, default: str) -> str:
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url and url_has_allowed_host_and_scheme(url, {request.get_host()}, request.is_secure()):
        return url
    return default


def touch_item_for_agent(request, pk, kind: str) -> WorkItem:
    """A touch item of ``kind`` in the agent's own call list; 404 otherwise."""
    return get_object_or_404(WorkItem, pk=pk, kind=kind, agent=request.user, queue=Queue.AGENT)


def _item_page(request, pk, *, kind, form_class, result, template, done, **form_kwargs):
    item = touch_item_for_agent(request, pk, kind)
    touch = get_object_or_404(
        Touch.objects.select_related("client", "policy__insurer", "vehicle"), pk=item.subject_id
    )
    queue_url = reverse("workqueue:queue")
    if item.status != ItemStatus.OPEN:
        messages.warning(request, _("This item is already closed."))
        return redirect(_next_url(request, queue_url))
    extra = {"client": touch.client} if form_class is VisitForm else {}
    form = form_class(request.POST or None, **extra)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            item_record_result(
                item=item, by=request.user, result=result.code, note=data.get("note", ""),
                details={k: v for k, v in data.items() if k not in ("note", "token")},
                page=True, token=data["token"],
            )  # fmt: skip
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, done(touch, data))
            return redirect(_next_url(request, queue_url))
    return render(
        request,
        template,
        {"item": item, "touch": touch, "form": form, "next": _next_url(request, "")},
    )


@login_required
@permission_required("accounts.work_queue", raise_exception=True)
def item_plate(request, pk):
    return _item_page(
        request, pk, kind=TouchKind.PLATE, form_class=PlateForm, result=PLATE_RECORDED,
        template="touches/item_plate.html",
        done=lambda touch, data: _("Plate recorded for %(client)s.")
        % {"client": touch.client.display_name},
    )  # fmt: skip


@login_required
@permission_required("accounts.work_queue", raise_exception=True)
def item_visit(request, pk):
    return _item_page(
        request, pk, kind=TouchKind.RETURN_VISIT, form_class=VisitForm, result=VISITED,
        template="touches/item_visit.html",
        done=lambda touch, data: _("Return visit recorded for %(client)s.")
        % {"client": touch.client.display_name},
    )  # fmt: skip


@login_required
@permission_required(SETTINGS_PERMISSION, raise_exception=True)
def settings_edit(request):
    """Every kind of touch: enabled, when, how (a call or a message), and its calls'
    priority. Changes apply from the next morning run."""
    initial = [
        {"kind": s.kind, "enabled": s.enabled, "days": s.days, "mode": s.mode,
         "priority": s.priority}
        for s in touch_settings().values()
    ]  # fmt: skip
    formset = TouchSettingFormSet(request.POST or None, initial=initial, prefix="touches")
    if request.method == "POST" and formset.is_valid():
        # Each row is the kind the page showed in it (a row posted beyond them is ignored).
        rows = [
            {**form.cleaned_data, "kind": form.initial["kind"]}
            for form in formset.forms
            if form.initial.get("kind")
        ]
        try:
            touch_settings_save(rows=rows, by=request.user)
        except ValidationError as exc:
            formset._non_form_errors = formset.error_class(exc.messages)
        else:
            messages.success(request, _("Service touches saved."))
            return redirect("touches:settings")
    return render(request, "touches/settings.html", {"formset": formset})
