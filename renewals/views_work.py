"""The renewal pages an agent reaches from the call list: renew (the new policy, prefilled and
editable) and renewed elsewhere (which insurer and why)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from brokerage.core.filters import PkField
from brokerage.core.forms import apply_service_errors
from policies.forms import PolicyForm
from policies.models import Policy
from policies.selectors import market_insurers
from workqueue.models import ItemStatus, Queue, WorkItem

from .forms_work import ElsewhereForm
from .kind import RENEWAL_KIND
from .models import CaseStatus, RenewalCase
from .services import renewal_defaults, renewal_points, renewal_record_elsewhere, renewal_renew


def _case_for_user(user, pk) -> RenewalCase:
    """404 unless the case's policy is one the user may see."""
    return get_object_or_404(
        RenewalCase.objects.select_related(
            "policy__holder", "policy__insurer", "policy__agent", "ladder"
        ).filter(policy__in=Policy.objects.visible_to(user).values("pk")),
        pk=pk,
    )


def _item_for_agent(request, case) -> WorkItem | None:
    """The open touch of this case in the agent's call list, when the page came from it."""
    item_id = request.GET.get("item") or request.POST.get("item")
    if not item_id:
        return None
    try:  # "²".isdigit() is true, yet no key: the field takes whole numbers a key may be
        item_id = PkField().clean(item_id)
    except ValidationError:
        item_id = 0
    return get_object_or_404(
        WorkItem,
        pk=item_id,
        kind=RENEWAL_KIND,
        subject_id=case.pk,
        agent=request.user,
        queue=Queue.AGENT,
    )


def _next_url(request, default: str) -> str:
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url and url_has_allowed_host_and_scheme(url, {request.get_host()}, request.is_secure()):
        return url
    return default


def _closed(request, case):
    messages.warning(
        request,
        _("This renewal is already closed (%(status)s).") % {"status": case.get_status_display()},
    )
    return redirect(_next_url(request, case.get_absolute_url()))


@login_required
def case_renew_view(request, pk):
    case = _case_for_user(request.user, pk)
    item = _item_for_agent(request, case)
    if case.status not in (CaseStatus.OPEN, CaseStatus.LAPSED):
        return _closed(request, case)
    form = PolicyForm(request.POST or None, initial=renewal_defaults(case=case))
    if request.method == "POST" and form.is_valid():
        try:
            new = renewal_renew(case=case, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Renewed: %(old)s continues as %(new)s.") % {"old": case.policy, "new": new},
            )
            return redirect(_next_url(request, reverse("policies:detail", args=[new.pk])))
    return render(
        request,
        "renewals/case_renew.html",
        {
            "case": case,
            "item": item,
            "form": form,
            "points": renewal_points(case.quoted_premium or case.policy.premium),
            "next": _next_url(request, ""),
        },
    )


@login_required
def case_elsewhere_view(request, pk):
    case = _case_for_user(request.user, pk)
    item = _item_for_agent(request, case)
    if case.status != CaseStatus.OPEN or (item is not None and item.status != ItemStatus.OPEN):
        return _closed(request, case)
    insurers = market_insurers().exclude(pk=case.policy.insurer_id)
    form = ElsewhereForm(request.POST or None, insurers=insurers)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            case = renewal_record_elsewhere(
                case=case, by=request.user, item=item, lost_to=data["lost_to"],
                other_insurer=data["other_insurer"], lost_why=data["lost_why"],
                note=data["note"],
            )  # fmt: skip
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Recorded: %(client)s renewed with %(insurer)s.")
                % {"client": case.policy.holder, "insurer": case.lost_to},
            )
            return redirect(_next_url(request, case.get_absolute_url()))
    return render(
        request,
        "renewals/case_elsewhere.html",
        {"case": case, "item": item, "form": form, "next": _next_url(request, "")},
    )
