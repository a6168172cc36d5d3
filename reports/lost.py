"""Lost renewals: the cases lost among the policies ending in the period, by the reason given
(with the same period last year beside it) and, for those renewed with another insurer, by the
insurer that won them and why. Four aggregate queries whatever the book's size."""

from collections import defaultdict
from datetime import date
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.db.models import Count, Sum
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from renewals.models import CaseStatus, CompetitorWhy, LostReason
from renewals.selectors import NOT_SET

from .filters import ReportFilters
from .rollups import rollup_applies, rollup_parts, rollup_values
from .selectors import ZERO, scoped_cases
from .tables import INT, MONEY, PCT, TEXT, Column, Row, Table, pct

REASON_ORDER = {value: i for i, value in enumerate(LostReason.values)}
WHY_ORDER = {value: i for i, value in enumerate(CompetitorWhy.values)}


def _reason_label(value: str) -> str:
    if not value:
        return _("No reason recorded")
    return str(LostReason(value).label) if value in LostReason.values else value


def _why_text(counts: dict, cases: int) -> str:
    """The reason given most often ("Cheaper premium (2 of 3)"); a tie goes to the reason
    listed first; "—" when nobody said why."""
    if not counts:
        return "—"
    why = min(counts, key=lambda w: (-counts[w], WHY_ORDER.get(w, len(WHY_ORDER)), w))
    label = str(CompetitorWhy(why).label) if why in CompetitorWhy.values else why
    return _("%(why)s (%(n)d of %(cases)d)") % {"why": label, "n": counts[why], "cases": cases}


def lost_tables(*, user, filters: ReportFilters, today: date | None = None) -> list[Table]:
    """The lost renewals (lost_figures) as the dashboard's two tables (lost_layout)."""
    return lost_layout(lost_figures(user=user, filters=filters), filters=filters)


def lost_figures(*, user, filters: ReportFilters) -> dict:
    """The lost cases of the period: ``by_reason`` (reason -> cases and premium),
    ``last_year`` (reason -> cases, same period a year earlier); of those renewed with another
    insurer, ``by_insurer`` (cases and premium per winning insurer: id and name), ``whys``
    (insurer id -> reason the client gave -> times given) and ``all_whys`` (reason -> times
    given, every insurer). Four aggregate queries."""
    year = relativedelta(years=1)
    if rollup_applies(user, filters):
        return _rollup_lost(filters)
    # The lost cases of both periods, the user's visibility worked out once.
    lost = scoped_cases(user, filters, filters.start - year, filters.end).filter(
        status=CaseStatus.LOST
    )
    this = lost.filter(end_date__gte=filters.start, end_date__lte=filters.end)
    by_reason = {
        d["outcome_reason"]: d
        for d in this.values("outcome_reason")
        .annotate(cases=Count("pk"), premium=Coalesce(Sum("last_premium"), ZERO))
        .order_by()
    }
    last_year = {
        d["outcome_reason"]: d["cases"]
        for d in lost.filter(end_date__gte=filters.start - year, end_date__lte=filters.end - year)
        .values("outcome_reason")
        .annotate(cases=Count("pk"))
        .order_by()
    }
    elsewhere = this.filter(outcome_reason=LostReason.RENEWED_ELSEWHERE)
    by_insurer = list(
        elsewhere.values("lost_to_id", "lost_to__name")
        .annotate(cases=Count("pk"), premium=Coalesce(Sum("last_premium"), ZERO))
        .order_by()
    )
    whys: dict = defaultdict(dict)
    all_whys: dict = defaultdict(int)
    for d in (
        elsewhere.exclude(lost_why="")
        .values("lost_to_id", "lost_why")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        whys[d["lost_to_id"]][d["lost_why"]] = d["n"]
        all_whys[d["lost_why"]] += d["n"]
    return {"by_reason": by_reason, "last_year": last_year, "by_insurer": by_insurer,
            "whys": dict(whys), "all_whys": dict(all_whys)}  # fmt: skip


def _rollup_lost(filters: ReportFilters) -> dict:
    """lost_figures for the whole book, from the rollup's rows (rollup_parts): the same four
    aggregates, each one query."""
    year = relativedelta(years=1)
    today = timezone.localdate()

    def lost(start, end):
        parts = rollup_parts(filters, start, end, by="", today=today)
        return [part.filter(status=CaseStatus.LOST) for part in parts]

    money = {"cases": Sum("cases"), "premium": Coalesce(Sum("last_premium"), ZERO)}
    this = lost(filters.start, filters.end)
    by_reason = {
        d["outcome_reason"]: d
        for d in rollup_values(this, ["outcome_reason"], money, having="cases")
    }
    last_year = {
        d["outcome_reason"]: d["cases"]
        for d in rollup_values(
            lost(filters.start - year, filters.end - year), ["outcome_reason"],
            {"cases": Sum("cases")}, having="cases",
        )
    }  # fmt: skip
    elsewhere = [part.filter(outcome_reason=LostReason.RENEWED_ELSEWHERE) for part in this]
    by_insurer = rollup_values(elsewhere, ["lost_to_id", "lost_to__name"], money, having="cases")
    whys: dict = defaultdict(dict)
    all_whys: dict = defaultdict(int)
    for d in rollup_values(
        [part.exclude(lost_why="") for part in elsewhere], ["lost_to_id", "lost_why"],
        {"n": Sum("cases")}, having="n",
    ):  # fmt: skip
        whys[d["lost_to_id"]][d["lost_why"]] = d["n"]
        all_whys[d["lost_why"]] += d["n"]
    return {"by_reason": by_reason, "last_year": last_year, "by_insurer": by_insurer,
            "whys": dict(whys), "all_whys": dict(all_whys)}  # fmt: skip


def lost_layout(figures: dict, *, filters: ReportFilters) -> list[Table]:
    """Two tables: lost by reason (cases, share, premium lost, last year's count) and renewed
    elsewhere by the winning insurer (cases, share, premium, the reason most often given).
    Every count links to the renewal list showing exactly those cases."""
    return [_reason_table(figures, filters), _insurer_table(figures, filters)]


def _link(filters: ReportFilters, *, year_before=False, **more) -> str:
    """The renewal list of the lost cases whose policy ends in the period (or in the same
    period a year earlier), narrowed by ``more``."""
    shift = relativedelta(years=1 if year_before else 0)
    query = {
        "status": CaseStatus.LOST, **filters.scope(),
        "ends_from": (filters.start - shift).isoformat(),
        "ends_to": (filters.end - shift).isoformat(), **more,
    }  # fmt: skip
    query = {k: v for k, v in query.items() if v not in ("", None)}
    return f"{reverse('renewals:list')}?{urlencode(query)}"


def _reason_table(figures: dict, filters: ReportFilters) -> Table:
    """Lost by reason, with the same period last year beside it."""
    by_reason, last_year = figures["by_reason"], figures["last_year"]
    total_cases = sum(d["cases"] for d in by_reason.values())
    total_premium = sum((d["premium"] for d in by_reason.values()), Decimal("0"))
    total_last = sum(last_year.values())
    columns = [
        Column("cases", pgettext("renewal cases counted", "Lost"), INT,
               _("cases lost, policy ending in the period"), chart=True),
        Column("share", _("Share of lost"), PCT, _("cases ÷ all cases lost")),
        Column("premium", _("Premium lost (%(currency)s)") % {"currency": filters.currency},
               MONEY, _("last year's premium of the cases lost")),
        Column("last_year", _("Last year"), INT, _("cases lost, same period a year earlier"),
               chart=True),
    ]  # fmt: skip
    rows = []
    reasons = sorted(
        set(by_reason) | set(last_year),
        key=lambda r: (
            -by_reason.get(r, {}).get("cases", 0), not r, REASON_ORDER.get(r, len(REASON_ORDER)),
            r,
        ),
    )  # fmt: skip
    for reason in reasons:
        d = by_reason.get(reason, {})
        cases = d.get("cases", 0)
        rows.append(
            Row(
                label=_reason_label(reason),
                values={
                    "cases": cases, "share": pct(cases, total_cases),
                    "premium": d.get("premium", Decimal("0")),
                    "last_year": last_year.get(reason, 0),
                },
                links={"cases": _link(filters, reason=reason or NOT_SET),
                       "last_year": _link(filters, year_before=True, reason=reason or NOT_SET)},
                key=reason,
            )
        )  # fmt: skip
    return Table(
        slug="lost-reason", title=_("Lost renewals"), group_label=_("Reason"),
        columns=columns, rows=rows,
        totals=Row(
            label=_("Total"),
            values={"cases": total_cases, "share": pct(total_cases, total_cases),
                    "premium": total_premium, "last_year": total_last},
            links={"cases": _link(filters), "last_year": _link(filters, year_before=True)},
        ),
        empty=_("No renewal was lost in this period."),
        subtitle=_("By reason"),
    )  # fmt: skip


def _insurer_table(figures: dict, filters: ReportFilters) -> Table:
    """Renewed with another insurer, by the insurer that won the case."""
    by_insurer, whys = figures["by_insurer"], figures["whys"]
    elsewhere_cases = sum(d["cases"] for d in by_insurer)
    elsewhere_premium = sum((d["premium"] for d in by_insurer), Decimal("0"))
    columns = [
        Column("cases", _("Cases"), INT, _("cases renewed with this insurer"), chart=True),
        Column("share", _("Share"), PCT, _("cases ÷ all cases renewed elsewhere")),
        Column("premium", _("Premium lost (%(currency)s)") % {"currency": filters.currency},
               MONEY, _("last year's premium of those cases")),
        Column("why", _("Main reason"), TEXT,
               _("the reason the clients gave most often (times given of cases)")),
    ]  # fmt: skip
    reason = LostReason.RENEWED_ELSEWHERE
    rows = []
    for d in sorted(by_insurer, key=lambda d: (-d["cases"], d["lost_to__name"] is None,
                                               d["lost_to__name"] or "")):  # fmt: skip
        rows.append(
            Row(
                label=d["lost_to__name"] or _("Insurer not recorded"),
                values={
                    "cases": d["cases"], "share": pct(d["cases"], elsewhere_cases),
                    "premium": d["premium"],
                    "why": _why_text(whys.get(d["lost_to_id"], {}), d["cases"]),
                },
                links={"cases": _link(filters, reason=reason, lost_to=d["lost_to_id"] or NOT_SET)},
                key=d["lost_to_id"],
            )
        )  # fmt: skip
    return Table(
        slug="lost-insurer", title=_("Lost renewals"), group_label=_("Renewed with"),
        columns=columns, rows=rows,
        totals=Row(
            label=_("Total"),
            values={"cases": elsewhere_cases, "share": pct(elsewhere_cases, elsewhere_cases),
                    "premium": elsewhere_premium,
                    "why": _why_text(figures["all_whys"], elsewhere_cases)},
            links={"cases": _link(filters, reason=reason)},
        ),
        empty=_("No client renewed with another insurer in this period."),
        subtitle=_("By the insurer that won them"),
    )  # fmt: skip
