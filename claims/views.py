"""Claims pages: report a claim (find the policy, then the form), the claims list, the claim
page (status with dates, allowed changes, amounts, history) and its edits. Every page starts
from ``Claim.objects.visible_to`` or ``Policy.objects.visible_to``: anything else is a 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from brokerage.core.filters import ignored_message
from brokerage.core.forms import apply_service_errors, form_errors_text, run_posted_form

from . import services
from .forms import (
    CallbackForm,
    ClaimFilterSet,
    ClaimReportForm,
    ClaimUpdateForm,
    DisputeForm,
    DocumentMarkForm,
    DocumentUploadForm,
    FollowUpForm,
    PolicySearchForm,
    ReferralForm,
    StatusForm,
)
from .models import MAIN_PATH, ClaimKind, ClaimStatus, DocumentState
from .repair import repair_context
from .selectors import (
    claim_checklist,
    claim_for_user,
    claim_history,
    claim_list,
    claim_policy_for_user,
    in_force_first,
    policies_matching,
)

PAGE_SIZE = 50


def _require_role(user) -> None:
    """Claims are for the brokerage's staff: agents, maintainers, managers, administrators."""
    if not (user.is_agent or user.is_maintainer or user.is_manager or user.is_cartera_admin):
        raise PermissionDenied


@login_required
def report(request):
    """Step one of a report: find the policy by client name, plate, VIN or number."""
    _require_role(request.user)
    form = PolicySearchForm(request.GET or None)
    policies, searched = [], False
    if form.is_valid() and form.cleaned_data["q"]:
        searched = True
        policies = in_force_first(policies_matching(user=request.user, text=form.cleaned_data["q"]))
    return render(
        request, "claims/report_search.html",
        {"form": form, "policies": policies, "searched": searched},
    )  # fmt: skip


@login_required
def report_for(request, policy_pk):
    """Step two: the report itself, against a policy the user may see (else 404)."""
    _require_role(request.user)
    policy = claim_policy_for_user(user=request.user, pk=policy_pk)
    holder = policy.holder
    form = ClaimReportForm(
        request.POST or None,
        initial={
            "reporter_name": holder.display_name, "reporter_phone": holder.phone,
            "reporter_email": holder.email,
            "occurred_at": timezone.localtime().replace(second=0, microsecond=0, tzinfo=None),
        },
    )  # fmt: skip
    if request.method == "POST" and form.is_valid():
        try:
            claim = services.claim_report(policy=policy, by=request.user, data=form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            if claim.agent_id:
                text = _("Claim %(claim)s reported: %(agent)s has it first on their call list.")
            else:
                text = _("Claim %(claim)s reported: it is in the maintainers' queue (on duty).")
            messages.success(request, text % {"claim": claim.reference, "agent": claim.agent})
            return redirect("claims:detail", pk=claim.pk)
    return render(request, "claims/report_form.html", {"form": form, "policy": policy})


@login_required
def claims_list(request):
    _require_role(request.user)
    values, ignored = ClaimFilterSet(request.GET).read()
    page = Paginator(claim_list(user=request.user, values=values), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    if ignored:
        messages.warning(request, ignored_message(ignored))
    # The filters in the pagination's links, as the URL writes them (flags off left out).
    query = {k: (v.isoformat() if hasattr(v, "isoformat") else ("1" if v is True else v))
             for k, v in values.items() if v is not False}  # fmt: skip
    return render(
        request, "claims/claim_list.html",
        {
            "page": page, "values": values, "query_string": urlencode(query),
            "statuses": ClaimStatus.choices, "kinds": ClaimKind.choices,
            "now": timezone.now(),
        },
    )  # fmt: skip


def _detail(request, claim, *, status_form=None, follow_up_form=None, repair_form=None, status=200):
    changes = list(claim.status_changes.select_related("by"))
    reached = {}
    for change in changes:
        reached.setdefault(change.status, change)
    # The usual path, each status with the date it was reached, then the statuses past it
    # that this claim reached (approved, in repair, settled, closed or withdrawn…).
    shown = list(MAIN_PATH) + [s for s in reached if s not in MAIN_PATH]
    path = [{"status": s, "label": ClaimStatus(s).label, "change": reached.get(s)} for s in shown]
    checklist = claim_checklist(claim=claim)
    missing = sum(1 for entry in checklist if entry["state"] == DocumentState.MISSING)
    return render(
        request, "claims/claim_detail.html",
        {
            "claim": claim, "changes": changes, "path": path,
            "status_form": status_form or StatusForm(claim=claim),
            "history": claim_history(claim=claim), "now": timezone.now(),
            "checklist": checklist, "documents_missing": missing,
            "document_states": DocumentState.choices,
            "referral_people": (
                list(services.referral_candidates()) if claim.is_injury and claim.is_open else None
            ),
            "dispute_form": DisputeForm() if claim.is_open else None,
            "follow_ups": list(claim.follow_ups.select_related("by")),
            "follow_up_form": follow_up_form or FollowUpForm(),
            "callback_due": claim.called_back_at is None
            and claim.settled_by_id is not None
            and claim.status in (ClaimStatus.SETTLED, ClaimStatus.CLOSED),
            **repair_context(claim, form=repair_form),
        },
        status=status,
    )  # fmt: skip


@login_required
def claim_detail(request, pk):
    _require_role(request.user)
    return _detail(request, claim_for_user(user=request.user, pk=pk))


@require_POST
@login_required
def claim_status(request, pk):
    _require_role(request.user)
    claim = claim_for_user(user=request.user, pk=pk)
    form = StatusForm(request.POST, claim=claim)
    if form.is_valid():
        try:
            services.claim_set_status(
                claim=claim, by=request.user, status=form.cleaned_data["status"],
                note=form.cleaned_data["note"], amount_settled=form.cleaned_data["amount_settled"],
            )  # fmt: skip
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Status changed."))
            return redirect("claims:detail", pk=claim.pk)
    messages.error(
        request, _("The status was not changed: %(errors)s") % {"errors": form_errors_text(form)}
    )
    return _detail(request, claim, status_form=form, status=400)


@require_POST
@login_required
def claim_contact(request, pk):
    """The client was reached (from the claim page or the maintainers' card)."""
    _require_role(request.user)
    claim = claim_for_user(user=request.user, pk=pk)
    try:
        services.claim_record_contact(claim=claim, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("First contact recorded."))
    return redirect("claims:detail", pk=claim.pk)


@login_required
def claim_edit(request, pk):
    _require_role(request.user)
    claim = claim_for_user(user=request.user, pk=pk)
    form = ClaimUpdateForm.for_claim(claim, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            if data:
                services.claim_update(claim=claim, by=request.user, data=data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Claim %(claim)s saved.") % {"claim": claim.reference})
            return redirect("claims:detail", pk=claim.pk)
    return render(request, "claims/claim_form.html", {"form": form, "claim": claim})


def _to_documents(claim):
    return redirect(f"{reverse('claims:detail', args=[claim.pk])}#documents")


@require_POST
@login_required
def document_upload(request, pk):
    """A checklist item received as a file (its content checked as for client documents)."""
    _require_role(request.user)
    claim = claim_for_user(user=request.user, pk=pk)
    run_posted_form(
        request, DocumentUploadForm(request.POST, request.FILES),
        lambda data: services.claim_document_upload(
            claim=claim, by=request.user, item=data["item"], upload=data["file"]
        ),
        done=_("Document received."), failed=_("The document was not kept: %(errors)s"),
    )  # fmt: skip
    return _to_documents(claim)


@require_POST
@login_required
def document_mark(request, pk):
    """A checklist item marked received (on paper), missing or not needed."""
    _require_role(request.user)
    claim = claim_for_user(user=request.user, pk=pk)
    run_posted_form(
        request, DocumentMarkForm(request.POST),
        lambda data: services.claim_document_mark(
            claim=claim, by=request.user, item=data["item"], state=data["state"]
        ),
        done=_("Checklist updated."), failed=_("The checklist was not changed: %(errors)s"),
    )  # fmt: skip
    return _to_documents(claim)


@require_POST
@login_required
def documents_request(request, pk):
    """Send the client the list of the missing documents."""
    _require_role(request.user)
    claim = claim_for_user(user=request.user, pk=pk)
    try:
        services.claim_documents_request(claim=claim, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The list of missing documents was sent to the client."))
    return _to_documents(claim)


@require_POST
@login_required
def claim_refer(request, pk):
    """Refer an injury claim to the person handling its legal and medical side."""
    _require_role(request.user)
    claim = claim_for_user(user=request.user, pk=pk)
    run_posted_form(
        request, ReferralForm(request.POST),
        lambda data: services.claim_refer(
            claim=claim, by=request.user, to=data["to"], note=data["note"]
        ),
        done=_("Claim referred to legal/medical."),
        failed=_("The claim was not referred: %(errors)s"),
    )  # fmt: skip
    return redirect(f"{reverse('claims:detail', args=[claim.pk])}#flags")


@require_POST
@login_required
def claim_dispute(request, pk):
    """A dispute the agent cannot resolve, escalated to the manager."""
    _require_role(request.user)
    claim = claim_for_user(user=request.user, pk=pk)
    run_posted_form(
        request, DisputeForm(request.POST),
        lambda data: services.claim_dispute_escalate(
            claim=claim, by=request.user, note=data["note"]
        ),
        done=_("Dispute escalated to the manager."),
        failed=_("The dispute was not escalated: %(errors)s"),
    )  # fmt: skip
    return redirect(f"{reverse('claims:detail', args=[claim.pk])}#flags")


@require_POST
@login_required
def claim_follow_up(request, pk):
    """Record a follow-up call; the next one may be booked at the time agreed."""
    _require_role(request.user)
    claim = claim_for_user(user=request.user, pk=pk)
    form = FollowUpForm(request.POST)
    if form.is_valid():
        try:
            services.claim_follow_up_record(claim=claim, by=request.user, data=form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Follow-up recorded."))
            return redirect(f"{reverse('claims:detail', args=[claim.pk])}#follow-ups")
    messages.error(
        request,
        _("The follow-up was not recorded: %(errors)s") % {"errors": form_errors_text(form)},
    )
    return _detail(request, claim, follow_up_form=form, status=400)


@require_POST
@login_required
def claim_callback(request, pk):
    """The call-back after settlement: the client's satisfaction and comments."""
    _require_role(request.user)
    claim = claim_for_user(user=request.user, pk=pk)
    run_posted_form(
        request, CallbackForm(request.POST),
        lambda data: services.claim_callback_record(
            claim=claim, by=request.user, satisfaction=data["satisfaction"],
            comments=data["comments"],
        ),
        done=_("Call-back recorded."), failed=_("The call-back was not recorded: %(errors)s"),
    )  # fmt: skip
    return redirect(f"{reverse('claims:detail', args=[claim.pk])}#callback")
