from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import urlencode
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from billing.payments import policy_instalments, policy_payments
from brokerage.core.exports import export_record
from brokerage.core.filters import ignored_message
from brokerage.core.forms import apply_service_errors, run_posted_form
from clients.selectors import client_for_user

from . import services
from .forms import (
    AcceptQuoteForm,
    CancelForm,
    FollowUpForm,
    InsurerForm,
    PolicyForm,
    QuotationForm,
    QuoteForm,
    QuoteFormSet,
    VehicleForm,
)
from .models import Insurer, Line, PolicyStatus, Vehicle
from .pdf import PolicyNotPrintable, policy_pdf
from .renewing import renewal_terms
from .selectors import (
    PolicyFilters,
    active_insurers,
    policy_for_user,
    policy_history,
    policy_list,
    quotation_for_user,
    quote_for_user,
    vehicle_history,
)

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
    page = Paginator(policy_list(user=request.user, filters=filters), PAGE_SIZE).get_page(
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
