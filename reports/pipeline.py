"""The pipeline: open renewal cases whose policy ends in the next 30, 60 and 90 days and the
premium at stake, by stage or by grade, with the open cases whose policy has already ended.
And the running policies ending in those windows that no renewal case has opened for yet.
As of today (no date range). The figures (pipeline_figures) take an aggregate query for the
cases, one for the stages and one for the policies without a case, whatever the book's size;
pipeline_layout turns them into the dashboard's tables."""

from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from policies.models import Policy, PolicyStatus
from renewals.models import CaseStatus, Grade, RenewalCase
from renewals.selectors import NOT_SET, OVERDUE, UNGRADED, stage_choices, stage_label

from .filters import ReportFilters
from .models import RenewalOpenDay
from .rollups import rollup_applies, scoped_days
from .selectors import ZERO, line_label, scoped_cases
from .tables import INT, MONEY, Column, Row, Table

WINDOWS = (30, 60, 90)
# What a case is worth while it is open: the premium quoted for the renewal when there is one
# (what the client is being asked to pay), else last year's premium.
AT_STAKE = Coalesce("quoted_premium", "last_premium")


def _figures(qs, field: str, today: date, *, rollup=False) -> list[dict]:
    """Per value of ``field``: the open cases and premium at stake per window, and overdue.
    ``qs``: open cases, or (``rollup``) RenewalOpenDay's rows, which count ``cases`` and sum
    ``at_stake`` per day (a group whose cases all left keeps rows of zero: left out)."""
    end = "day" if rollup else "end_date"
    windows = {
        n: Q(**{f"{end}__gte": today, f"{end}__lte": today + timedelta(days=n)}) for n in WINDOWS
    }
    overdue = Q(**{f"{end}__lt": today})
    at_stake = "at_stake" if rollup else AT_STAKE

    def cases(condition):
        return Coalesce(Sum("cases", filter=condition), 0) if rollup else Count(
            "pk", filter=condition
        )  # fmt: skip

    annotations = {}
    for n, window in windows.items():
        annotations[f"cases_{n}"] = cases(window)
        annotations[f"premium_{n}"] = Coalesce(Sum(at_stake, filter=window), ZERO)
    annotations["cases_overdue"] = cases(overdue)
    annotations["premium_overdue"] = Coalesce(Sum(at_stake, filter=overdue), ZERO)
    qs = qs.values(field).annotate(**annotations)
    if rollup:
        qs = qs.annotate(open_cases=Sum("cases")).filter(open_cases__gt=0)
    return [{k: v for k, v in row.items() if k != "open_cases"} for row in qs.order_by(field)]


def pipeline_tables(*, user, filters: ReportFilters, today: date) -> list[Table]:
    """The pipeline (pipeline_figures) as the dashboard's tables (pipeline_layout)."""
    figures = pipeline_figures(user=user, filters=filters, today=today)
    return pipeline_layout(figures, filters=filters, today=today)


def _grouping(filters: ReportFilters) -> str:
    return filters.by if filters.by in ("stage", "grade") else "stage"


def pipeline_figures(*, user, filters: ReportFilters, today: date) -> dict:
    """``rows``: per stage (the default) or grade, the open cases and premium at stake per
    window and overdue; ``stages``: the stages the ladders name (stage_choices), when grouped
    by stage; ``not_opened``: per line, the running policies ending in the windows that no
    renewal case has opened for yet."""
    by = _grouping(filters)
    horizon = today + timedelta(days=max(WINDOWS))
    # No lower bound: an open case counts as overdue however long ago its policy ended. The
    # whole book reads the open cases' rollup.
    if rollup_applies(user, filters):
        rows = _figures(
            scoped_days(filters, date.min, horizon, model=RenewalOpenDay), by, today, rollup=True
        )
    else:
        qs = scoped_cases(user, filters, date.min, horizon).filter(status=CaseStatus.OPEN)
        rows = _figures(qs, by, today)
    return {
        "rows": rows,
        "stages": stage_choices() if by == "stage" else None,
        "not_opened": _not_opened(user, filters, today),
    }


def _not_opened(user, filters: ReportFilters, today: date) -> list[dict]:
    """Per line: the running policies ending in each window that no renewal case has opened
    for yet (their ladder opens them later), and their premium. The policies are read from
    their partial index (policy_active_end_cover: every column read here) and anti-joined
    with the cases (NOT EXISTS on the cases' unique policy_id; a LEFT JOIN … IS NULL was
    estimated at one row for 238,000 at a million policies)."""
    has_case = RenewalCase.objects.filter(policy_id=OuterRef("pk"))
    qs = filters.narrow(
        Policy.objects.visible_to(user).filter(
            ~Exists(has_case), status=PolicyStatus.ACTIVE, end_date__gte=today,
            end_date__lte=today + timedelta(days=max(WINDOWS)),
        )
    )  # fmt: skip
    annotations = {}
    for n in WINDOWS:
        window = Q(end_date__lte=today + timedelta(days=n))
        annotations[f"cases_{n}"] = Count("pk", filter=window)
        annotations[f"premium_{n}"] = Coalesce(Sum("premium", filter=window), ZERO)
    return list(qs.values("line").annotate(**annotations).order_by("line"))


def pipeline_layout(figures: dict, *, filters: ReportFilters, today: date) -> list[Table]:
    """The pipeline as one table grouped by stage (the default) or grade; every count links
    to the renewal list showing exactly those cases (status open, the same ``due`` window);
    then the policies with no case yet, by line of business."""
    by = _grouping(filters)
    columns = _open_columns(filters.currency)
    keys = [c.key for c in columns]
    base = {"status": CaseStatus.OPEN, **filters.scope()}
    if by == "stage":
        describe, sort_key = _stages(figures["stages"])
        group_label = _("Stage")
    else:
        describe, sort_key = _grades()
        group_label = _("Grade")

    rows = []
    totals = {c.key: Decimal("0") if c.kind == MONEY else 0 for c in columns}
    for data in sorted(figures["rows"], key=lambda d: sort_key(d[by])):
        label, group = describe(data[by])
        values = {k: data[k] for k in keys}
        for k in keys:
            totals[k] += values[k]
        links = _open_links({**base, **group}) if group else {}
        rows.append(Row(label=label, values=values, links=links, key=data[by]))
    return [
        Table(
            slug="pipeline", title=_("Pipeline"), group_label=group_label, columns=columns,
            rows=rows, totals=Row(label=_("Total"), values=totals, links=_open_links(base)),
            empty=_("No open renewal ends in the next 90 days and none is overdue."),
            note=_("As of %(today)s. The windows are cumulative: the 60-day figures include "
                   "the 30-day ones.") % {"today": today.isoformat()},
        ),
        _not_opened_table(figures["not_opened"], filters),
    ]  # fmt: skip


def _open_columns(currency: str) -> list[Column]:
    money = {"currency": currency}
    columns = []
    for n in WINDOWS:
        columns += [
            Column(
                f"cases_{n}", _("Ending ≤ %(n)d days") % {"n": n}, INT,
                _("open cases, policy ends today to today + %(n)d days (includes the shorter "
                  "windows)") % {"n": n},
                chart=True,
            ),
            Column(
                f"premium_{n}", _("At stake ≤ %(n)d days (%(currency)s)") % {"n": n, **money},
                MONEY,
                _("quoted premium, or last year's premium when not yet quoted"),
            ),
        ]  # fmt: skip
    columns += [
        Column("cases_overdue", _("Overdue"), INT,
               _("still open, policy already ended"), chart=True),
        Column("premium_overdue", _("At stake, overdue (%(currency)s)") % money, MONEY,
               _("quoted premium, or last year's premium when not yet quoted")),
    ]  # fmt: skip
    return columns


def _open_links(query: dict) -> dict:
    """The renewal list of the open cases in each window (``query``: status and group)."""
    url = reverse("renewals:list")
    query = {k: v for k, v in query.items() if v not in ("", None)}
    out = {f"cases_{n}": f"{url}?{urlencode({**query, 'due': n})}" for n in WINDOWS}
    out["cases_overdue"] = f"{url}?{urlencode({**query, 'due': OVERDUE})}"
    return out


def _stages(stages: list[tuple[str, str]]):
    """A stage's label and the renewal list's parameter for it, and the stages' order."""
    known = {value for value, _label in stages}
    order = {value: i for i, (value, _label) in enumerate(stages)}

    def describe(value):
        if not value:
            return _("No stage"), {"stage": NOT_SET}
        # A stage no ladder names any more cannot be chosen on the renewal list either.
        return stage_label(value), ({"stage": value} if value in known else None)

    def sort_key(value):
        return (not value, order.get(value, len(order)), value)

    return describe, sort_key


def _grades():
    """A grade's label and the renewal list's parameter for it, and the grades' order."""
    order = {value: i for i, value in enumerate(Grade.values)}

    def describe(value):
        if not value:
            return _("Not graded"), {"grade": UNGRADED}
        label = str(Grade(value).label) if value in Grade.values else value
        return label, {"grade": value}

    def sort_key(value):
        return (not value, order.get(value, len(order)), value)

    return describe, sort_key


def _not_opened_table(data: list[dict], filters: ReportFilters) -> Table:
    """The running policies ending in the windows that no renewal case has opened for yet
    (their ladder opens them later): the pipeline still to come, by line of business."""
    currency = {"currency": filters.currency}
    columns = []
    for n in WINDOWS:
        columns += [
            Column(f"cases_{n}", _("Ending ≤ %(n)d days") % {"n": n}, INT,
                   _("running policies ending today to today + %(n)d days") % {"n": n},
                   chart=True),
            Column(f"premium_{n}", _("Premium ≤ %(n)d days (%(currency)s)") % {"n": n, **currency},
                   MONEY, _("this year's premium")),
        ]  # fmt: skip
    url = reverse("policies:list")
    base = {"status": PolicyStatus.ACTIVE, "case": "none", **filters.scope()}

    def links(line=""):
        query = {**base, **({"line": line} if line else {})}
        return {f"cases_{n}": f"{url}?{urlencode({**query, 'ends_within': n})}" for n in WINDOWS}

    rows, totals = [], {c.key: Decimal("0") if c.kind == MONEY else 0 for c in columns}
    for d in data:
        values = {c.key: d[c.key] for c in columns}
        for k in totals:
            totals[k] += values[k]
        label = line_label(d["line"])
        rows.append(Row(label=label, values=values, links=links(d["line"]), key=d["line"]))
    return Table(
        slug="pipeline-not-opened", title=_("Pipeline"), group_label=_("Line of business"),
        columns=columns, rows=rows, totals=Row(label=_("Total"), values=totals, links=links()),
        subtitle=_("Policies ending, no renewal case opened yet"),
        empty=_("Every policy ending in the next 90 days has its renewal case."),
        note=_("The renewal ladder opens a case some days before the policy ends; these "
               "policies are still to come."),
    )  # fmt: skip
