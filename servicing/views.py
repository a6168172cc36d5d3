"""Policy-service pages: a policy's parties, service requests (create from the policy page,
the request's page with its status changes, the list) and the life-policy service cases (the
manager's view by class and age, the list, the case's page and its steps). Every page starts
from ``visible_to``: anything else is a 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from brokerage.core.filters import ignored_message
from brokerage.core.forms import apply_service_errors, form_errors_text
from policies.models import Policy, PolicyStatus

from . import services
from .forms import (
    AttachForm,
    CaseClassForm,
    CaseCloseForm,
    CaseFilterSet,
    CaseItemForm,
    CaseSearchForm,
    ReinstatementForm,
    RequestFilterSet,
    RequestStatusForm,
    ServiceRequestForm,
    party_formset,
    proposed_formset,
)
from .models import PARTY_CHANGES, SERVICE_LINES, CaseClass, CaseSource, RequestKind, RequestStatus
from .selectors import (
    case_for_user,
    case_list,
    case_overview,
    case_work,
    initial_parties,
    party_history,
    policy_for_user,
    request_for_user,
    request_history,
    request_list,
)

PAGE_SIZE = 50


def _require_role(user) -> None:
    """Policy service is for the brokerage's staff: agents, maintainers, managers, admins."""
    if not (user.is_agent or user.is_maintainer or user.is_manager or user.is_cartera_admin):
        raise PermissionDenied


def _may_sweep(user) -> bool:
    return user.is_maintainer or user.is_manager or user.is_cartera_admin or user.is_superuser


def _query(values: dict) -> str:
    return urlencode({k: ("1" if v is True else v) for k, v in values.items() if v is not False})


# -- parties -------------------------------------------------------------------------------


@login_required
def policy_parties(request, pk):
    """The policy's parties: policyholder, insured, beneficiaries (shares add up to 100)."""
    _require_role(request.user)
    policy = policy_for_user(user=request.user, pk=pk)
    formset = party_formset(
        request.POST if request.method == "POST" else None, initial=initial_parties(policy)
    )
    status = 200
    if request.method == "POST":
        if formset.is_valid():
            try:
                services.policy_parties_set(
                    policy=policy, by=request.user, parties=formset.parties()
                )
            except ValidationError as exc:
                formset._non_form_errors = formset.error_class(exc.messages)
            else:
                messages.success(request, _("Parties recorded."))
                return redirect("policies:detail", pk=policy.pk)
        status = 400
    return render(
        request, "servicing/parties_form.html",
        {"policy": policy, "formset": formset, "history": party_history(policy=policy),
         "needs_parties": policy.line in SERVICE_LINES},
        status=status,
    )  # fmt: skip


# -- requests ------------------------------------------------------------------------------


@login_required
def request_create(request, pk):
    """A service request on a policy, from the policy page."""
    _require_role(request.user)
    policy = policy_for_user(user=request.user, pk=pk)
    data = request.POST if request.method == "POST" else None
    initial_kind = request.GET.get("kind")
    form = ServiceRequestForm(data, documents=services.documents_of(policy))
    if data is None and initial_kind in RequestKind.values:
        form.initial["kind"] = initial_kind
    elif data is None and policy.status == PolicyStatus.LAPSED:
        form.initial["kind"] = RequestKind.REINSTATEMENT
    # The new parties are checked for the type chosen, whatever else the form says.
    role = PARTY_CHANGES.get(data.get("kind")) if data is not None else None
    parties = proposed_formset(data, role=role)
    status = 200
    if data is not None:
        if form.is_valid() and parties.is_valid():
            try:
                created = services.service_request_create(
                    policy=policy, by=request.user, kind=form.cleaned_data["kind"],
                    due_on=form.cleaned_data["due_on"], notes=form.cleaned_data["notes"],
                    documents=form.cleaned_data["documents"],
                    new_parties=parties.parties() if role else [],
                )  # fmt: skip
            except ValidationError as exc:
                if hasattr(exc, "error_dict") and "new_parties" in exc.error_dict:
                    parties._non_form_errors = parties.error_class(
                        [m for e in exc.error_dict.pop("new_parties") for m in e.messages]
                    )
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Service request %(request)s opened.") % {
                    "request": created.reference})  # fmt: skip
                return redirect("servicing:request_detail", pk=created.pk)
        status = 400
    return render(
        request, "servicing/request_form.html",
        {"policy": policy, "form": form, "parties": parties},
        status=status,
    )  # fmt: skip


@login_required
def request_list_view(request):
    _require_role(request.user)
    values, ignored = RequestFilterSet(request.GET).read()
    if ignored:
        messages.warning(request, ignored_message(ignored))
    page = Paginator(request_list(user=request.user, values=values), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request, "servicing/request_list.html",
        {"page": page, "values": values, "query_string": _query(values),
         "statuses": RequestStatus.choices, "kinds": RequestKind.choices,
         "today": timezone.localdate()},
    )  # fmt: skip


def _attachable(service_request):
    return services.documents_of(service_request.policy).exclude(
        pk__in=service_request.documents.values("pk")
    )


def _request_page(request, service_request, *, form=None, attach_form=None, status=200):
    attach = None
    if service_request.is_open:
        attach = attach_form or AttachForm(documents=_attachable(service_request))
    return render(
        request, "servicing/request_detail.html",
        {"sr": service_request,
         "form": form or RequestStatusForm(request=service_request),
         "attach_form": attach,
         "documents": list(service_request.documents.all()),
         "history": request_history(request=service_request),
         "today": timezone.localdate()},
        status=status,
    )  # fmt: skip


@login_required
def request_detail(request, pk):
    _require_role(request.user)
    return _request_page(request, request_for_user(user=request.user, pk=pk))


@require_POST
@login_required
def request_status(request, pk):
    _require_role(request.user)
    service_request = request_for_user(user=request.user, pk=pk)
    form = RequestStatusForm(request.POST, request=service_request)
    if form.is_valid():
        try:
            services.service_request_set_status(
                request=service_request, by=request.user, status=form.cleaned_data["status"],
                reason=form.cleaned_data["reason"], end_date=form.cleaned_data.get("end_date"),
            )  # fmt: skip
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Status changed."))
            return redirect("servicing:request_detail", pk=service_request.pk)
    messages.error(
        request, _("The status was not changed: %(errors)s") % {"errors": form_errors_text(form)}
    )
    return _request_page(request, service_request, form=form, status=400)


@require_POST
@login_required
def request_attach(request, pk):
    """Attach more of the client's documents to an open request."""
    _require_role(request.user)
    service_request = request_for_user(user=request.user, pk=pk)
    form = AttachForm(request.POST, documents=_attachable(service_request))
    if form.is_valid():
        try:
            services.service_request_attach(
                request=service_request, by=request.user, documents=form.cleaned_data["documents"]
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Documents attached."))
            return redirect("servicing:request_detail", pk=service_request.pk)
    messages.error(
        request, _("Nothing was attached: %(errors)s") % {"errors": form_errors_text(form)}
    )
    return _request_page(request, service_request, attach_form=form, status=400)


# -- cases ---------------------------------------------------------------------------------


@login_required
def case_overview_view(request):
    """The manager's view: open service cases by class and age, each figure a link."""
    _require_role(request.user)
    return render(
        request, "servicing/case_overview.html",
        {"overview": case_overview(user=request.user), "may_sweep": _may_sweep(request.user)},
    )  # fmt: skip


@require_POST
@login_required
def case_sweep(request):
    """Open the cases of the clients whose life or health policies have no active agent."""
    if not _may_sweep(request.user):
        raise PermissionDenied
    opened = services.service_cases_open_orphans(by=request.user)
    messages.success(
        request, _("%(count)d service cases opened for policies with no active agent.")
        % {"count": len(opened)},
    )  # fmt: skip
    return redirect("servicing:cases")


@login_required
def case_list_view(request):
    _require_role(request.user)
    values, ignored = CaseFilterSet(request.GET).read()
    if ignored:
        messages.warning(request, ignored_message(ignored))
    page = Paginator(case_list(user=request.user, values=values), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request, "servicing/case_list.html",
        {"page": page, "values": values, "query_string": _query(values),
         "classes": CaseClass.choices, "sources": CaseSource.choices,
         "ages": CaseFilterSet.base_filters["age"].extra["choices"],
         "now": timezone.now()},
    )  # fmt: skip


def _case_page(request, case, *, forms=None, status=200):
    work = case_work(case=case)
    forms = forms or {}
    return render(
        request, "servicing/case_detail.html",
        {"case": case, **work,
         "class_form": forms.get("class") or CaseClassForm(initial={"case_class": case.case_class}),
         "item_form": forms.get("item") or CaseItemForm(),
         "search_form": forms.get("search") or CaseSearchForm(),
         "close_form": forms.get("close") or CaseCloseForm(case=case),
         "reinstatement_form": forms.get("reinstatement") or ReinstatementForm(
             policies=_lapsed(case), shown=work["lapsed"]),
         "history": _case_history(case)},
        status=status,
    )  # fmt: skip


def _lapsed(case):
    return Policy.objects.filter(
        holder_id=case.client_id, line__in=SERVICE_LINES, status=PolicyStatus.LAPSED
    )


def _case_history(case):
    from clients.selectors import history_changes

    return history_changes(case.history.select_related("history_user"), limit=30)


@login_required
def case_detail(request, pk):
    _require_role(request.user)
    return _case_page(request, case_for_user(user=request.user, pk=pk))


def _case_action(request, pk, form_class, action, *, done, name, **form_kwargs):
    _require_role(request.user)
    case = case_for_user(user=request.user, pk=pk)
    form = form_class(request.POST, **{k: (v(case) if callable(v) else v)
                                       for k, v in form_kwargs.items()})  # fmt: skip
    if form.is_valid():
        try:
            action(case, form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, done)
            return redirect("servicing:case_detail", pk=case.pk)
    messages.error(request, _("Nothing was recorded: %(errors)s") % {
        "errors": form_errors_text(form)})  # fmt: skip
    return _case_page(request, case, forms={name: form}, status=400)


@require_POST
@login_required
def case_classify(request, pk):
    return _case_action(
        request, pk, CaseClassForm,
        lambda case, data: services.service_case_reclassify(
            case=case, by=request.user, case_class=data["case_class"]),
        done=_("Class changed."), name="class",
    )  # fmt: skip


@require_POST
@login_required
def case_sign(request, pk):
    """Seed 003, normal case, step 1: the client's service list is signed for."""
    _require_role(request.user)
    case = case_for_user(user=request.user, pk=pk)
    try:
        services.service_case_sign_list(case=case, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Service list signed."))
    return redirect("servicing:case_detail", pk=case.pk)


@require_POST
@login_required
def case_item(request, pk):
    return _case_action(
        request, pk, CaseItemForm,
        lambda case, data: services.service_case_record_item(
            case=case, by=request.user, item=data["item"], state=data["state"],
            note=data["note"]),
        done=_("Service item recorded."), name="item",
    )  # fmt: skip


@require_POST
@login_required
def case_search(request, pk):
    return _case_action(
        request, pk, CaseSearchForm,
        lambda case, data: services.service_case_record_search(
            case=case, by=request.user, method=data["method"], note=data["note"]),
        done=_("Search recorded."), name="search",
    )  # fmt: skip


@require_POST
@login_required
def case_reinstatement(request, pk):
    _require_role(request.user)
    case = case_for_user(user=request.user, pk=pk)
    form = ReinstatementForm(request.POST, policies=_lapsed(case))
    if form.is_valid():
        try:
            created = services.service_case_offer_reinstatement(
                case=case, policy=form.cleaned_data["policy"], by=request.user,
                due_on=form.cleaned_data["due_on"],
            )  # fmt: skip
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Reinstatement offered: service request %(request)s.") % {
                "request": created.reference})  # fmt: skip
            return redirect("servicing:case_detail", pk=case.pk)
    messages.error(request, _("Nothing was recorded: %(errors)s") % {
        "errors": form_errors_text(form)})  # fmt: skip
    return _case_page(request, case, forms={"reinstatement": form}, status=400)


@require_POST
@login_required
def case_close(request, pk):
    return _case_action(
        request, pk, CaseCloseForm,
        lambda case, data: services.service_case_close(
            case=case, by=request.user, outcome=data["outcome"], note=data["note"]),
        done=_("Service case closed."), name="close", case=lambda case: case,
    )  # fmt: skip
