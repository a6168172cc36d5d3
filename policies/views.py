from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from billing.payments import policy_instalments, policy_payments
from brokerage.core.exports import export_record
from brokerage.core.filters import ignored_message
from brokerage.core.forms import apply_service_errors, run_posted_form
from brokerage.core.pagination import CappedPaginator
from clients.forms import DocumentForm
from clients.selectors import client_for_user
from workqueue.models import ItemStatus, Queue, WorkItem
from workqueue.services import item_record_result

from . import services
from .documents import documents_request_again, policy_document_upload
from .forms import (
    AcceptQuoteForm,
    CancelForm,
    DocumentsRequestForm,
    FollowUpDeclineForm,
    FollowUpForm,
    FollowUpThinkingForm,
    InsurerForm,
    PolicyForm,
    QuotationForm,
    QuoteForm,
    QuoteFormSet,
    SendQuotationForm,
    VehicleForm,
)
from .kind import NOT_INTERESTED, QUOTE_FOLLOW_UP, THINKING
from .models import Insurer, Line, PolicyStatus, SendChannel, Vehicle
from .pdf import PolicyNotPrintable, QuotationNotPrintable, policy_pdf, quotation_pdf
from .renewing import renewal_terms
from .selectors import (
    PolicyFilters,
    active_insurers,
    policy_documents,
    policy_for_user,
    policy_history,
    policy_list,
    quotation_for_user,
    quotation_sendings,
    quote_for_user,
    vehicle_history,
)
from .sending import quotation_recipient, quotation_send

PAGE_SIZE = 50
VEHICLE_FIELDS = set(VehicleForm.Meta.fields)


def _split_errors(exc: ValidationError, policy_form, vehicle_form) -> None:
    if not hasattr(exc, "error_dict"):
        policy_form.add_error(None, exc)
        return
    for field, errors in exc.error_dict.items():
        if vehicle_form is not None and field in VEHICLE_FIELDS:
            vehicle_form.add_error(field, errors)
        elif field in policy_form.fields:
            policy_form.add_error(field, errors)
        else:
            policy_form.add_error(None, errors)


@login_required
def policy_list_view(request):
    filters = PolicyFilters.from_query(request.GET)
    page = CappedPaginator(policy_list(user=request.user, filters=filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "page": page,
        "filters": filters,
        "query_string": urlencode(filters.as_dict()),
        "statuses": PolicyStatus.choices,
        "lines": Line.choices,
        "insurers": active_insurers(),
        "windows": [7, 15, 30, 60, 90, 120],
    }
    template = "policies/policy_list.html"
    if request.htmx and request.htmx.target == "policy-table":
        template += "#policy-table"
    elif filters.ignored:
        messages.warning(request, ignored_message(filters.ignored))
    return render(request, template, context)


@login_required
def policy_create(request, client_pk):
    client = client_for_user(user=request.user, pk=client_pk)
    policy_form = PolicyForm(request.POST or None, initial={"line": Line.AUTO})
    vehicle_form = VehicleForm(request.POST or None)
    if request.method == "POST":
        is_auto = request.POST.get("line") == Line.AUTO
        forms_valid = policy_form.is_valid() and (not is_auto or vehicle_form.is_valid())
        if forms_valid:
            vehicles = [vehicle_form.cleaned_data] if is_auto else []
            try:
                policy = services.policy_create(
                    by=request.user, holder=client, vehicles=vehicles, **policy_form.cleaned_data
                )
            except ValidationError as exc:
                _split_errors(exc, policy_form, vehicle_form if is_auto else None)
            else:
                messages.success(request, _("Policy %(policy)s created.") % {"policy": policy})
                return redirect("policies:detail", pk=policy.pk)
    return render(
        request,
        "policies/policy_form.html",
        {"form": policy_form, "vehicle_form": vehicle_form, "client": client},
    )


@login_required
def policy_detail(request, pk):
    policy = policy_for_user(user=request.user, pk=pk)
    return render(
        request,
        "policies/policy_detail.html",
        {
            "policy": policy,
            "history": policy_history(policy=policy),
            "vehicle_history": vehicle_history(policy=policy) if policy.line == Line.AUTO else [],
            "cancel_form": CancelForm() if policy.status == PolicyStatus.ACTIVE else None,
            "vehicle_form": VehicleForm() if policy.line == Line.AUTO else None,
            "instalments": policy_instalments(policy=policy),
            "payments": policy_payments(policy=policy),
            "document_terms": policy_documents(policy=policy),
            "document_form": DocumentForm(),
            "documents_request_form": DocumentsRequestForm(),
        },
    )


@login_required
def policy_edit(request, pk):
    policy = policy_for_user(user=request.user, pk=pk)
    form = PolicyForm(request.POST or None, instance=policy)
    if request.method == "POST" and form.is_valid():
        try:
            services.policy_update(policy=policy, by=request.user, data=form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Policy %(policy)s saved.") % {"policy": policy})
            return redirect("policies:detail", pk=policy.pk)
    return render(
        request,
        "policies/policy_form.html",
        {"form": form, "policy": policy, "client": policy.holder},
    )


@login_required
def vehicle_form_view(request, pk, vehicle_pk=None):
    policy = policy_for_user(user=request.user, pk=pk)
    vehicle = get_object_or_404(Vehicle, pk=vehicle_pk, policy=policy) if vehicle_pk else None
    form = VehicleForm(request.POST or None, instance=vehicle)
    if request.method == "POST" and form.is_valid():
        try:
            services.vehicle_save(
                policy=policy, by=request.user, data=form.cleaned_data, vehicle=vehicle
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Vehicle saved."))
            return redirect("policies:detail", pk=policy.pk)
    return render(
        request, "policies/vehicle_form.html", {"form": form, "policy": policy, "vehicle": vehicle}
    )


@login_required
def policy_cancel(request, pk):
    policy = policy_for_user(user=request.user, pk=pk)
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.policy_cancel(policy=policy, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Policy %(policy)s cancelled.") % {"policy": policy})
            return redirect("policies:detail", pk=policy.pk)
    return render(request, "policies/policy_cancel.html", {"form": form, "policy": policy})


@login_required
def policy_pdf_view(request, pk):
    policy = policy_for_user(user=request.user, pk=pk)
    try:
        pdf = policy_pdf(
            policy=policy, language=get_language(), base_url=request.build_absolute_uri("/")
        )
    except PolicyNotPrintable:
        messages.error(
            request,
            _("This policy's dates are out of bounds: correct them before printing the policy."),
        )
        return redirect("policies:detail", pk=policy.pk)
    # A printed policy leaving Cartera is recorded like any export.
    export_record(
        user=request.user, what="policy pdf",
        filters={"policy": policy.pk, "client": policy.holder_id}, rows=1,
    )  # fmt: skip
    response = HttpResponse(pdf, content_type="application/pdf")
    filename = f"policy-{policy.insurer.code}-{policy.number}.pdf".replace('"', "")
    disposition = "inline" if request.GET.get("inline") == "1" else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    return response


# --- Quotes -------------------------------------------------------------------------------


@login_required
def quotation_create(request, client_pk):
    client = client_for_user(user=request.user, pk=client_pk)
    form = QuotationForm(request.POST or None)
    formset = QuoteFormSet(request.POST or None, prefix="quote")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        quotes = [f.cleaned_data for f in formset.forms if f.cleaned_data and f.has_changed()]
        try:
            quotation = services.quotation_create(
                client=client, by=request.user, quotes=quotes, **form.cleaned_data
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Quotation saved with %(n)d quotes.") % {"n": len(quotes)})
            return redirect("policies:quotation", pk=quotation.pk)
    return render(
        request,
        "policies/quotation_form.html",
        {"form": form, "formset": formset, "client": client},
    )


@login_required
def quotation_detail(request, pk):
    quotation = quotation_for_user(user=request.user, pk=pk)
    return render(
        request,
        "policies/quotation_detail.html",
        {
            "quotation": quotation,
            "quotes": list(quotation.quotes.all()),
            "quote_form": QuoteForm(),
            "follow_up_form": FollowUpForm(initial={"on": quotation.follow_up_on}),
            "sendings": quotation_sendings(quotation=quotation),
            "send_form": SendQuotationForm(),
            "recipients": {
                channel: quotation_recipient(quotation, channel) for channel in SendChannel.values
            },
        },
    )


@require_POST
@login_required
def quote_add(request, pk):
    quotation = quotation_for_user(user=request.user, pk=pk)
    run_posted_form(
        request,
        QuoteForm(request.POST),
        lambda data: services.quote_add(quotation=quotation, by=request.user, **data),
        done=_("Quote added."),
        failed=_("The quote was not added: %(errors)s"),
    )
    return redirect("policies:quotation", pk=quotation.pk)


@login_required
def quote_accept(request, pk):
    quote = quote_for_user(user=request.user, pk=pk)
    is_auto = quote.quotation.line == Line.AUTO
    # A renewal quote: the new term and the vehicle of the policy it renews.
    renews = quote.quotation.renews
    terms = renewal_terms(old=renews) if renews is not None else {}
    vehicles = terms.get("vehicles") or [{}]
    form = AcceptQuoteForm(request.POST or None, initial=terms)
    vehicle_form = VehicleForm(request.POST or None, initial=vehicles[0]) if is_auto else None
    if request.method == "POST" and form.is_valid() and (not is_auto or vehicle_form.is_valid()):
        try:
            policy = services.quote_accept(
                quote=quote,
                by=request.user,
                vehicles=[vehicle_form.cleaned_data] if is_auto else [],
                **form.cleaned_data,
            )
        except ValidationError as exc:
            _split_errors(exc, form, vehicle_form)
        else:
            messages.success(
                request, _("The client bought: policy %(policy)s created.") % {"policy": policy}
            )
            return redirect("policies:detail", pk=policy.pk)
    return render(
        request,
        "policies/quote_accept.html",
        {"form": form, "vehicle_form": vehicle_form, "quote": quote, "renews": renews},
    )


@require_POST
@login_required
def quote_decline(request, pk):
    quote = quote_for_user(user=request.user, pk=pk)
    try:
        services.quote_decline(quote=quote, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Quote declined."))
    return redirect("policies:quotation", pk=quote.quotation_id)


@require_POST
@login_required
def quotation_follow_up(request, pk):
    quotation = quotation_for_user(user=request.user, pk=pk)
    form = FollowUpForm(request.POST)
    if form.is_valid():
        try:
            services.quotation_schedule_follow_up(
                quotation=quotation, by=request.user, on=form.cleaned_data["on"]
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Follow-up scheduled."))
    else:
        messages.error(request, _("Give a valid date for the follow-up."))
    return redirect("policies:quotation", pk=quotation.pk)


# --- Insurers -----------------------------------------------------------------------------


@login_required
@permission_required("policies.view_insurer", raise_exception=True)
def insurer_list(request):
    return render(
        request,
        "policies/insurer_list.html",
        {"insurers": Insurer.objects.order_by("-preferred", "name")},
    )


@login_required
@permission_required("policies.change_insurer", raise_exception=True)
def insurer_form(request, pk=None):
    insurer = get_object_or_404(Insurer, pk=pk) if pk else None
    form = InsurerForm(request.POST or None, instance=insurer)
    if request.method == "POST" and form.is_valid():
        try:
            services.insurer_save(insurer=insurer, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Insurer saved."))
            return redirect("policies:insurers")
    return render(request, "policies/insurer_form.html", {"form": form, "insurer": insurer})


# --- Prospects: the printed quotation, sending it, the follow-up's results -----------------


@login_required
def quotation_pdf_view(request, pk):
    """The printable quotation in the client's language (recorded as an export)."""
    quotation = quotation_for_user(user=request.user, pk=pk)
    try:
        pdf = quotation_pdf(
            quotation=quotation, language=quotation.client.language,
            base_url=request.build_absolute_uri("/"),
        )  # fmt: skip
    except QuotationNotPrintable:
        messages.error(request, _("There is no open quote to print: add one first."))
        return redirect("policies:quotation", pk=quotation.pk)
    export_record(
        user=request.user, what="quotation pdf",
        filters={"quotation": quotation.pk, "client": quotation.client_id}, rows=1,
    )  # fmt: skip
    response = HttpResponse(pdf, content_type="application/pdf")
    disposition = "inline" if request.GET.get("inline") == "1" else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="quotation-{quotation.pk}.pdf"'
    return response


@require_POST
@login_required
def quotation_send_view(request, pk):
    quotation = quotation_for_user(user=request.user, pk=pk)
    form = SendQuotationForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose e-mail or WhatsApp."))
        return redirect("policies:quotation", pk=quotation.pk)
    try:
        sending = quotation_send(
            quotation=quotation, by=request.user, channel=form.cleaned_data["channel"],
            base_url=request.build_absolute_uri("/"),
        )  # fmt: skip
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("Quotation sent by %(channel)s to %(to)s; the follow-up call is on %(day)s.")
            % {
                "channel": sending.get_channel_display(), "to": sending.to,
                "day": date_format(sending.quotation.follow_up_on, "DATE_FORMAT"),
            },
        )  # fmt: skip
    return redirect("policies:quotation", pk=quotation.pk)


def _follow_up_item_for_agent(request, pk) -> WorkItem:
    """A quote follow-up in the agent's own call list; 404 otherwise."""
    return get_object_or_404(
        WorkItem, pk=pk, kind=QUOTE_FOLLOW_UP, agent=request.user, queue=Queue.AGENT
    )


def _follow_up_page(request, pk, *, form_class, result, template, done):
    item = _follow_up_item_for_agent(request, pk)
    quotation = quotation_for_user(user=request.user, pk=item.subject_id)
    if item.status != ItemStatus.OPEN:
        messages.warning(request, _("This item is already closed."))
        return redirect("workqueue:queue")
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
            messages.success(request, done(quotation, data))
            return redirect("workqueue:queue")
    return render(
        request, template, {"item": item, "quotation": quotation, "form": form, "result": result}
    )


@login_required
def follow_up_thinking(request, pk):
    return _follow_up_page(
        request, pk, form_class=FollowUpThinkingForm, result=THINKING,
        template="policies/follow_up_result.html",
        done=lambda quotation, data: _("Still thinking: the next call is on %(day)s.")
        % {"day": date_format(data["on"], "DATE_FORMAT")},
    )  # fmt: skip


@login_required
def follow_up_decline(request, pk):
    return _follow_up_page(
        request, pk, form_class=FollowUpDeclineForm, result=NOT_INTERESTED,
        template="policies/follow_up_result.html",
        done=lambda quotation, data: _("Recorded: %(client)s declined the quotation.")
        % {"client": quotation.client.display_name},
    )  # fmt: skip


# --- Documents kept in a policy's file, and requesting documents again ---------------------


@require_POST
@login_required
def policy_document_upload_view(request, pk):
    policy = policy_for_user(user=request.user, pk=pk)
    run_posted_form(
        request,
        DocumentForm(request.POST, request.FILES),
        lambda data: policy_document_upload(
            policy=policy,
            by=request.user,
            kind=data["kind"],
            upload=data["file"],
            description=data["description"],
        ),  # fmt: skip
        done=_("Document kept in the policy's file."),
        failed=_("The document was not kept: %(errors)s"),
    )
    return redirect(reverse("policies:detail", args=[policy.pk]) + "#documents")


def _documents_request(request, *, client, policy, back: str):
    form = DocumentsRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            documents_request_again(
                client=client, by=request.user, problems=form.cleaned_data["problems"],
                note=form.cleaned_data["note"], policy=policy,
            )  # fmt: skip
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("The request was sent to %(client)s in their language.")
                % {"client": client.display_name},
            )
            return redirect(back)
    return render(
        request,
        "policies/documents_request.html",
        {"form": form, "client": client, "policy": policy, "back": back},
    )


@login_required
def client_documents_request(request, client_pk):
    client = client_for_user(user=request.user, pk=client_pk)
    back = reverse("clients:detail", args=[client.pk]) + "#documents"
    return _documents_request(request, client=client, policy=None, back=back)


@login_required
def policy_documents_request(request, pk):
    policy = policy_for_user(user=request.user, pk=pk)
    back = reverse("policies:detail", args=[policy.pk]) + "#documents"
    return _documents_request(request, client=policy.holder, policy=policy, back=back)
