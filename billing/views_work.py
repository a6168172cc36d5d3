"""The collections pages around the work queue: the results of a payment-due item recorded
on a page of their own (promised to pay, refuses to pay), the managers' at-risk list and their
decision, and the payment-due ladder."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from brokerage.core.forms import apply_service_errors
from clients.models import Client
from workqueue.models import ItemStatus, Queue, WorkItem
from workqueue.services import item_record_result

from .forms import PromiseForm, RefuseForm, RiskDecisionForm, RungFormSet
from .kind import PAYMENT_KIND, PROMISED, REFUSES
from .ladder import collection_ladder_save
from .models import CancellationRisk, CollectionRung, Instalment, RiskStatus
from .work import risk_decide

RISKS_PAGE_SIZE = 50
LADDER_PERMISSION = "billing.change_collectionrung"


def _next_url(request, default: str) -> str:
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url and url_has_allowed_host_and_scheme(url, {request.get_host()}, request.is_secure()):
        return url
    return default


def payment_item_for_agent(request, pk) -> WorkItem:
    """A payment-due item in the agent's own call list; 404 otherwise."""
    return get_object_or_404(
        WorkItem, pk=pk, kind=PAYMENT_KIND, agent=request.user, queue=Queue.AGENT
    )


def _instalment_of(item: WorkItem) -> Instalment:
    return get_object_or_404(
        Instalment.objects.select_related("policy__holder", "policy__insurer"), pk=item.subject_id
    )


def _item_page(request, pk, *, form_class, result, template, done):
    item = payment_item_for_agent(request, pk)
    instalment = _instalment_of(item)
    queue_url = reverse("workqueue:queue")
    if item.status != ItemStatus.OPEN:
        messages.warning(request, _("This item is already closed."))
        return redirect(_next_url(request, queue_url))
    form = form_class(request.POST or None)
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
            messages.success(request, done(instalment, data))
            return redirect(_next_url(request, queue_url))
    return render(
        request,
        template,
        {"item": item, "instalment": instalment, "form": form, "next": _next_url(request, "")},
    )


@login_required
@permission_required("accounts.work_queue", raise_exception=True)
def item_promise(request, pk):
    return _item_page(
        request, pk, form_class=PromiseForm, result=PROMISED,
        template="billing/item_promise.html",
        done=lambda instalment, data: _(
            "Promise recorded: %(client)s will pay by %(date)s. If not, the call comes back the "
            "day after."
        ) % {
            "client": instalment.policy.holder.display_name,
            "date": date_format(data["promised_on"], "DATE_FORMAT"),
        },
    )  # fmt: skip


@login_required
@permission_required("accounts.work_queue", raise_exception=True)
def item_refuse(request, pk):
    return _item_page(
        request, pk, form_class=RefuseForm, result=REFUSES,
        template="billing/item_refuse.html",
        done=lambda instalment, data: _("Recorded: %(client)s refuses to pay.")
        % {"client": instalment.policy.holder.display_name},
    )  # fmt: skip


# --- The managers' at-risk list ---------------------------------------------------------------


def risks_visible_to(user):
    return CancellationRisk.objects.filter(
        policy__holder__in=Client.objects.visible_to(user).values("pk")
    )


@login_required
@permission_required("accounts.manage_team", raise_exception=True)
def risk_list(request):
    """Policies at risk of cancellation for non-payment, oldest first; decided ones on the
    second tab. A fixed number of queries whatever the page size."""
    decided = request.GET.get("show") == "decided"
    risks = risks_visible_to(request.user).select_related(
        "policy__holder__owner", "policy__insurer", "instalment", "decided_by"
    )
    if decided:
        risks = risks.exclude(status=RiskStatus.OPEN).order_by("-decided_at", "-pk")
    else:
        risks = risks.filter(status=RiskStatus.OPEN).order_by("opened_on", "pk")
    page = Paginator(risks, RISKS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "billing/risk_list.html",
        {"page": page, "decided": decided, "form": RiskDecisionForm()},
    )


@login_required
@permission_required("accounts.manage_team", raise_exception=True)
def risk_detail(request, pk):
    risk = get_object_or_404(
        risks_visible_to(request.user).select_related(
            "policy__holder", "policy__insurer", "instalment", "decided_by"
        ),
        pk=pk,
    )
    form = RiskDecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            risk = risk_decide(
                risk=risk, by=request.user, decision=data["decision"], note=data["note"],
                on=data["on"],
            )  # fmt: skip
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(policy)s: %(status)s.")
                % {"policy": risk.policy.number, "status": risk.get_status_display()},
            )
            return redirect("billing:risks")
    instalments = list(Instalment.objects.filter(policy=risk.policy).order_by("number"))
    return render(
        request,
        "billing/risk_detail.html",
        {"risk": risk, "form": form, "instalments": instalments},
    )


# --- The payment-due ladder ---------------------------------------------------------------


@login_required
@permission_required(LADDER_PERMISSION, raise_exception=True)
def ladder_edit(request):
    rungs = CollectionRung.objects.order_by("days")
    initial = [
        {"days": r.days, "action": r.action, "priority": r.priority, "active": r.active}
        for r in rungs
    ]
    formset = RungFormSet(request.POST or None, initial=initial, prefix="rungs")
    if request.method == "POST" and formset.is_valid():
        wanted = [
            form.cleaned_data
            for form in formset.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        try:
            with transaction.atomic():
                collection_ladder_save(rungs=wanted, by=request.user)
        except ValidationError as exc:
            formset._non_form_errors = formset.error_class(exc.messages)
        else:
            messages.success(request, _("Payment-due ladder saved."))
            return redirect("billing:ladder")
    return render(request, "billing/ladder.html", {"formset": formset})
