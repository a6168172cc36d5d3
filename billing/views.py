"""Payments: record one for a client, see it, print its receipt. Every object is read through
the user's visible clients (billing.payments.payments_visible_to): others answer 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from brokerage.core.exports import export_record
from brokerage.core.filters import PkField
from brokerage.core.forms import apply_service_errors
from clients.selectors import client_for_user
from workqueue.models import ItemStatus
from workqueue.services import item_record_result

from .forms import PaymentForm, VoidForm
from .kind import PAID
from .models import Instalment
from .payments import (
    can_void_payments,
    open_instalments,
    payment_allocations,
    payment_for_user,
    payment_record,
    payment_void,
)
from .receipt import receipt_pdf
from .views_work import _next_url, payment_item_for_agent
from .work import payment_balance_call


def _pk(value) -> int | None:
    try:  # "²".isdigit() is true, yet no key: the field takes whole numbers a key may be
        return PkField().clean(value) if value else None
    except ValidationError:
        return 0


@login_required
def payment_create(request, client_pk):
    """Record a payment from a client. From a payment-due item of the agent's call list
    (``?item=``), the payment and the item's "Paid" are recorded together, or neither."""
    client = client_for_user(user=request.user, pk=client_pk)
    item = None
    item_pk = _pk(request.GET.get("item") or request.POST.get("item"))
    if item_pk is not None:
        item = payment_item_for_agent(request, item_pk)
        if not Instalment.objects.filter(pk=item.subject_id, policy__holder=client).exists():
            raise Http404
        if item.status != ItemStatus.OPEN:
            messages.warning(request, _("This item is already closed."))
            return redirect(_next_url(request, reverse("workqueue:queue")))
    owed = open_instalments(client=client)
    initial = {}
    policy_pk = _pk(request.GET.get("policy"))
    instalment_pk = _pk(request.GET.get("instalment")) or (item.subject_id if item else None)
    chosen = [i for i in owed if i.pk == instalment_pk] or [
        i for i in owed if policy_pk and i.policy_id == policy_pk
    ][:1]
    if chosen:
        initial = {"instalments": chosen, "currency": chosen[0].currency}
        initial["amount"] = chosen[0].outstanding
    form = PaymentForm(request.POST or None, open_instalments=owed, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                if item is not None:
                    item_record_result(
                        item=item, by=request.user, result=PAID.code, page=True,
                        note=data["reference"], token=data["token"],
                    )  # fmt: skip
                payment = payment_record(
                    client=client,
                    by=request.user,
                    amount=data["amount"],
                    currency=data["currency"],
                    method=data["method"],
                    paid_on=data["paid_on"],
                    reference=data["reference"],
                    instalments=list(data["instalments"]) or None,
                    token=data["token"],
                )
                if item is not None:
                    payment_balance_call(item=item, payment=payment)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Payment of %(amount)s %(currency)s recorded.")
                % {
                    "amount": number_format(payment.amount, 2, force_grouping=True),
                    "currency": payment.currency,
                },
            )
            if item is not None:
                return redirect(_next_url(request, reverse("workqueue:queue")))
            return redirect("billing:payment_detail", pk=payment.pk)
    return render(
        request,
        "billing/payment_form.html",
        {
            "form": form, "client": client, "has_open": bool(owed), "item": item,
            "next": _next_url(request, ""),
        },
    )  # fmt: skip


@login_required
def payment_detail(request, pk):
    payment = payment_for_user(user=request.user, pk=pk)
    return render(
        request,
        "billing/payment_detail.html",
        {
            "payment": payment,
            "allocations": payment_allocations(payment=payment),
            "void_form": VoidForm() if can_void_payments(request.user) else None,
        },
    )


@login_required
@require_POST
def payment_void_view(request, pk):
    payment = payment_for_user(user=request.user, pk=pk)
    if not can_void_payments(request.user):
        raise PermissionDenied
    form = VoidForm(request.POST)
    if form.is_valid():
        try:
            payment_void(payment=payment, by=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The payment was voided."))
            return redirect("clients:detail", pk=payment.client_id)
    return render(
        request,
        "billing/payment_detail.html",
        {
            "payment": payment,
            "allocations": payment_allocations(payment=payment),
            "void_form": form,
        },
    )


@login_required
def payment_receipt(request, pk):
    payment = payment_for_user(user=request.user, pk=pk)
    pdf = receipt_pdf(payment=payment, base_url=request.build_absolute_uri("/"))
    # A receipt leaving Cartera is recorded like any export.
    export_record(
        user=request.user, what="payment receipt",
        filters={"payment": payment.pk, "client": payment.client_id}, rows=1,
    )  # fmt: skip
    response = HttpResponse(pdf, content_type="application/pdf")
    disposition = "inline" if request.GET.get("inline") == "1" else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="receipt-{payment.pk}.pdf"'
    return response
