"""Managers' renewal pages: the renewal list and a case with every touch."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from brokerage.accounts.models import Team
from brokerage.accounts.selectors import teams_visible_to
from brokerage.core.exports import export_record, xlsx_response
from brokerage.core.forms import run_posted_form
from brokerage.core.pagination import CappedPaginator
from claims.selectors import claims_of_term
from clients.selectors import agents_for_reassignment
from policies.models import Insurer, Line

from .models import CaseStatus, ClientType, Grade, LostReason
from .selectors import (
    ALL,
    DUE_WINDOWS,
    NOT_CANCELLED,
    NOT_SET,
    UNGRADED,
    RenewalFilters,
    case_for_user,
    case_rungs,
    case_touches,
    renewal_list,
    stage_choices,
    stage_label,
    with_stage_labels,
)
from .services import renewal_grade

PAGE_SIZE = 50
TABLE_TARGET = "renewal-table"


class CaseGradeForm(forms.Form):
    """Grade and client type of a case (the service checks them again)."""

    grade = forms.ChoiceField(
        label=gettext_lazy("Grade"), choices=[("", "—"), *Grade.choices], required=False
    )
    client_type = forms.ChoiceField(
        label=gettext_lazy("Client type"), choices=[("", "—"), *ClientType.choices], required=False
    )


@login_required
@permission_required("renewals.view_renewalcase", raise_exception=True)
def renewal_list_view(request):
    agents = list(agents_for_reassignment(user=request.user))
    insurers = list(Insurer.objects.all())
    stages = stage_choices()
    filters = RenewalFilters.from_query(
        request.GET,
        stages={value for value, _label in stages},
        agent_ids={agent.pk for agent in agents},
        insurer_ids={insurer.pk for insurer in insurers},
        team_ids=_team_ids(request),
    )
    today = timezone.localdate()
    page = CappedPaginator(
        renewal_list(user=request.user, filters=filters, today=today), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    page.object_list = with_stage_labels(page.object_list, today=today)
    partial = bool(request.htmx) and request.htmx.target == TABLE_TARGET
    warning = ""
    if filters.ignored:
        warning = _("Some filters were not understood and were ignored: %(names)s.") % {
            "names": ", ".join(filters.ignored)
        }
        if not partial:
            messages.warning(request, warning)
    context = {
        **_report_filters(filters, insurers),
        "page": page,
        "filters": filters,
        "query_string": urlencode(filters.as_dict()),
        "statuses": CaseStatus.choices,
        "all_statuses": ALL,
        "not_cancelled": NOT_CANCELLED,
        "stages": stages,
        "grades": Grade.choices,
        "ungraded": UNGRADED,
        "agents": agents,
        "insurers": insurers,
        "lines": Line.choices,
        "due_windows": list(DUE_WINDOWS.items()),
        # An htmx swap replaces only the table: the warning travels inside it.
        "inline_warning": warning if partial else "",
        "today": today,
    }
    template = "renewals/renewal_list.html"
    if partial:
        template += "#" + TABLE_TARGET
    return render(request, template, context)


def _team_ids(request) -> set[int]:
    """The teams the user may filter by (read only when the URL names one)."""
    if not request.GET.get("team"):
        return set()
    return set(teams_visible_to(user=request.user).values_list("pk", flat=True))


def _report_filters(filters: RenewalFilters, insurers) -> dict:
    """The filters a report's link set (no control of their own on the page): said in words,
    and kept as hidden fields when the other filters change."""
    names = ("ends_from", "ends_to", "team", "reason", "lost_to", "currency", "closed_from",
             "closed_to")  # fmt: skip
    values = [(n, v) for n, v in filters.as_dict().items() if n in names]
    words = []
    if filters.ends_from or filters.ends_to:
        words.append(
            _("ending %(start)s – %(end)s")
            % {"start": filters.ends_from or "…", "end": filters.ends_to or "…"}
        )
    if filters.closed_from or filters.closed_to:
        words.append(
            _("closed %(start)s – %(end)s")
            % {"start": filters.closed_from or "…", "end": filters.closed_to or "…"}
        )
    if filters.team:
        team = Team.objects.filter(pk=filters.team).first()
        words.append(_("team %(name)s") % {"name": team})
    if filters.reason:
        words.append(
            _("no reason recorded") if filters.reason == NOT_SET
            else str(LostReason(filters.reason).label)
        )  # fmt: skip
    if filters.currency:
        words.append(filters.currency)
    if filters.lost_to:
        insurer = next((i for i in insurers if i.pk == filters.lost_to), None)
        words.append(
            _("lost to %(insurer)s") % {"insurer": insurer or _("an insurer not recorded")}
        )
    return {"report_filters": words, "report_filter_values": values}


@login_required
def case_detail_view(request, pk):
    case = case_for_user(user=request.user, pk=pk)
    today = timezone.localdate()
    touches = case_touches(case=case)
    rungs = case_rungs(case=case, touches=touches, today=today)
    return render(
        request,
        "renewals/case_detail.html",
        {
            "case": case,
            "policy": case.policy,
            "client": case.policy.holder,
            "days_left": (case.policy.end_date - today).days,
            "days_late": (today - case.policy.end_date).days,
            "rungs": rungs,
            "touches": touches,
            "claims": claims_of_term(policy=case.policy),
            "grade_form": CaseGradeForm(
                initial={"grade": case.grade, "client_type": case.client_type}
            ),
            "today": today,
        },
    )


@require_POST
@login_required
def case_grade_view(request, pk):
    case = case_for_user(user=request.user, pk=pk)
    run_posted_form(
        request,
        CaseGradeForm(request.POST),
        lambda data: renewal_grade(
            case=case, by=request.user, grade=data["grade"], client_type=data["client_type"]
        ),
        done=_("Grade saved."),
        failed=_("The grade was not saved: %(errors)s"),
    )
    return redirect(reverse("renewals:detail", args=[case.pk]) + "#grade")


@login_required
@permission_required("accounts.export_data", raise_exception=True)
def renewal_export_view(request):
    """The renewal list as filtered, as .xlsx (recorded; the same visibility as the page)."""
    filters = RenewalFilters.from_query(
        request.GET,
        stages={value for value, _label in stage_choices()},
        agent_ids={agent.pk for agent in agents_for_reassignment(user=request.user)},
        insurer_ids=set(Insurer.objects.values_list("pk", flat=True)),
        team_ids=_team_ids(request),
    )
    today = timezone.localdate()
    qs = renewal_list(user=request.user, filters=filters, today=today)
    export_record(user=request.user, what="renewals", filters=filters.as_dict(), rows=qs.count())
    header = [
        _("Client"), _("Policy number"), _("Insurer"), _("Line of business"), _("End date"),
        _("Stage"), _("Grade"), _("Client type"), _("Status"), _("Reason"), _("Renewed with"),
        _("Last year's premium"), _("Quoted premium"), _("Currency"), _("Agent"),
        _("Touches done"), _("Touches open"),
    ]  # fmt: skip
    rows = (
        [
            c.policy.holder.display_name,
            c.policy.number,
            str(c.policy.insurer),
            str(c.policy.get_line_display()),
            c.end_date,
            str(stage_label(c.stage)),
            c.grade,
            str(c.get_client_type_display()),
            str(c.get_status_display()),
            str(c.get_outcome_reason_display()),
            str(c.lost_to or ""),
            c.last_premium,
            c.quoted_premium,
            c.policy.currency,
            str(c.policy.agent or ""),
            c.touches_done,
            c.touches_open,
        ]  # fmt: skip
        for c in qs.select_related("lost_to").iterator(chunk_size=2000)
    )
    return xlsx_response(filename="renewals.xlsx", sheet=_("Renewals"), header=header, rows=rows)
