"""Claims (issue 16): of the claims reported in the period, how many were contacted within
10 minutes and the median time to that first contact, how many were escalated; the claims
still open today by status and by age; and the claims settled in the period, the median time
from report to settlement and the amounts claimed against settled.

Every figure is aggregated in SQL (medians with PostgreSQL's ``percentile_cont``): one query
per table and one for the names of the groups, whatever the book's size. Money is summed in
the report's one currency (the claim's own), never across currencies; the counts and times
count every claim.

``claims_tables`` is the dashboard's builder; ``drill_down`` the lists behind each figure
(reports.claims_views shows them)."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django import forms
from django.core.validators import RegexValidator
from django.db.models import Aggregate, Count, DurationField, F, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from brokerage.core.filters import FIRST_DAY, LAST_DAY, read_form, shown
from claims.kind import LOW_SCORE
from claims.models import (
    FINISHED,
    Claim,
    ClaimKind,
    ClaimStatus,
    ClaimStatusChange,
    OutsideReason,
    RepairPlace,
    RepairShop,
)
from claims.repair import report_amount
from clients.models import Client
from policies.models import Policy

from .filters import ReportFilters
from .groups import drill_links, drill_url, group_rows, group_total, grouped_rows
from .selectors import ZERO, group_labels
from .tables import INT, MONEY, NUMBER, PCT, Column, Row, Table, pct

# Each grouping's field on the claim (agent and team: the agent given the claim's 10-minute
# contact); the names of agents, teams and insurers are read apart, once (group_labels).
GROUP_FIELDS = {
    "insurer": "policy__insurer_id", "line": "policy__line", "kind": "kind",
    "agent": "agent_id", "team": "agent__team_id",
}  # fmt: skip
DEFAULT_GROUPING = "insurer"
GROUP_HEADERS = {
    "insurer": gettext_lazy("Insurer"), "line": gettext_lazy("Line of business"),
    "kind": gettext_lazy("Claim type"), "agent": gettext_lazy("Agent"),
    "team": gettext_lazy("Team"),
}  # fmt: skip
# The statuses a claim is still being worked in (closed and withdrawn claims are finished).
OPEN_STATUSES = tuple(s for s in ClaimStatus.values if s not in FINISHED)
TO_CONTACT = F("first_contact_at") - F("reported_at")
TO_SETTLE = F("at") - F("claim__reported_at")


class Median(Aggregate):
    """PostgreSQL's ``percentile_cont(0.5)``: the median of an interval (or a number)."""

    function = "PERCENTILE_CONT"
    name = "Median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    allow_distinct = False

    def __init__(self, expression, **extra):
        super().__init__(expression, output_field=DurationField(), **extra)


@dataclass(frozen=True)
class Age:
    key: str
    label: object
    # Days since the report: from ``first`` to ``last`` (None: no bound).
    first: int
    last: int | None

    def q(self, today: date, prefix: str = "") -> Q:
        """The claims reported that many days before ``today`` (on the report's column)."""
        q = Q(**{f"{prefix}reported_at__lt": _day_start(today - timedelta(days=self.first - 1))})
        if self.last is not None:
            q &= Q(**{f"{prefix}reported_at__gte": _day_start(today - timedelta(days=self.last))})
        return q


AGES = (
    Age("a0_7", gettext_lazy("0–7 days"), 0, 7),
    Age("a8_30", gettext_lazy("8–30 days"), 8, 30),
    Age("a31_90", gettext_lazy("31–90 days"), 31, 90),
    Age("a91", gettext_lazy("Over 90 days"), 91, None),
)
AGES_BY_KEY = {a.key: a for a in AGES}

REPORTED_FIGURES = ("reported", "in_time", "late", "waiting", "escalated")
SETTLED_FIGURES = ("settled", "claimed", "paid")


def last_month(today: date | None = None) -> date:
    """The first day of the month before ``today``'s: the repair-referral report's default."""
    return (today or timezone.localdate()).replace(day=1) - relativedelta(months=1)


@dataclass
class ClaimFilters(ReportFilters):
    """Every report's filters, the claim type (``kind``), which only this view reads, and the
    month of the repair-referral report (``month``: its first day; default last month)."""

    kind: str = ""
    month: date = field(default_factory=last_month)

    @classmethod
    def from_query(cls, params, **kwargs) -> "ClaimFilters":
        filters = super().from_query(params, **kwargs)
        form = KindForm(params)
        values, ignored = read_form(form)
        filters.kind = values.get("kind", "")
        filters.month = values.get("month") or last_month()
        if "kind" in form.errors:
            filters.problems.append(
                _("Unknown claim type: %(value)s; ignored.") % {"value": shown(params["kind"])}
            )
        if "month" in form.errors:
            filters.problems.append(
                _("%(value)s is not a month; last month is used.")
                % {"value": shown(params["month"])}
            )
        return filters

    @property
    def kind_choices(self):
        """The claim types the page's filter offers."""
        return ClaimKind.choices

    @property
    def repair_month(self) -> str:
        """The repair-referral report's month as the page's month input writes it."""
        return self.month.strftime("%Y-%m")

    def as_query(self, **changes) -> dict:
        values = {"kind": self.kind, "month": self.repair_month, **changes}
        query = super().as_query(**{k: v for k, v in changes.items() if k not in ("kind", "month")})
        for name in ("kind", "month"):
            if values[name]:
                query[name] = values[name]
            else:
                query.pop(name, None)
        if query.get("month") == last_month().strftime("%Y-%m"):
            query.pop("month")  # the default: the URL stays short
        return query


class MonthField(forms.DateField):
    """A month as ``<input type="month">`` sends it (2026-11): its first day."""

    def __init__(self, **kwargs):
        super().__init__(input_formats=["%Y-%m"], required=False, **kwargs)

    def validate(self, value):
        super().validate(value)
        if value is not None and not FIRST_DAY <= value <= LAST_DAY:
            raise forms.ValidationError(_("Give a real month."), code="out_of_range")


class KindForm(forms.Form):
    kind = forms.ChoiceField(choices=ClaimKind.choices, required=False)
    month = MonthField()


def _repair_month(filters: ReportFilters) -> date:
    """The repair report's month (a plain ReportFilters, without one: last month)."""
    return getattr(filters, "month", None) or last_month()


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _grouping(filters: ReportFilters) -> str:
    return filters.by if filters.by in GROUP_FIELDS else DEFAULT_GROUPING


class _Scope:
    """The user's claims as the figures read them: the clients they may see worked out once
    (none for those who see every policy), narrowed by the report's filters."""

    def __init__(self, user, filters: ReportFilters):
        self.filters = filters
        self.clients = (
            None if Policy.objects.sees_all(user) else Client.objects.visible_to(user).values("pk")
        )

    def narrow(self, qs, prefix: str = ""):
        if self.clients is not None:
            qs = qs.filter(**{f"{prefix}policy__holder__in": self.clients})
        f = self.filters
        for name, value in (("agent__team", f.team), ("agent", f.agent),
                            ("policy__insurer", f.insurer), ("policy__line", f.line),
                            ("kind", getattr(f, "kind", ""))):  # fmt: skip
            if value:
                qs = qs.filter(**{f"{prefix}{name}": value})
        return qs

    def claims(self):
        return self.narrow(Claim.objects.all())

    def reported(self):
        f = self.filters
        return self.claims().filter(
            reported_at__gte=_day_start(f.start), reported_at__lt=_day_start(f.end + timedelta(1))
        )

    def open(self):
        """Claims still being worked today, reported by the period's end."""
        return self.claims().filter(
            status__in=OPEN_STATUSES, reported_at__lt=_day_start(self.filters.end + timedelta(1))
        )

    def settlements(self):
        """The settlements (a claim's move to Settled) made in the period."""
        f = self.filters
        qs = ClaimStatusChange.objects.filter(
            status=ClaimStatus.SETTLED, at__gte=_day_start(f.start),
            at__lt=_day_start(f.end + timedelta(1)),
        )  # fmt: skip
        return self.narrow(qs, "claim__")

    def repairs(self):
        """The repairs first recorded in the repair report's month (a partner shop or
        elsewhere), whenever the claims were reported."""
        first = _repair_month(self.filters)
        after = first + relativedelta(months=1)
        return self.claims().filter(
            repair_place__in=RepairPlace.values, repair_recorded_at__gte=_day_start(first),
            repair_recorded_at__lt=_day_start(after),
        )  # fmt: skip

    def callbacks(self):
        """The call-backs after settlement made in the period."""
        f = self.filters
        return self.claims().filter(
            called_back_at__gte=_day_start(f.start),
            called_back_at__lt=_day_start(f.end + timedelta(1)),
        )


IN_TIME = Q(first_contact_at__isnull=False, first_contact_at__lte=F("contact_due_at"))
LATE = Q(first_contact_at__gt=F("contact_due_at"))
WAITING = Q(first_contact_at__isnull=True)
ESCALATED = Q(escalated_at__isnull=False)


REFERRED = Q(repair_place=RepairPlace.PARTNER)
ELSEWHERE = Q(repair_place=RepairPlace.ELSEWHERE)
LOW = Q(satisfaction__lte=LOW_SCORE)
NO_SHOP = "none"  # the drill-down's shop for the repairs elsewhere at a shop not in the directory


def repair_figures(scope: _Scope) -> dict:
    """The repair-referral report of the month: per shop and per agent (the claim's agent),
    the vehicles referred to partner shops and repaired elsewhere, each count with its amount
    (``claims.repair.report_amount``, in the report's currency only); the reasons for the
    repairs elsewhere. Three queries, and one each for the shops' and agents' names."""
    in_currency = Q(currency=scope.filters.currency)
    amount = report_amount()
    figures = {
        "referred": Count("pk", filter=REFERRED),
        "referred_amount": Coalesce(Sum(amount, filter=REFERRED & in_currency), ZERO),
        "elsewhere": Count("pk", filter=ELSEWHERE),
        "elsewhere_amount": Coalesce(Sum(amount, filter=ELSEWHERE & in_currency), ZERO),
    }

    def grouped(key):
        rows = scope.repairs().values(key).annotate(**figures).order_by()
        return {row.pop(key): row for row in rows}

    by_shop, by_agent = grouped("repair_shop_id"), grouped("agent_id")
    reasons = (
        scope.repairs()
        .filter(ELSEWHERE)
        .values("outside_reason")
        .annotate(count=Count("pk"), amount=Coalesce(Sum(amount, filter=in_currency), ZERO))
        .order_by()
    )
    shops = RepairShop.objects.filter(pk__in=[k for k in by_shop if k is not None])
    return {
        "shops": by_shop, "agents": by_agent,
        "reasons": {row.pop("outside_reason"): row for row in reasons},
        "shop_labels": {shop.pk: shop for shop in shops.only("name", "partner")},
        "agent_labels": group_labels("agent", by_agent),
    }  # fmt: skip


def claim_figures(*, user, filters: ReportFilters, today: date | None = None) -> dict:
    """Four aggregates grouped on the report's grouping, and the groups' names:

    ``reported``: claims reported in the period, contacted within 10 minutes (``in_time``),
    contacted later (``late``), not contacted yet (``waiting``), escalated, the median time to
    first contact and the amount claimed (report's currency);
    ``status``: claims open today by status; ``ages``: the same by days since the report;
    ``settled``: claims settled in the period, the median time from report to settlement, the
    amounts claimed and settled on them (report's currency).
    Each is a dict group key -> figures; ``labels`` names the keys."""
    today = today or timezone.localdate()
    by = _grouping(filters)
    key = GROUP_FIELDS[by]
    scope = _Scope(user, filters)
    in_currency = Q(currency=filters.currency)
    reported = (
        scope.reported()
        .values(key)
        .annotate(
            reported=Count("pk"), in_time=Count("pk", filter=IN_TIME),
            late=Count("pk", filter=LATE), waiting=Count("pk", filter=WAITING),
            escalated=Count("pk", filter=ESCALATED),
            median_contact=Median(TO_CONTACT, filter=~WAITING),
            claimed=Coalesce(Sum("amount_claimed", filter=in_currency), ZERO),
        )
        .order_by()
    )  # fmt: skip
    status = (
        scope.open()
        .values(key)
        .annotate(
            open=Count("pk"),
            **{s: Count("pk", filter=Q(status=s)) for s in OPEN_STATUSES},
            **{a.key: Count("pk", filter=a.q(today)) for a in AGES},
        )
        .order_by()
    )
    claim_currency = Q(claim__currency=filters.currency)
    settled = (
        scope.settlements()
        .values(f"claim__{key}")
        .annotate(
            settled=Count("claim_id", distinct=True),
            median_cycle=Median(TO_SETTLE),
            claimed=Coalesce(Sum("claim__amount_claimed", filter=claim_currency), ZERO),
            paid=Coalesce(Sum("claim__amount_settled", filter=claim_currency), ZERO),
        )
        .order_by()
    )

    satisfaction = (
        scope.callbacks()
        .values(key)
        .annotate(
            callbacks=Count("pk"), score_sum=Coalesce(Sum("satisfaction"), 0),
            low=Count("pk", filter=LOW),
        )
        .order_by()
    )  # fmt: skip

    def keyed(rows, field):
        return {row.pop(field): row for row in rows}

    figures = {
        "reported": keyed(list(reported), key),
        "status": keyed(list(status), key),
        "settled": keyed(list(settled), f"claim__{key}"),
        "satisfaction": keyed(list(satisfaction), key),
    }
    keys = set().union(*(set(part) for part in figures.values()))
    if by == "kind":
        labels = {k: str(ClaimKind(k).label) for k in keys if k in ClaimKind.values}
    else:
        labels = group_labels(by, keys)
    figures.update(labels=labels, by=by, today=today)
    # The medians of the whole: not a sum of the groups' medians (one query each).
    figures["overall"] = {
        "median_contact": scope.reported().aggregate(m=Median(TO_CONTACT, filter=~WAITING))["m"],
        "median_cycle": scope.settlements().aggregate(m=Median(TO_SETTLE))["m"],
    }
    figures["repair"] = repair_figures(scope)
    return figures


def claims_tables(*, user, filters: ReportFilters, today: date | None = None) -> list:
    """The claim figures (claim_figures) as the dashboard's tables (claims_layout)."""
    return claims_layout(claim_figures(user=user, filters=filters, today=today), filters=filters)


# --- Layout --------------------------------------------------------------------------------


def _minutes(value: timedelta | None) -> Decimal | None:
    if value is None:
        return None
    return (Decimal(value.total_seconds()) / 60).quantize(Decimal("0.1"))


def _days(value: timedelta | None) -> Decimal | None:
    if value is None:
        return None
    return (Decimal(value.total_seconds()) / 86400).quantize(Decimal("0.1"))


# The list behind the figures (its URL name).
LIST = "reports:claims_list"


def claims_layout(figures: dict, *, filters: ReportFilters) -> list[Table]:
    return [
        _reported_table(figures, filters),
        _status_table(figures, filters),
        _age_table(figures, filters),
        _settled_table(figures, filters),
        _satisfaction_table(figures, filters),
        *_repair_tables(figures, filters),
    ]


def _reported_values(d: dict) -> dict:
    return {
        **{n: d[n] for n in REPORTED_FIGURES},
        "in_time_rate": pct(d["in_time"], d["reported"]),
        "median_contact": _minutes(d.get("median_contact")),
        "claimed": d["claimed"],
    }


def _reported_table(figures: dict, filters: ReportFilters) -> Table:
    by, labels, part = figures["by"], figures["labels"], figures["reported"]
    c = filters.currency
    columns = [
        Column("reported", _("Reported"), INT, _("claims reported in the period")),
        Column("in_time", _("Contacted in 10 min"), INT,
               _("first contact by the time it was due")),
        Column("in_time_rate", _("Share in 10 min"), PCT,
               _("contacted in 10 min ÷ reported"), chart=True),
        Column("late", _("Contacted late"), INT, _("first contact after it was due")),
        Column("waiting", _("Not contacted"), INT, _("no first contact yet")),
        Column("median_contact", _("Median to contact (min)"), NUMBER,
               _("median minutes from report to first contact")),
        Column("escalated", _("Escalated"), INT, _("not contacted in time: escalated")),
        Column("claimed", _("Claimed (%(c)s)") % {"c": c}, MONEY,
               _("amount claimed on the claims in %(c)s") % {"c": c}),
    ]  # fmt: skip
    drill = {"reported": {"show": "reported"}, "in_time": {"show": "in_time"},
             "late": {"show": "late"}, "waiting": {"show": "waiting"},
             "median_contact": {"show": "contacted"},
             "escalated": {"show": "escalated"}}  # fmt: skip
    rows, totals = grouped_rows(
        LIST, filters, part, by=by, labels=labels, values=_reported_values, drill=drill,
        summed=(*REPORTED_FIGURES, "claimed"),
        overall={"median_contact": figures["overall"]["median_contact"]},
    )  # fmt: skip
    return Table(
        slug="claims-contact", title=_("Claims"), group_label=str(GROUP_HEADERS[by]),
        columns=columns, rows=rows, totals=totals, chart="bar",
        empty=_("No claim was reported in this period."),
        subtitle=_("First contact within 10 minutes"),
        note=_("Claims reported from %(start)s to %(end)s. The client is to hear from us within "
               "10 minutes of the report; a claim not contacted by then is escalated to the "
               "agent's manager. The amount claimed counts the claims in %(currency)s only.")
        % {"start": filters.start.isoformat(), "end": filters.end.isoformat(), "currency": c},
    )  # fmt: skip


def _status_table(figures: dict, filters: ReportFilters) -> Table:
    by, labels, part = figures["by"], figures["labels"], figures["status"]
    columns = [
        *(Column(s, str(ClaimStatus(s).label), INT, chart=True) for s in OPEN_STATUSES),
        Column("open", pgettext("claims counted", "Open"), INT, _("every status above")),
    ]  # fmt: skip
    names = (*OPEN_STATUSES, "open")
    drill = {s: {"show": "open", "status": s} for s in OPEN_STATUSES}
    drill["open"] = {"show": "open"}
    rows, totals = grouped_rows(
        LIST, filters, part, by=by, labels=labels, drill=drill, summed=names,
        values=lambda d: {n: d[n] for n in names},
    )  # fmt: skip
    return Table(
        slug="claims-status", title=_("Claims"), group_label=str(GROUP_HEADERS[by]),
        columns=columns, rows=rows, totals=totals, chart="bar",
        empty=_("No claim is open."), subtitle=_("Open claims by status"),
        note=_("Today, the claims reported by %(end)s and not yet closed or withdrawn.")
        % {"end": filters.end.isoformat()},
    )  # fmt: skip


def _age_table(figures: dict, filters: ReportFilters) -> Table:
    by, labels, part = figures["by"], figures["labels"], figures["status"]
    columns = [
        *(Column(a.key, str(a.label), INT, _("since the report"), chart=True) for a in AGES),
        Column("open", pgettext("claims counted", "Open"), INT),
    ]  # fmt: skip
    names = (*(a.key for a in AGES), "open")
    drill = {a.key: {"show": "open", "age": a.key} for a in AGES}
    drill["open"] = {"show": "open"}
    rows, totals = grouped_rows(
        LIST, filters, part, by=by, labels=labels, drill=drill, summed=names,
        values=lambda d: {n: d[n] for n in names},
    )  # fmt: skip
    return Table(
        slug="claims-age", title=_("Claims"), group_label=str(GROUP_HEADERS[by]),
        columns=columns, rows=rows, totals=totals, chart="bar",
        empty=_("No claim is open."), subtitle=_("Open claims by age"),
        note=_("Days from the report to %(today)s; a claim reported today is 0 days old.")
        % {"today": figures["today"].isoformat()},
    )  # fmt: skip


def _settled_values(d: dict) -> dict:
    return {
        "settled": d["settled"], "median_cycle": _days(d.get("median_cycle")),
        "claimed": d["claimed"], "paid": d["paid"], "paid_rate": pct(d["paid"], d["claimed"]),
    }  # fmt: skip


def _settled_table(figures: dict, filters: ReportFilters) -> Table:
    by, labels, part = figures["by"], figures["labels"], figures["settled"]
    c = filters.currency
    columns = [
        Column("settled", _("Settled"), INT, _("claims settled in the period")),
        Column("median_cycle", _("Median report to settlement (days)"), NUMBER,
               _("median days from report to settlement"), chart=True),
        Column("claimed", _("Claimed (%(c)s)") % {"c": c}, MONEY),
        Column("paid", _("Settled (%(c)s)") % {"c": c}, MONEY),
        Column("paid_rate", _("Settled ÷ claimed"), PCT, _("in %(c)s") % {"c": c}),
    ]  # fmt: skip
    drill = {"settled": {"show": "settled"}, "median_cycle": {"show": "settled"}}
    rows, totals = grouped_rows(
        LIST, filters, part, by=by, labels=labels, values=_settled_values, drill=drill,
        summed=SETTLED_FIGURES, overall={"median_cycle": figures["overall"]["median_cycle"]},
    )  # fmt: skip
    return Table(
        slug="claims-settled", title=_("Claims"), group_label=str(GROUP_HEADERS[by]),
        columns=columns, rows=rows, totals=totals, chart="bar",
        empty=_("No claim was settled in this period."),
        subtitle=_("Settlements: time and amounts"),
        note=_("Claims settled from %(start)s to %(end)s, whenever reported; the median counts "
               "days from the report to the settlement. Amounts count the claims in "
               "%(currency)s only: currencies are never added together.")
        % {"start": filters.start.isoformat(), "end": filters.end.isoformat(), "currency": c},
    )  # fmt: skip


SATISFACTION_FIGURES = ("callbacks", "score_sum", "low")


def _satisfaction_values(d: dict) -> dict:
    average = None
    if d["callbacks"]:
        average = (Decimal(d["score_sum"]) / d["callbacks"]).quantize(Decimal("0.01"))
    return {
        "callbacks": d["callbacks"], "average": average, "low": d["low"],
        "low_rate": pct(d["low"], d["callbacks"]),
    }  # fmt: skip


def _satisfaction_table(figures: dict, filters: ReportFilters) -> Table:
    by, labels, part = figures["by"], figures["labels"], figures["satisfaction"]
    columns = [
        Column("callbacks", _("Call-backs"), INT, _("call-backs after settlement")),
        Column("average", _("Average score"), NUMBER, _("from 1 to 5"), chart=True),
        Column("low", _("Low scores"), INT, _("scores of 1 or 2: sent to the manager")),
        Column("low_rate", _("Share of low scores"), PCT, _("low scores ÷ call-backs")),
    ]  # fmt: skip
    drill = {"callbacks": {"show": "callbacks"}, "average": {"show": "callbacks"},
             "low": {"show": "low_score"}}  # fmt: skip
    rows, totals = grouped_rows(
        LIST, filters, part, by=by, labels=labels, values=_satisfaction_values, drill=drill,
        summed=SATISFACTION_FIGURES,
    )  # fmt: skip
    return Table(
        slug="claims-satisfaction", title=_("Claims"), group_label=str(GROUP_HEADERS[by]),
        columns=columns, rows=rows, totals=totals, chart="bar",
        empty=_("No call-back after settlement in this period."),
        subtitle=_("Satisfaction after settlement"),
        note=_("Call-backs made from %(start)s to %(end)s after the claims were settled: the "
               "client's satisfaction from 1 to 5.")
        % {"start": filters.start.isoformat(), "end": filters.end.isoformat()},
    )  # fmt: skip


REPAIR_FIGURES = ("referred", "referred_amount", "elsewhere", "elsewhere_amount")


def _repair_values(d: dict) -> dict:
    return {**{n: d[n] for n in REPAIR_FIGURES},
            "share": pct(d["referred"], d["referred"] + d["elsewhere"])}  # fmt: skip


def _repair_columns(c: str) -> list[Column]:
    return [
        Column("referred", _("Referred to partner shops"), INT, _("vehicles (送修)")),
        Column("referred_amount", _("Referred (%(c)s)") % {"c": c}, MONEY),
        Column("elsewhere", _("Repaired elsewhere"), INT, _("vehicles (外修)")),
        Column("elsewhere_amount", _("Elsewhere (%(c)s)") % {"c": c}, MONEY),
        Column("share", _("Referral share"), PCT, _("referred ÷ all repairs"), chart=True),
    ]  # fmt: skip


def _repair_links(filters, name: str, key, whole=False) -> dict:
    """The claims behind a repair figure: the row's shop or agent (``name``), the month."""
    what = {"referred": {"show": "repair_partner"}, "referred_amount": {"show": "repair_partner"},
            "elsewhere": {"show": "repair_elsewhere"},
            "elsewhere_amount": {"show": "repair_elsewhere"},
            "share": {"show": "repair"}}  # fmt: skip
    if whole:
        return drill_links(LIST, filters, name, None, True, what)
    return drill_links(
        LIST, filters, name, NO_SHOP if key is None and name == "shop" else key, False, what
    )


def _repair_note(filters, c: str) -> str:
    return _(
        "Repairs first recorded in %(month)s, whatever the claims' report dates. A claim's "
        "amount is its repair amount if given, else the amount settled, else the amount "
        "assessed; amounts count the claims in %(currency)s only: currencies are never added "
        "together (the counts count every claim)."
    ) % {"month": _repair_month(filters).strftime("%Y-%m"), "currency": c}


def _repair_tables(figures: dict, filters: ReportFilters) -> list[Table]:
    repair, c = figures["repair"], filters.currency
    shop_labels, agent_labels = repair["shop_labels"], repair["agent_labels"]
    shops = []
    for key, d in repair["shops"].items():
        shop = shop_labels.get(key)
        if key is None:
            label = _("Elsewhere: a shop not in the directory")
        elif shop is not None and shop.partner:
            label = _("%(shop)s (partner)") % {"shop": shop.name}
        else:
            label = shop.name if shop is not None else "—"
        shops.append((key is None, not (shop is not None and shop.partner), label.casefold(),
                      Row(label=label, values=_repair_values(d), key=key,
                          links=_repair_links(filters, "shop", key))))  # fmt: skip
    shop_rows = [row for *_order, row in sorted(shops, key=lambda r: r[:3])]
    total = group_total(repair["shops"], REPAIR_FIGURES)
    by_shop = Table(
        slug="claims-repair-shops", title=_("Claims"), group_label=_("Repair shop"),
        columns=_repair_columns(c), rows=shop_rows,
        totals=Row(label=_("Total"), values=_repair_values(total),
                   links=_repair_links(filters, "shop", None, whole=True)),
        chart="bar", empty=_("No repair was recorded in this month."),
        subtitle=_("Repair referral by shop"),
        note=_repair_note(filters, c),
    )  # fmt: skip
    agent_rows = [
        Row(label=label, values=_repair_values(d), key=k,
            links=_repair_links(filters, "agent", k) if k is not None else {})
        for k, label, d in group_rows(repair["agents"], "agent", agent_labels)
    ]  # fmt: skip
    by_agent = Table(
        slug="claims-repair-agents", title=_("Claims"), group_label=_("Agent"),
        columns=_repair_columns(c), rows=agent_rows,
        totals=Row(label=_("Total"), values=_repair_values(total),
                   links=_repair_links(filters, "agent", None, whole=True)),
        chart="bar", empty=_("No repair was recorded in this month."),
        subtitle=_("Repair referral by agent"),
        note=_repair_note(filters, c),
    )  # fmt: skip
    reasons = repair["reasons"]
    outside = sum(d["count"] for d in reasons.values())
    reason_rows = [
        Row(label=str(OutsideReason(r).label), key=r,
            values={"count": reasons[r]["count"], "amount": reasons[r]["amount"],
                    "share": pct(reasons[r]["count"], outside)},
            links={name: drill_url(LIST, filters, by="reason", key=r, show="repair_elsewhere")
                   for name in ("count", "amount")})
        for r in OutsideReason.values if r in reasons
    ]  # fmt: skip
    by_reason = Table(
        slug="claims-repair-reasons", title=_("Claims"), group_label=_("Why elsewhere"),
        columns=[
            Column("count", _("Repaired elsewhere"), INT),
            Column("amount", _("Amount (%(c)s)") % {"c": c}, MONEY),
            Column("share", _("Share"), PCT, _("of the repairs elsewhere"), chart=True),
        ],
        rows=reason_rows,
        totals=Row(label=_("Total"),
                   values={"count": outside,
                           "amount": sum((d["amount"] for d in reasons.values()), Decimal(0)),
                           "share": pct(outside, outside)},
                   links={name: drill_url(LIST, filters, by="reason", whole=True,
                                          show="repair_elsewhere")
                          for name in ("count", "amount")}),
        chart="bar", empty=_("No vehicle was repaired elsewhere in this month."),
        subtitle=_("Repairs elsewhere by reason"),
        note=_repair_note(filters, c),
    )  # fmt: skip
    return [by_shop, by_agent, by_reason]


# --- The lists behind the figures ----------------------------------------------------------

SHOW_CHOICES = (
    ("reported", gettext_lazy("Claims reported")),
    ("in_time", gettext_lazy("Claims contacted within 10 minutes")),
    ("late", gettext_lazy("Claims contacted late")),
    ("waiting", gettext_lazy("Claims not contacted yet")),
    ("contacted", gettext_lazy("Claims contacted")),
    ("escalated", gettext_lazy("Claims escalated")),
    ("open", gettext_lazy("Open claims")),
    ("settled", gettext_lazy("Claims settled")),
    ("callbacks", gettext_lazy("Call-backs after settlement")),
    ("low_score", gettext_lazy("Call-backs with a low score (1–2)")),
    ("repair", gettext_lazy("Repairs recorded")),
    ("repair_partner", gettext_lazy("Vehicles referred to partner shops")),
    ("repair_elsewhere", gettext_lazy("Vehicles repaired elsewhere")),
)
REPAIR_LISTS = {"repair": Q(), "repair_partner": REFERRED, "repair_elsewhere": ELSEWHERE}
REPORTED_LISTS = {
    "reported": Q(), "in_time": IN_TIME, "late": LATE, "waiting": WAITING,
    "contacted": ~WAITING, "escalated": ESCALATED,
}  # fmt: skip


class DrillForm(forms.Form):
    """What a drill-down lists, beside the report's filters."""

    show = forms.ChoiceField(choices=SHOW_CHOICES, required=False)
    status = forms.ChoiceField(
        choices=[(s, ClaimStatus(s).label) for s in OPEN_STATUSES], required=False
    )
    age = forms.ChoiceField(choices=[(a.key, a.label) for a in AGES], required=False)
    # The repair figures' shop (a shop's key, or "none": elsewhere, not in the directory)
    # and reason for the repair elsewhere.
    shop = forms.CharField(
        required=False, max_length=20,
        validators=[RegexValidator(rf"^({NO_SHOP}|[1-9][0-9]{{0,17}})$")],
    )  # fmt: skip
    reason = forms.ChoiceField(choices=OutsideReason.choices, required=False)


@dataclass
class Drill:
    show: str = "reported"
    status: str = ""
    age: str = ""
    shop: str = ""
    reason: str = ""
    problems: tuple = ()

    @classmethod
    def from_query(cls, params) -> "Drill":
        values, ignored = read_form(DrillForm(params))
        problems = ()
        if ignored:
            problems = (
                _("Some filters were not understood and were ignored: %(names)s.")
                % {"names": ", ".join(ignored)},
            )
        return cls(show=values.get("show", "reported"), status=values.get("status", ""),
                   age=values.get("age", ""), shop=values.get("shop", ""),
                   reason=values.get("reason", ""), problems=problems)  # fmt: skip

    def title(self) -> str:
        title = str(dict(SHOW_CHOICES)[self.show])
        details = []
        if self.show == "open" and self.status:
            details.append(str(ClaimStatus(self.status).label))
        if self.show == "open" and self.age:
            details.append(str(AGES_BY_KEY[self.age].label))
        if self.show in REPAIR_LISTS and self.shop == NO_SHOP:
            details.append(_("a shop not in the directory"))
        if self.show in REPAIR_LISTS and self.reason:
            details.append(str(OutsideReason(self.reason).label))
        if not details:
            return title
        return _("%(list)s: %(detail)s") % {"list": title, "detail": ", ".join(details)}

    def as_query(self) -> dict:
        values = {"show": self.show, "status": self.status, "age": self.age,
                  "shop": self.shop, "reason": self.reason}  # fmt: skip
        return {k: v for k, v in values.items() if v}


def drill_down(*, user, filters: ReportFilters, drill: Drill, today: date | None = None):
    """The claims behind a figure of the claims view, as the user may see them, narrowed by
    the report's filters (the claim type among them) and the figure's own condition; oldest
    first."""
    today = today or timezone.localdate()
    scope = _Scope(user, filters)
    if drill.show in REPORTED_LISTS:
        qs = scope.reported().filter(REPORTED_LISTS[drill.show])
    elif drill.show == "open":
        qs = scope.open()
        if drill.status:
            qs = qs.filter(status=drill.status)
        if drill.age:
            qs = qs.filter(AGES_BY_KEY[drill.age].q(today))
    elif drill.show in REPAIR_LISTS:
        qs = scope.repairs().filter(REPAIR_LISTS[drill.show])
        if drill.shop == NO_SHOP:
            qs = qs.filter(repair_shop__isnull=True)
        elif drill.shop:
            qs = qs.filter(repair_shop_id=int(drill.shop))
        if drill.reason:
            qs = qs.filter(outside_reason=drill.reason)
        return qs.select_related(
            "policy__holder", "policy__insurer", "agent", "repair_shop"
        ).order_by("repair_recorded_at", "pk")
    elif drill.show in ("callbacks", "low_score"):
        qs = scope.callbacks()
        if drill.show == "low_score":
            qs = qs.filter(LOW)
        return qs.select_related("policy__holder", "policy__insurer", "agent").order_by(
            "called_back_at", "pk"
        )
    else:
        qs = scope.claims().filter(pk__in=scope.settlements().values("claim_id"))
    return qs.select_related("policy__holder", "policy__insurer", "agent").order_by(
        "reported_at", "pk"
    )
