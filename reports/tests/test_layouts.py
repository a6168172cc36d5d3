"""Each view is a query (its figures, plain data) and a layout (the tables): the layout reads
nothing from the database, and the view's tables are the layout of its figures."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from clients.tests.factories import ClientFactory
from policies.tests.factories import InsurerFactory, PolicyFactory
from renewals.models import CaseStatus, CompetitorWhy, LostReason
from renewals.tests.factories import RenewalCaseFactory
from reports import lost, performance, pipeline, premium, renewal_rate
from reports.filters import ReportFilters
from reports.registry import BY_SLUG

pytestmark = pytest.mark.django_db

D = datetime.date
TODAY = D(2026, 4, 1)
NOW = timezone.make_aware(datetime.datetime(2026, 4, 1, 9))

VIEWS = {
    "renewals": (
        lambda user, filters: renewal_rate.renewal_rates(user=user, filters=filters),
        lambda figures, filters: renewal_rate.renewal_rate_layout(figures, filters=filters),
    ),
    "premium": (
        lambda user, filters: premium.written_premium(user=user, filters=filters),
        lambda figures, filters: premium.premium_layout(figures, filters=filters),
    ),
    "pipeline": (
        lambda user, filters: pipeline.pipeline_figures(user=user, filters=filters, today=TODAY),
        lambda figures, filters: pipeline.pipeline_layout(figures, filters=filters, today=TODAY),
    ),
    "lost": (
        lambda user, filters: lost.lost_figures(user=user, filters=filters),
        lambda figures, filters: lost.lost_layout(figures, filters=filters),
    ),
    "agents": (
        lambda user, filters: performance.performance_figures(user=user, filters=filters,
                                                              now=NOW),
        lambda figures, filters: performance.performance_layout(figures, filters=filters),
    ),
}  # fmt: skip


def _case(agent, end, status, **kw):
    holder = ClientFactory(owner=agent)
    policy = PolicyFactory(holder=holder, agent=agent, premium=Decimal("1000"), end_date=end,
                           start_date=end - datetime.timedelta(days=365))  # fmt: skip
    new = None
    if status == CaseStatus.WON:
        new = PolicyFactory(holder=holder, agent=agent, premium=Decimal("1200"),
                            written_on=end - datetime.timedelta(days=5),
                            previous_policy=policy)  # fmt: skip
    return RenewalCaseFactory(policy=policy, status=status, new_policy=new, **kw)


@pytest.fixture
def book(teams):
    ana, beto = teams.ana, teams.beto
    _case(ana, D(2026, 3, 10), CaseStatus.WON, closed_at=NOW - datetime.timedelta(days=20))
    _case(beto, D(2026, 2, 10), CaseStatus.LOST, outcome_reason=LostReason.RENEWED_ELSEWHERE,
          lost_to=InsurerFactory(name="Qualitas"), lost_why=CompetitorWhy.PRICE)  # fmt: skip
    _case(beto, D(2025, 2, 10), CaseStatus.LOST, outcome_reason=LostReason.PRICE)
    _case(ana, TODAY + datetime.timedelta(days=20), CaseStatus.OPEN, grade="A")
    _case(beto, TODAY - datetime.timedelta(days=3), CaseStatus.OPEN, stage="")
    PolicyFactory(holder=ClientFactory(owner=ana), agent=ana, start_date=D(2025, 5, 16),
                  end_date=D(2026, 5, 16))  # ending in 45 days, no case yet  # fmt: skip
    return teams


@pytest.mark.parametrize(
    "slug,by",
    [("renewals", "month"), ("renewals", "agent"), ("premium", "day"), ("premium", "insurer"),
     ("pipeline", "stage"), ("pipeline", "grade"), ("lost", ""), ("agents", "")],
)  # fmt: skip
def test_the_tables_are_the_layout_of_the_figures_and_the_layout_reads_nothing(
    book, slug, by, django_assert_num_queries
):
    query, layout = VIEWS[slug]
    manager = type(book.manager).objects.get(pk=book.manager.pk)
    filters = ReportFilters(start=D(2026, 1, 1), end=D(2026, 6, 30), by=by, currency="MXN")
    figures = query(manager, filters)
    with django_assert_num_queries(0):
        tables = layout(figures, filters)
    assert all(table.rows for table in tables)
    assert BY_SLUG[slug].build(user=manager, filters=filters, today=TODAY) == tables
