"""Reads of renewal cases. Every read starts from Policy.objects.visible_to(user), so a list can
never show a case that the case page would refuse."""

from dataclasses import dataclass, field
from datetime import date, timedelta

import django_filters
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy, pgettext_lazy

from brokerage.accounts.models import User
from brokerage.core.dates import day_start
from brokerage.core.filters import DayFilter, ListFilterSet, PkFilter, TextFilter, filter_values
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
    # Open renewals whose policy has already ended (es: renovaciones, feminine plural).
    OVERDUE: pgettext_lazy("renewals whose policy has ended", "Overdue"),
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


class RenewalFilterSet(ListFilterSet):
    """The renewal list's URL parameters: what each may hold and how it narrows the list.
    The stages, agents, insurers and teams one may choose are given when reading a URL (the
    page lists them); ``today`` when narrowing (the due windows count from it)."""

    status = django_filters.ChoiceFilter(
        choices=[*CaseStatus.choices, (ALL, ALL), (NOT_CANCELLED, NOT_CANCELLED)],
        label=gettext_lazy("status"),
        method="by_status",
    )
    stage = django_filters.ChoiceFilter(label=gettext_lazy("stage"), method="by_stage")
    grade = django_filters.ChoiceFilter(
        choices=[*Grade.choices, (UNGRADED, UNGRADED)],
        label=gettext_lazy("grade"),
        method="by_grade",
    )
    agent = PkFilter(field_name="agent_id", label=gettext_lazy("agent"), method="by_field")
    insurer = PkFilter(field_name="insurer_id", label=gettext_lazy("insurer"), method="by_field")
    line = django_filters.ChoiceFilter(
        choices=Line.choices, label=gettext_lazy("line of business"), method="by_field"
    )
    due = django_filters.ChoiceFilter(
        choices=list(DUE_WINDOWS.items()), label=gettext_lazy("due"), method="by_due"
    )
    ends_from = DayFilter(
        field_name="end_date__gte", label=gettext_lazy("ending from"), method="by_field"
    )
    ends_to = DayFilter(
        field_name="end_date__lte", label=gettext_lazy("ending to"), method="by_field"
    )
    team = PkFilter(field_name="agent__team_id", label=gettext_lazy("team"), method="by_field")
    reason = django_filters.ChoiceFilter(
        choices=[*LostReason.choices, (NOT_SET, NOT_SET)],
        label=gettext_lazy("reason"),
        method="by_reason",
    )
    lost_to = PkFilter(also=(NOT_SET,), label=gettext_lazy("lost to"), method="by_lost_to")
    currency = django_filters.ChoiceFilter(
        choices=Currency.choices, label=gettext_lazy("currency"), method="by_field"
    )
    closed_from = DayFilter(label=gettext_lazy("closed from"), method="closed_from_day")
    closed_to = DayFilter(label=gettext_lazy("closed to"), method="closed_to_day")
    q = TextFilter(length=100, collapse=True, label=gettext_lazy("search"), method="by_text")

    class Meta:
        model = RenewalCase
        fields = []

    def __init__(
        self,
        data=None,
        queryset=None,
        *,
        stages: set[str] = frozenset(Stage.values),
        agent_ids: set[int] = frozenset(),
        insurer_ids: set[int] = frozenset(),
        team_ids: set[int] = frozenset(),
        today: date | None = None,
    ):
        super().__init__(data, queryset)
        self.today = today
        self.filters["stage"].extra["choices"] = [(s, s) for s in (*sorted(stages), NOT_SET)]
        for name, allowed in (
            ("agent", agent_ids), ("insurer", insurer_ids), ("team", team_ids),
            ("lost_to", insurer_ids),
        ):  # fmt: skip
            self.filters[name].extra["allowed"] = allowed

    def by_field(self, qs, name, value):
        return qs.filter(**{name: value})

    def by_status(self, qs, name, value):
        if value == NOT_CANCELLED:
            return qs.exclude(status=CaseStatus.CANCELLED)
        return qs if value == ALL else qs.filter(status=value)

    def by_stage(self, qs, name, value):
        return qs.filter(stage="" if value == NOT_SET else value)

    def by_grade(self, qs, name, value):
        return qs.filter(grade="" if value == UNGRADED else value)

    def by_due(self, qs, name, value):
        if value == OVERDUE:
            return qs.filter(end_date__lt=self.today)
        end = self.today + timedelta(days=int(value))
        return qs.filter(end_date__gte=self.today, end_date__lte=end)

    def by_reason(self, qs, name, value):
        return qs.filter(outcome_reason="" if value == NOT_SET else value)

    def by_lost_to(self, qs, name, value):
        return qs.filter(lost_to=None) if value == NOT_SET else qs.filter(lost_to_id=value)

    def closed_from_day(self, qs, name, value):
        return qs.filter(closed_at__gte=day_start(value))

    def closed_to_day(self, qs, name, value):
        return qs.filter(closed_at__lt=day_start(value + timedelta(days=1)))

    def by_text(self, qs, name, value):
        text = Q(policy__holder__display_name__icontains=value)
        code = compact(value)
        if code:
            text |= Q(policy__number_key__contains=code)
        return qs.filter(text)


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
        """Read the GET parameters (RenewalFilterSet says what each may hold); a value that is
        not one of the choices is ignored and named in ``ignored`` (the page says so), never an
        error."""
        values, ignored = RenewalFilterSet(
            params, stages=stages, agent_ids=agent_ids, insurer_ids=insurer_ids,
            team_ids=team_ids,
        ).read()  # fmt: skip
        return cls(**values, ignored=ignored)

    def values(self) -> dict:
        return filter_values(self)

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
    qs = RenewalFilterSet(queryset=cases_visible_to(user), today=today).narrow(filters.values())
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
