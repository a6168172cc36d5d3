"""Reads of renewal cases. Every read starts from Policy.objects.visible_to(user), so a list can
never show a case that the case page would refuse."""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from brokerage.accounts.models import User
from brokerage.core.dates import day_start
from clients.models import Client
from clients.search import compact
from policies.models import Currency, Line, Policy
from workqueue import kinds
from workqueue.models import ItemResult, ItemStatus, WorkItem

from .kind import RENEWAL_KIND, TOUCH_KINDS
from .models import CaseStatus, Grade, Ladder, LostReason, RenewalCase, Stage

ALL = "all"  # status: every status (the page opens on the open cases)
NOT_CANCELLED = "due"  # status: every case but the cancelled ones (the reports' "due")
UNGRADED = "none"  # grade: cases nobody has graded yet
NOT_SET = "none"  # stage, reason, lost to: cases without one (the reports' links)
OVERDUE = "overdue"
DUE_WINDOWS = {
    OVERDUE: gettext_lazy("Overdue"),
    "7": gettext_lazy("Next 7 days"),
    "15": gettext_lazy("Next 15 days"),
    "30": gettext_lazy("Next 30 days"),
    "60": gettext_lazy("Next 60 days"),
    "90": gettext_lazy("Next 90 days"),
}


def stage_label(value: str) -> str:
    """A stage of the Stage choices in the reader's language; a ladder's own stage as written."""
    return str(Stage(value).label) if value in Stage.values else value


def stage_choices() -> list[tuple[str, str]]:
    """The standard stages, then any other stage written on a ladder (one query)."""
    values = list(Stage.values)
    for rungs in Ladder.objects.values_list("rungs", flat=True):
        for rung in rungs or []:
            stage = rung.get("stage") if isinstance(rung, dict) else None
            if stage and stage not in values:
                values.append(stage)
    return [(value, stage_label(value)) for value in values]


@dataclass
class RenewalFilters:
    status: str = CaseStatus.OPEN
    stage: str = ""
    grade: str = ""
    agent: int | None = None
    insurer: int | None = None
    line: str = ""
    due: str = ""
    q: str = ""
    # Set by the reports' links (a figure opens the cases behind it): policies ending in a
    # range, a team, why the cases were lost and to whom.
    ends_from: date | None = None
    ends_to: date | None = None
    team: int | None = None
    reason: str = ""
    lost_to: int | str | None = None  # an insurer's pk, or NOT_SET
    currency: str = ""
    closed_from: date | None = None
    closed_to: date | None = None
    # Labels of the parameters that were ignored because their value was not understood.
    ignored: list[str] = field(default_factory=list, compare=False, repr=False)

    @classmethod
    def from_query(
        cls,
        params,
        *,
        stages: set[str] = frozenset(Stage.values),
        agent_ids: set[int] = frozenset(),
        insurer_ids: set[int] = frozenset(),
        team_ids: set[int] = frozenset(),
    ) -> "RenewalFilters":
        """Read the GET parameters; a value that is not one of the choices is ignored and
        named in ``ignored`` (the page says so), never an error."""
        ignored = []

        def choice(name, allowed, label, default=""):
            value = params.get(name, "")
            if value == "":
                return default
            if value in allowed:
                return value
            ignored.append(str(label))
            return default

        def pk(name, allowed, label):
            value = params.get(name, "")
            if value == "":
                return None
            if value.isdigit() and int(value) in allowed:
                return int(value)
            ignored.append(str(label))
            return None

        def day(name, label):
            value = params.get(name, "")
            if value == "":
                return None
            try:
                return date.fromisoformat(value)
            except ValueError:
                ignored.append(str(label))
                return None

        status = params.get("status")
        if not status:
            status = CaseStatus.OPEN
        elif status not in (*CaseStatus.values, ALL, NOT_CANCELLED):
            ignored.append(_("status"))
            status = CaseStatus.OPEN
        filters = cls(
            status=status,
            stage=choice("stage", {*stages, NOT_SET}, _("stage")),
            grade=choice("grade", {*Grade.values, UNGRADED}, _("grade")),
            agent=pk("agent", agent_ids, _("agent")),
            insurer=pk("insurer", insurer_ids, _("insurer")),
            line=choice("line", Line.values, _("line of business")),
            due=choice("due", DUE_WINDOWS, _("due")),
            q=" ".join(params.get("q", "").split())[:100],
            ends_from=day("ends_from", _("ending from")),
            ends_to=day("ends_to", _("ending to")),
            team=pk("team", team_ids, _("team")),
            reason=choice("reason", {*LostReason.values, NOT_SET}, _("reason")),
            lost_to=(
                NOT_SET
                if params.get("lost_to") == NOT_SET
                else pk("lost_to", insurer_ids, _("lost to"))
            ),
            currency=choice("currency", Currency.values, _("currency")),
            closed_from=day("closed_from", _("closed from")),
            closed_to=day("closed_to", _("closed to")),
        )
        filters.ignored = ignored
        return filters

    def as_dict(self) -> dict:
        """The filters for the URL (pagination links, exports): the defaults are left out."""
        values = {
            "status": self.status if self.status != CaseStatus.OPEN else "",
            "stage": self.stage,
            "grade": self.grade,
            "agent": self.agent,
            "insurer": self.insurer,
            "line": self.line,
            "due": self.due,
            "q": self.q,
            "ends_from": self.ends_from.isoformat() if self.ends_from else "",
            "ends_to": self.ends_to.isoformat() if self.ends_to else "",
            "team": self.team,
            "reason": self.reason,
            "lost_to": self.lost_to,
            "currency": self.currency,
            "closed_from": self.closed_from.isoformat() if self.closed_from else "",
            "closed_to": self.closed_to.isoformat() if self.closed_to else "",
        }
        return {k: v for k, v in values.items() if v not in ("", None)}


def _touch_count(status: str):
    counted = (
        WorkItem.objects.filter(kind__in=TOUCH_KINDS, subject_id=OuterRef("pk"), status=status)
        .order_by()
        .values("subject_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def cases_visible_to(user: User) -> QuerySet[RenewalCase]:
    """The cases of the policies the user may see: those of the clients they may see, read
    from the client the case copies from its policy (no filter at all for those who see every
    policy: a semi-join over a million policies would cost seconds)."""
    if Policy.objects.sees_all(user):
        return RenewalCase.objects.all()
    return RenewalCase.objects.filter(holder__in=Client.objects.visible_to(user).values("pk"))


def renewal_list(*, user: User, filters: RenewalFilters, today: date) -> QuerySet[RenewalCase]:
    """The cases the user may see that match the filters, soonest end date first, with their
    touches counted in the same query (a fixed number of queries whatever the page size)."""
    qs = cases_visible_to(user)
    if filters.status == NOT_CANCELLED:
        qs = qs.exclude(status=CaseStatus.CANCELLED)
    elif filters.status != ALL:
        qs = qs.filter(status=filters.status)
    if filters.stage:
        qs = qs.filter(stage="" if filters.stage == NOT_SET else filters.stage)
    if filters.grade == UNGRADED:
        qs = qs.filter(grade="")
    elif filters.grade:
        qs = qs.filter(grade=filters.grade)
    if filters.agent:
        qs = qs.filter(agent_id=filters.agent)
    if filters.insurer:
        qs = qs.filter(insurer_id=filters.insurer)
    if filters.line:
        qs = qs.filter(line=filters.line)
    if filters.due == OVERDUE:
        qs = qs.filter(end_date__lt=today)
    elif filters.due:
        end = today + timedelta(days=int(filters.due))
        qs = qs.filter(end_date__gte=today, end_date__lte=end)
    if filters.ends_from:
        qs = qs.filter(end_date__gte=filters.ends_from)
    if filters.ends_to:
        qs = qs.filter(end_date__lte=filters.ends_to)
    if filters.team:
        qs = qs.filter(agent__team_id=filters.team)
    if filters.reason:
        qs = qs.filter(outcome_reason="" if filters.reason == NOT_SET else filters.reason)
    if filters.lost_to == NOT_SET:
        qs = qs.filter(lost_to=None)
    elif filters.lost_to:
        qs = qs.filter(lost_to_id=filters.lost_to)
    if filters.currency:
        qs = qs.filter(currency=filters.currency)
    if filters.closed_from:
        qs = qs.filter(closed_at__gte=day_start(filters.closed_from))
    if filters.closed_to:
        qs = qs.filter(closed_at__lt=day_start(filters.closed_to + timedelta(days=1)))
    if filters.q:
        text = Q(policy__holder__display_name__icontains=filters.q)
        code = compact(filters.q)
        if code:
            text |= Q(policy__number_key__contains=code)
        qs = qs.filter(text)
    return (
        qs.select_related("policy__holder", "policy__insurer", "policy__agent")
        .annotate(touches_done=_touch_count(ItemStatus.DONE))
        .annotate(touches_open=_touch_count(ItemStatus.OPEN))
        .order_by("end_date", "pk")
    )


def with_stage_labels(cases, *, today: date) -> list[RenewalCase]:
    """The cases as a list, each with ``stage_label``, ``days_left`` and ``days_late`` (for
    the rows whose policy has already ended)."""
    cases = list(cases)
    for case in cases:
        case.stage_label = stage_label(case.stage)
        case.days_left = (case.policy.end_date - today).days
        case.days_late = -case.days_left
    return cases


def case_for_user(*, user: User, pk: int) -> RenewalCase:
    """The case, or 404 unless its policy is one the user may see."""
    case = get_object_or_404(
        cases_visible_to(user).select_related(
            "policy__holder",
            "policy__insurer",
            "policy__agent",
            "ladder",
            "lost_to",
            "new_policy__insurer",
            "closed_by",
        ),
        pk=pk,
    )
    case.stage_label = stage_label(case.stage)
    return case


def case_touches(*, case: RenewalCase) -> list[WorkItem]:
    """Every touch of the case with its logged results, in two queries. Each result gets
    ``result_label``; each item gets ``result_label`` and ``rung_days`` (None when it is not a
    rung of the ladder, e.g. the maintainers' lapsed item)."""
    items = list(
        WorkItem.objects.filter(kind__in=TOUCH_KINDS, subject_id=case.pk)
        .select_related("agent")
        .prefetch_related(
            Prefetch(
                "results", queryset=ItemResult.objects.select_related("by").order_by("at", "pk")
            )
        )
        .order_by("due_on", "pk")
    )
    for item in items:
        item.result_label = _result_label(item.result)
        for result in item.results.all():
            result.result_label = _result_label(result.result)
        item.rung_days = _rung_days(item)
    return items


def case_rungs(*, case: RenewalCase, touches: list[WorkItem], today: date) -> list[dict]:
    """The ladder's rungs, farthest first, each with its due date, its stage and the touches
    made on it; ``current`` marks the latest rung that has fallen due."""
    end = case.policy.end_date
    rungs = []
    for rung in sorted(case.ladder.rungs, key=lambda r: -int(r["days"])):
        days = int(rung["days"])
        rungs.append(
            {
                "days": days,
                "stage": rung.get("stage", ""),
                "stage_label": stage_label(rung.get("stage", "")),
                "message": rung.get("message", ""),
                "due_on": end - timedelta(days=days),
                "touches": [t for t in touches if t.rung_days == days],
                "current": False,
            }
        )
    fallen_due = [r for r in rungs if r["due_on"] <= today]
    if fallen_due:
        fallen_due[-1]["current"] = True
    return rungs


def _rung_days(item: WorkItem) -> int | None:
    if item.kind == RENEWAL_KIND and item.key.startswith("rung-"):
        days = item.key.removeprefix("rung-")
        if days.isdigit():
            return int(days)
    return None


def _result_label(value: str) -> str:
    if not value:
        return ""
    return str(kinds.result_label(value, kind=RENEWAL_KIND))
