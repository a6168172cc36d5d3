"""Collections (seed 000's "cobranza"): of the instalments that fell due in the period, how
many and how much were collected (the collection rate on a count basis and on an amount
basis); the age of what is still owed today; the promises to pay kept and broken; and the
policies at risk of cancellation for non-payment.

Every figure is aggregated in SQL: one query per table and one for the names of the groups,
whatever the book's size. Money is summed in the report's one currency (the instalment's own
currency), never across currencies. The aging reads only open instalments (pending, partly
paid, overdue), the rows billing's partial index ``instalment_open_due`` holds, by due date.

``collections_tables`` is the dashboard's builder; ``drill_down`` the lists behind each figure
(reports.collections_views shows them)."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django import forms
from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from billing.models import (
    OPEN_STATUSES,
    CancellationRisk,
    Instalment,
    InstalmentStatus,
    PaymentPromise,
    PromiseStatus,
    RiskSource,
    RiskStatus,
)
from brokerage.core.filters import read_form
from clients.models import Client
from policies.models import Policy

from .filters import ReportFilters
from .groups import grouped_rows
from .selectors import ZERO, group_labels
from .tables import INT, MONEY, PCT, Column, Table, pct

# Each grouping's field on the policy, and on the instalment's copies of it (the names of
# agents, teams and insurers are read apart, once for the four tables: group_labels).
GROUP_FIELDS = {
    "agent": "agent_id", "team": "agent__team_id", "insurer": "insurer_id", "line": "line",
}  # fmt: skip
DEFAULT_GROUPING = "agent"
# Instalments no longer owed: they are neither due nor collected.
NOT_OWED = (InstalmentStatus.CANCELLED, InstalmentStatus.WAIVED)
OWED = ExpressionWrapper(
    F("amount") - F("paid_amount"), output_field=DecimalField(max_digits=14, decimal_places=2)
)
RISK_OWED = ExpressionWrapper(
    F("instalment__amount") - F("instalment__paid_amount"),
    output_field=DecimalField(max_digits=14, decimal_places=2),
)


@dataclass(frozen=True)
class Bucket:
    key: str
    label: object
    # Days overdue (today − due date): from ``first`` to ``last`` (None: no bound).
    first: int | None
    last: int | None

    def q(self, today: date, prefix: str = "") -> Q:
        """The instalments in the bucket on ``today``, as due dates (the index's column)."""
        q = Q()
        if self.first is not None:  # overdue at least ``first`` days: due on or before
            q &= Q(**{f"{prefix}due_on__lte": today - timedelta(days=self.first)})
        if self.last is not None:
            q &= Q(**{f"{prefix}due_on__gte": today - timedelta(days=self.last)})
        return q


# Days overdue: 0 or less is not due yet (due today or later).
BUCKETS = (
    Bucket("current", gettext_lazy("Not yet due"), None, 0),
    Bucket("d1_30", gettext_lazy("1–30 days"), 1, 30),
    Bucket("d31_60", gettext_lazy("31–60 days"), 31, 60),
    Bucket("d61_90", gettext_lazy("61–90 days"), 61, 90),
    Bucket("d91", gettext_lazy("Over 90 days"), 91, None),
)
BUCKETS_BY_KEY = {b.key: b for b in BUCKETS}
OVERDUE_BUCKETS = tuple(b.key for b in BUCKETS if b.first)

RATE_FIGURES = ("due", "paid", "due_amount", "collected", "later", "later_amount")
PROMISE_FIGURES = ("made", "kept", "broken", "open")
RISK_FIGURES = ("at_risk", "grace", "agent_said", "risk_owed")


def _grouping(filters: ReportFilters) -> str:
    """The report's grouping (an agent's own page has none: their one row)."""
    return filters.by if filters.by in GROUP_FIELDS else DEFAULT_GROUPING


class _Scope:
    """The user's book as the collections figures read it: the clients they may see worked
    out once (no filter at all for those who see every policy: a semi-join over a million
    policies would cost seconds), then narrowed by the report's filters."""

    def __init__(self, user, filters: ReportFilters):
        self.filters = filters
        self.clients = (
            None if Policy.objects.sees_all(user) else Client.objects.visible_to(user).values("pk")
        )

    def narrow(self, qs, *, dims: str, currency: str):
        """``qs`` reaching the report's dimensions (holder, agent, insurer, line) at the
        prefix ``dims`` ("" on an instalment, which carries copies of its policy's; "policy__"
        …) and its currency at ``currency``."""
        if self.clients is not None:
            qs = qs.filter(**{f"{dims}holder__in": self.clients})
        f = self.filters
        for name, value in (("agent__team", f.team), ("agent", f.agent), ("insurer", f.insurer),
                            ("line", f.line)):  # fmt: skip
            if value:
                qs = qs.filter(**{f"{dims}{name}": value})
        if f.currency:
            qs = qs.filter(**{currency: f.currency})
        return qs

    def instalments(self):
        return self.narrow(Instalment.objects.all(), dims="", currency="currency")

    def promises(self):
        return self.narrow(
            PaymentPromise.objects.all(), dims="instalment__",
            currency="instalment__currency",
        )  # fmt: skip

    def risks(self):
        return self.narrow(
            CancellationRisk.objects.filter(status=RiskStatus.OPEN), dims="policy__",
            currency="instalment__currency",
        )  # fmt: skip


def _fell_due(filters: ReportFilters, today: date) -> Q:
    return Q(due_on__gte=filters.start, due_on__lte=min(filters.end, today))


def _due_in_period(scope: _Scope):
    f = scope.filters
    return (
        scope.instalments()
        .filter(due_on__gte=f.start, due_on__lte=f.end)
        .exclude(status__in=NOT_OWED)
    )


def _owed_now(scope: _Scope):
    """Open instalments due by the period's end: what is still owed (the partial index)."""
    return scope.instalments().filter(status__in=OPEN_STATUSES, due_on__lte=scope.filters.end)


def collection_figures(*, user, filters: ReportFilters, today: date | None = None) -> dict:
    """Four aggregates grouped on the report's grouping, and the groups' names:

    ``rate``: per group, the instalments that fell due in the period by today (``due``,
    ``due_amount``), those paid in full (``paid``) and the amount collected on them
    (``collected``, partial payments included), and those due later in the period
    (``later``, ``later_amount``: not counted yet);
    ``aging``: per group and bucket of days overdue today, the open instalments due by the
    period's end (``<bucket>`` amount owed and ``<bucket>_n`` instalments);
    ``promises``: promises to pay falling due in the period, ``made``, ``kept``, ``broken``,
    ``open``;
    ``risks``: policies at risk of cancellation now (open), from the grace period or an
    agent's "policy to cancel", and what their instalments still owe.
    Each is a dict group key -> figures; ``labels`` names the keys."""
    today = today or timezone.localdate()
    by = _grouping(filters)
    scope = _Scope(user, filters)
    key = GROUP_FIELDS[by]
    fell_due = _fell_due(filters, today)
    paid = Q(status=InstalmentStatus.PAID)
    rate = (
        _due_in_period(scope)
        .values(key)
        .annotate(
            due=Count("pk", filter=fell_due),
            paid=Count("pk", filter=fell_due & paid),
            due_amount=Coalesce(Sum("amount", filter=fell_due), ZERO),
            collected=Coalesce(Sum("paid_amount", filter=fell_due), ZERO),
            later=Count("pk", filter=~fell_due),
            later_amount=Coalesce(Sum("amount", filter=~fell_due), ZERO),
        )
        .order_by()
    )
    buckets = {}
    for bucket in BUCKETS:
        buckets[bucket.key] = Coalesce(Sum(OWED, filter=bucket.q(today)), ZERO)
        buckets[f"{bucket.key}_n"] = Count("pk", filter=bucket.q(today))
    aging = _owed_now(scope).values(key).annotate(**buckets).order_by()
    promises = (
        scope.promises()
        .filter(promised_on__gte=filters.start, promised_on__lte=filters.end)
        .values(f"instalment__{key}")
        .annotate(
            made=Count("pk"),
            kept=Count("pk", filter=Q(status=PromiseStatus.KEPT)),
            broken=Count("pk", filter=Q(status=PromiseStatus.BROKEN)),
            open=Count("pk", filter=Q(status=PromiseStatus.OPEN)),
        )
        .order_by()
    )
    risks = (
        scope.risks()
        .values(f"policy__{key}")
        .annotate(
            at_risk=Count("pk"),
            grace=Count("pk", filter=Q(source=RiskSource.GRACE)),
            agent_said=Count("pk", filter=Q(source=RiskSource.AGENT)),
            risk_owed=Coalesce(Sum(RISK_OWED), ZERO),
        )
        .order_by()
    )

    def keyed(rows, field):
        return {row.pop(field): row for row in rows}

    figures = {
        "rate": keyed(list(rate), key),
        "aging": keyed(list(aging), key),
        "promises": keyed(list(promises), f"instalment__{key}"),
        "risks": keyed(list(risks), f"policy__{key}"),
    }
    keys = set().union(*(set(part) for part in figures.values()))
    figures["labels"] = group_labels(by, keys)
    figures.update(by=by, today=today)
    return figures


def collections_tables(*, user, filters: ReportFilters, today: date | None = None) -> list:
    """The collection figures (collection_figures) as the dashboard's four tables
    (collections_layout)."""
    figures = collection_figures(user=user, filters=filters, today=today)
    return collections_layout(figures, filters=filters)


# --- Layout --------------------------------------------------------------------------------


# The list behind the figures (its URL name).
LIST = "reports:collections_list"


def collections_layout(figures: dict, *, filters: ReportFilters) -> list[Table]:
    return [
        _rate_table(figures, filters),
        _aging_table(figures, filters),
        _promise_table(figures, filters),
        _risk_table(figures, filters),
    ]


GROUP_HEADERS = {
    "agent": gettext_lazy("Agent"), "team": gettext_lazy("Team"),
    "insurer": gettext_lazy("Insurer"), "line": gettext_lazy("Line of business"),
}  # fmt: skip


def _rate_values(d: dict) -> dict:
    return {
        **{n: d[n] for n in RATE_FIGURES},
        "count_rate": pct(d["paid"], d["due"]),
        "amount_rate": pct(d["collected"], d["due_amount"]),
        "outstanding": d["due_amount"] - d["collected"],
    }


def _rate_table(figures: dict, filters: ReportFilters) -> Table:
    by, labels, part = figures["by"], figures["labels"], figures["rate"]
    today = figures["today"]
    counted_to = min(filters.end, today)
    c = filters.currency
    columns = [
        Column("due", pgettext("instalments", "Due"), INT,
               _("instalments due in the period, by today")),
        Column("paid", _("Paid in full"), INT, _("of those due, paid in full")),
        Column("count_rate", _("Rate (count)"), PCT, _("paid in full ÷ due"), chart=True),
        Column("due_amount", _("Amount due (%(c)s)") % {"c": c}, MONEY,
               _("sum of the instalments due")),
        Column("collected", _("Collected (%(c)s)") % {"c": c}, MONEY,
               _("paid on the instalments due, part payments included")),
        Column("amount_rate", _("Rate (amount)"), PCT, _("collected ÷ amount due"),
               chart=True),
        Column("outstanding", _("Still owed (%(c)s)") % {"c": c}, MONEY,
               _("amount due − collected")),
        Column("later", _("Due later"), INT, _("due after today, in the period: not counted yet")),
        Column("later_amount", _("Due later (%(c)s)") % {"c": c}, MONEY),
    ]  # fmt: skip
    drill = {"due": {"show": "due"}, "paid": {"show": "paid"},
             "outstanding": {"show": "unpaid"}, "later": {"show": "later"}}  # fmt: skip
    rows, totals = grouped_rows(
        LIST, filters, part, by=by, labels=labels, values=_rate_values, drill=drill,
        summed=RATE_FIGURES,
    )  # fmt: skip
    note = _(
        "The rates count the instalments due from %(start)s to %(counted_to)s (today at the "
        "latest) as they stand today: count basis, instalments paid in full ÷ instalments due; "
        "amount basis, amount collected on them ÷ amount due. Cancelled and waived instalments "
        "are not owed and not counted. Instalments due later in the period stand in their own "
        "columns. Only instalments in %(currency)s are counted."
    ) % {"start": filters.start.isoformat(), "counted_to": counted_to.isoformat(),
         "currency": c}  # fmt: skip
    return Table(
        slug="collections-rate", title=_("Collections"), group_label=str(GROUP_HEADERS[by]),
        columns=columns, rows=rows, totals=totals, chart="bar",
        empty=_("No instalment falls due in this period."), note=note,
        subtitle=_("Collection rate: due against collected"),
    )  # fmt: skip


def _aging_values(d: dict) -> dict:
    values = {b.key: d[b.key] for b in BUCKETS}
    values["overdue"] = sum((d[k] for k in OVERDUE_BUCKETS), Decimal("0"))
    values["overdue_n"] = sum(d[f"{k}_n"] for k in OVERDUE_BUCKETS)
    values["owed"] = values["overdue"] + d["current"]
    return values


def _aging_table(figures: dict, filters: ReportFilters) -> Table:
    by, labels, part = figures["by"], figures["labels"], figures["aging"]
    c = filters.currency
    columns = [
        Column(BUCKETS[0].key, _("%(bucket)s (%(c)s)") % {"bucket": BUCKETS[0].label, "c": c},
               MONEY, _("due today or later, by the period's end")),
        *(Column(b.key, str(b.label), MONEY,
                 _("%(first)d to %(last)d days overdue") % {"first": b.first, "last": b.last}
                 if b.last else _("more than %(n)d days overdue") % {"n": b.first - 1},
                 chart=True)
          for b in BUCKETS[1:]),
        Column("overdue", _("Overdue (%(c)s)") % {"c": c}, MONEY,
               _("sum of the overdue buckets")),
        Column("overdue_n", _("Instalments overdue"), INT),
        Column("owed", _("Owed (%(c)s)") % {"c": c}, MONEY, _("not yet due + overdue")),
    ]  # fmt: skip
    drill = {b.key: {"show": "owed", "bucket": b.key} for b in BUCKETS}
    drill["overdue_n"] = drill["overdue"] = {"show": "overdue"}
    drill["owed"] = {"show": "owed"}
    names = [f"{b.key}{n}" for b in BUCKETS for n in ("", "_n")]
    rows, totals = grouped_rows(
        LIST, filters, part, by=by, labels=labels, values=_aging_values, drill=drill,
        summed=names,
    )  # fmt: skip
    note = _(
        "What is still owed today (amount less what was paid) on the open instalments (pending, "
        "partly paid, overdue) due by %(end)s, by days overdue on %(today)s. An instalment due "
        "today is not overdue yet; 30 days overdue is in 1–30, 31 in 31–60. Overdue instalments "
        "due before the period started are still owed and counted."
    ) % {"end": filters.end.isoformat(), "today": figures["today"].isoformat()}
    return Table(
        slug="collections-aging", title=_("Collections"), group_label=str(GROUP_HEADERS[by]),
        columns=columns, rows=rows, totals=totals, chart="bar",
        empty=_("Nothing is owed."), note=note, subtitle=_("Aging of what is still owed"),
    )  # fmt: skip


def _promise_values(d: dict) -> dict:
    return {**{n: d[n] for n in PROMISE_FIGURES},
            "kept_rate": pct(d["kept"], d["kept"] + d["broken"])}  # fmt: skip


def _promise_table(figures: dict, filters: ReportFilters) -> Table:
    by, labels, part = figures["by"], figures["labels"], figures["promises"]
    columns = [
        Column("made", _("Promises"), INT, _("promised for a day in the period")),
        Column("kept", pgettext("promises", "Kept"), INT, _("paid by the day promised"),
               chart=True),
        Column("broken", pgettext("promises", "Broken"), INT, _("not paid by then"),
               chart=True),
        Column("open", _("Not due yet"), INT, _("the day promised has not passed")),
        Column("kept_rate", _("Kept rate"), PCT, _("kept ÷ (kept + broken)")),
    ]  # fmt: skip
    drill = {
        "made": {"show": "promises"},
        **{s: {"show": "promises", "promise": s} for s in ("kept", "broken", "open")},
    }
    rows, totals = grouped_rows(
        LIST, filters, part, by=by, labels=labels, values=_promise_values, drill=drill,
        summed=PROMISE_FIGURES,
    )  # fmt: skip
    return Table(
        slug="collections-promises", title=_("Collections"),
        group_label=str(GROUP_HEADERS[by]), columns=columns, rows=rows, totals=totals,
        empty=_("No promise to pay falls in this period."),
        subtitle=_("Promises to pay: kept against broken"),
        note=_("Promises to pay logged on payment calls whose promised day falls in the period, "
               "on instalments in %(currency)s.") % {"currency": filters.currency},
    )  # fmt: skip


def _risk_values(d: dict) -> dict:
    return {n: d[n] for n in RISK_FIGURES}


def _risk_table(figures: dict, filters: ReportFilters) -> Table:
    by, labels, part = figures["by"], figures["labels"], figures["risks"]
    columns = [
        Column("at_risk", _("Policies at risk"), INT, _("open, waiting for a decision"),
               chart=True),
        Column("grace", str(RiskSource.GRACE.label), INT),
        Column("agent_said", str(RiskSource.AGENT.label), INT),
        Column("risk_owed", _("Owed (%(c)s)") % {"c": filters.currency}, MONEY,
               _("still owed on the instalments that put them at risk")),
    ]  # fmt: skip
    drill = {"at_risk": {"show": "at_risk"},
             "grace": {"show": "at_risk", "source": RiskSource.GRACE},
             "agent_said": {"show": "at_risk", "source": RiskSource.AGENT}}  # fmt: skip
    rows, totals = grouped_rows(
        LIST, filters, part, by=by, labels=labels, values=_risk_values, drill=drill,
        summed=RISK_FIGURES,
    )  # fmt: skip
    return Table(
        slug="collections-risk", title=_("Collections"), group_label=str(GROUP_HEADERS[by]),
        columns=columns, rows=rows, totals=totals,
        empty=_("No policy is at risk of cancellation."),
        subtitle=_("Policies at risk of cancellation"),
        note=_("Today, whatever the period: the policies with an instalment unpaid past their "
               "insurer's grace period, or that an agent reported as to cancel, until a manager "
               "cancels them or keeps them in force, or the instalment is paid."),
    )  # fmt: skip


# --- The lists behind the figures ----------------------------------------------------------

SHOW_CHOICES = (
    ("due", gettext_lazy("Instalments due")),
    ("paid", gettext_lazy("Instalments due, paid in full")),
    ("unpaid", gettext_lazy("Instalments due, not paid in full")),
    ("later", gettext_lazy("Instalments due later in the period")),
    ("owed", gettext_lazy("Instalments still owed")),
    ("overdue", gettext_lazy("Instalments overdue")),
    ("promises", gettext_lazy("Promises to pay")),
    ("at_risk", gettext_lazy("Policies at risk of cancellation")),
)
INSTALMENT_LISTS = ("due", "paid", "unpaid", "later", "owed", "overdue")


class DrillForm(forms.Form):
    """What a drill-down lists, beside the report's filters."""

    show = forms.ChoiceField(choices=SHOW_CHOICES, required=False)
    bucket = forms.ChoiceField(choices=[(b.key, b.label) for b in BUCKETS], required=False)
    promise = forms.ChoiceField(choices=PromiseStatus.choices, required=False)
    source = forms.ChoiceField(choices=RiskSource.choices, required=False)


@dataclass
class Drill:
    show: str = "due"
    bucket: str = ""
    promise: str = ""
    source: str = ""
    problems: tuple = ()

    @classmethod
    def from_query(cls, params) -> "Drill":
        form = DrillForm(params)
        values, ignored = read_form(form)
        problems = ()
        if ignored:
            problems = (
                _("Some filters were not understood and were ignored: %(names)s.")
                % {"names": ", ".join(ignored)},
            )
        return cls(show=values.get("show", "due"), bucket=values.get("bucket", ""),
                   promise=values.get("promise", ""), source=values.get("source", ""),
                   problems=problems)  # fmt: skip

    @property
    def kind(self) -> str:
        """Which list: instalments, promises or risks."""
        if self.show in INSTALMENT_LISTS:
            return "instalments"
        return self.show

    def title(self) -> str:
        title = str(dict(SHOW_CHOICES)[self.show])
        detail = ""
        if self.show == "owed" and self.bucket:
            bucket = BUCKETS_BY_KEY[self.bucket]
            detail = (
                str(bucket.label)
                if not bucket.first
                else _("%(bucket)s overdue") % {"bucket": bucket.label}
            )
        elif self.show == "promises" and self.promise:
            detail = str(PromiseStatus(self.promise).label)
        elif self.show == "at_risk" and self.source:
            detail = str(RiskSource(self.source).label)
        if not detail:
            return title
        return _("%(list)s: %(detail)s") % {"list": title, "detail": detail}

    def as_query(self) -> dict:
        values = {"show": self.show, "bucket": self.bucket, "promise": self.promise,
                  "source": self.source}  # fmt: skip
        return {k: v for k, v in values.items() if v}


def drill_down(*, user, filters: ReportFilters, drill: Drill, today: date | None = None):
    """The rows behind a figure of the collections view, as the user may see them, narrowed by
    the report's filters and the group the figure belongs to (already in ``filters``), in the
    order a person works them (oldest due first)."""
    today = today or timezone.localdate()
    scope = _Scope(user, filters)
    related = ("policy__holder", "policy__insurer", "policy__agent")
    if drill.kind == "instalments":
        if drill.show in ("owed", "overdue"):
            qs = _owed_now(scope)
            if drill.show == "overdue":
                qs = qs.filter(due_on__lt=today)
            elif drill.bucket:
                qs = qs.filter(BUCKETS_BY_KEY[drill.bucket].q(today))
        else:
            qs = _due_in_period(scope)
            fell_due = _fell_due(filters, today)
            paid = Q(status=InstalmentStatus.PAID)
            which = {"due": fell_due, "paid": fell_due & paid, "unpaid": fell_due & ~paid,
                     "later": ~fell_due}  # fmt: skip
            qs = qs.filter(which[drill.show])
        return qs.select_related(*related).order_by("due_on", "pk")
    if drill.kind == "promises":
        qs = scope.promises().filter(promised_on__gte=filters.start, promised_on__lte=filters.end)
        if drill.promise:
            qs = qs.filter(status=drill.promise)
        return qs.select_related(
            "instalment", *(f"instalment__{r}" for r in related), "made_by"
        ).order_by("promised_on", "pk")
    qs = scope.risks()
    if drill.source:
        qs = qs.filter(source=drill.source)
    return qs.select_related("instalment", *related).order_by("opened_on", "pk")
