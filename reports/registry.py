"""The dashboard's views: what each is called, which builder makes its tables, how it may
group its rows and what its date range means. The pages, the exports and the PDF print all
read this one list."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from .analytic import analytic
from .claims import ClaimFilters, claims_tables
from .collections import collections_tables
from .filters import ReportFilters
from .lost import lost_tables
from .performance import performance_tables
from .pipeline import pipeline_tables
from .premium import premium_tables
from .renewal_rate import renewal_rate_tables
from .tables import Table


@dataclass(frozen=True)
class Report:
    slug: str
    title: Promise
    # build(*, user, filters, today) -> list[Table]: the view's query, then its layout.
    build: Callable[..., list[Table]]
    # (value, label) of the ways the view groups its rows; empty: one way only.
    groupings: tuple = ()
    # What the date range filters (None: the view is as of today and takes no range).
    range_label: Promise | None = None
    description: Promise = ""
    # The filters the view reads (a view may read more than every view's: claims, the type).
    filters_class: type = ReportFilters

    @property
    def grouping_values(self) -> tuple[str, ...]:
        return tuple(value for value, _label in self.groupings)

    def filters(self, params, *, user) -> ReportFilters:
        """The view's filters read from ``params`` (its own groupings)."""
        return self.filters_class.from_query(params, user=user, groupings=self.grouping_values)

    def tables(self, *, user, filters: ReportFilters, today: date) -> list:
        with analytic():
            return self.build(user=user, filters=filters, today=today)


REPORTS = (
    Report(
        "renewals",
        gettext_lazy("Renewal rate"),
        renewal_rate_tables,
        groupings=(
            ("month", gettext_lazy("Month of expiry")),
            ("agent", gettext_lazy("Agent")),
            ("team", gettext_lazy("Team")),
            ("insurer", gettext_lazy("Insurer")),
            ("line", gettext_lazy("Line of business")),
        ),
        range_label=gettext_lazy("Policies ending from"),
        description=gettext_lazy(
            "Of the policies that ended in the period, how many were renewed with us."
        ),
    ),
    Report(
        "premium",
        gettext_lazy("Written premium"),
        premium_tables,
        groupings=(
            ("day", gettext_lazy("Day")),
            ("month", gettext_lazy("Month")),
            ("agent", gettext_lazy("Agent")),
            ("insurer", gettext_lazy("Insurer")),
            ("line", gettext_lazy("Line of business")),
        ),
        range_label=gettext_lazy("Written from"),
        description=gettext_lazy(
            "Premium of the policies sold in the period, new business and renewals."
        ),
    ),
    Report(
        "pipeline",
        gettext_lazy("Pipeline"),
        pipeline_tables,
        groupings=(("stage", gettext_lazy("Stage")), ("grade", gettext_lazy("Grade"))),
        description=gettext_lazy(
            "Open renewal cases whose policy ends in the next 30, 60 and 90 days, and the "
            "premium at stake."
        ),
    ),
    Report(
        "lost",
        gettext_lazy("Lost renewals"),
        lost_tables,
        range_label=gettext_lazy("Policies ending from"),
        description=gettext_lazy(
            "Renewals lost in the period, by reason and by the insurer that won them."
        ),
    ),
    Report(
        "agents",
        gettext_lazy("Agent performance"),
        performance_tables,
        range_label=gettext_lazy("Handed out from"),
        description=gettext_lazy(
            "The work handed out to each agent in the period, how much was worked by the "
            "cutoff, the results, renewals won, premium and points."
        ),
    ),
    Report(
        "collections",
        gettext_lazy("Collections"),
        collections_tables,
        groupings=(
            ("agent", gettext_lazy("Agent")),
            ("team", gettext_lazy("Team")),
            ("insurer", gettext_lazy("Insurer")),
            ("line", gettext_lazy("Line of business")),
        ),
        range_label=gettext_lazy("Instalments due from"),
        description=gettext_lazy(
            "Of the instalments due in the period, how many and how much were collected; what "
            "is still owed, by days overdue; promises to pay kept and broken; the policies at "
            "risk of cancellation for non-payment."
        ),
    ),
    Report(
        "claims",
        gettext_lazy("Claims"),
        claims_tables,
        groupings=(
            ("insurer", gettext_lazy("Insurer")),
            ("line", gettext_lazy("Line of business")),
            ("kind", gettext_lazy("Claim type")),
            ("agent", gettext_lazy("Agent")),
            ("team", gettext_lazy("Team")),
        ),
        range_label=gettext_lazy("Claims reported from"),
        description=gettext_lazy(
            "Of the claims reported in the period, how many were contacted within 10 minutes, "
            "the median time to first contact and the escalations; the claims still open by "
            "status and age; the claims settled, the median time from report to settlement and "
            "the amounts claimed against settled; the satisfaction after settlement; the month's "
            "repairs referred to partner shops against those done elsewhere, and why."
        ),
        filters_class=ClaimFilters,
    ),
)
BY_SLUG = {r.slug: r for r in REPORTS}
