"""The managers' dashboard at real size: each view's median server time and query count.

Uses the benchmark database `cartera_bench` (built like bench/client_search.py does, with
`seed_demo --clients 500000`: about a million policies with a year of renewal history), runs
the morning job for today if it has not run, then opens every dashboard view as the
administrator (the whole book) and as a team manager, with this year's range and the default
grouping, then a few groupings and filters, the .xlsx export and the whole-dashboard PDF.

    .venv/bin/python bench/dashboard.py [--clients 500000] [--runs 7] [--rebuild] [--live]

The whole book's renewal rate and lost renewals read the daily rollup (reports.RenewalDay),
agent performance the work queue's (reports.WorkDay, PointsDay…); ``--live`` makes them read
the cases, the work items and the points awards as before, for comparison. BENCH_DATABASE_URL names
another database (e.g. a copy of the 1M-policy book).
"""

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from client_search import measure as page_measure  # noqa: E402
from client_search import prepare, setup_django  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=500_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--live", action="store_true", help="read the cases, not the rollup")
    args = parser.parse_args()
    prepare(args.clients, rebuild=args.rebuild)

    setup_django()
    if args.live:
        from reports import lost, renewal_rate, rollups

        renewal_rate.rollup_applies = lost.rollup_applies = lambda user, filters: False
        rollups.work_rollup_current = lambda: False  # agent performance: the items, the awards
        print("reading the cases, work items and points (--live), not the rollups")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from brokerage.accounts.models import User
    from policies.models import Insurer, Policy
    from renewals.jobs import renewals_morning_job
    from renewals.models import RenewalCase
    from workqueue.models import ItemResult, WorkItem

    today = timezone.localdate()
    if not WorkItem.objects.filter(created_at__date=today).exists():
        started = time.perf_counter()
        renewals_morning_job(day=today)
        print(f"morning job: {time.perf_counter() - started:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    admin = User.objects.get(username="admin")
    manager = User.objects.filter(username="manager").first()
    agent = User.objects.filter(username="agent").first()
    insurer = Insurer.objects.order_by("pk").first()
    print(
        f"dataset: {Policy.objects.count()} policies "
        f"({Policy.objects.exclude(written_on=None).count()} written), "
        f"{RenewalCase.objects.count()} renewal cases, {WorkItem.objects.count()} work items, "
        f"{ItemResult.objects.count()} results"
    )
    year = f"start={today.year}-01-01&end={today.year}-12-31"
    last12 = f"start={today.replace(year=today.year - 1).isoformat()}&end={today.isoformat()}"

    def measure(who, label, url, *, runs=args.runs):
        page_measure(who, label, url, runs=runs, width=46)

    for who, name in ((admin, "admin, whole book"), (manager, "manager, own teams")):
        if who is None:
            continue
        print(f"\n{name}:")
        measure(who, "renewal rate by month", f"/reports/renewals/?{year}")
        # The client rates the page loads right after it (htmx), counted exactly.
        measure(who, "  its client rates (the fragment)", f"/reports/renewals/clients/?{year}")
        measure(
            who, "renewal rate by agent, last 12 months", f"/reports/renewals/?{last12}&by=agent"
        )
        measure(
            who,
            "  its client rates (the fragment)",
            f"/reports/renewals/clients/?{last12}&by=agent",
        )
        measure(who, "written premium by day", f"/reports/premium/?{year}")
        measure(who, "written premium by insurer", f"/reports/premium/?{year}&by=insurer")
        measure(who, "pipeline by stage", "/reports/pipeline/")
        measure(who, "pipeline by grade", "/reports/pipeline/?by=grade")
        measure(who, "lost renewals, last 12 months", f"/reports/lost/?{last12}")
        measure(who, "agent performance, last 12 months", f"/reports/agents/?{last12}")
        measure(
            who, "agent performance, one insurer", f"/reports/agents/?{year}&insurer={insurer.pk}"
        )
    print("\nexports (admin):")
    measure(
        admin,
        "renewal rate by agent, .xlsx",
        f"/reports/renewals/?{year}&by=agent&export=xlsx",
        runs=3,
    )
    # The PDF is printed by a task (the page only queues it): timed here as the task runs.
    from django.http import QueryDict

    from reports.models import DashboardPrint
    from reports.printing import print_render

    printed = DashboardPrint.objects.create(
        user=admin, language="en", views_total=5,
        filters=dict(QueryDict(year).items()),
    )  # fmt: skip
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        print_render(printed)
    print(f"  {'whole dashboard, PDF (the task)':<46} once   {time.perf_counter() - started:8.1f} s"
          f"  queries {len(queries.captured_queries):3d}")  # fmt: skip
    printed.file.delete()
    printed.delete()
    if agent is not None:
        print("\nagent's own page:")
        measure(agent, "my figures (performance)", f"/reports/mine/?{last12}")
        measure(
            agent, "my figures (premium by month)", f"/reports/mine/?view=premium&by=month&{year}"
        )


if __name__ == "__main__":
    main()
