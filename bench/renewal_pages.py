"""The renewal pages at real size: the agent's call list, the managers' renewal list and a case
page, and a distribution preview and run.

Uses the benchmark database `cartera_bench` (built like bench/client_search.py does, with
`seed_demo --clients 500000`: about a million policies; faster: a copy of `bench/big_book.py`'s
book named in BENCH_DATABASE_URL), runs the morning job for today if it
has not run, then prints each page's median server time and query count, and the time and
query count of a distribution preview and of a run (the run is rolled back, so the bench can be
repeated).

    .venv/bin/python bench/renewal_pages.py [--clients 500000] [--runs 9]
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
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    prepare(args.clients, rebuild=False)

    setup_django()
    from django.db import connection, transaction
    from django.db.models import Count
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from brokerage.accounts.models import User
    from policies.models import Policy
    from renewals.jobs import renewals_morning_job
    from renewals.models import RenewalCase
    from workqueue.distribution import distribution_run, plan_distribution
    from workqueue.models import ItemStatus, Queue, WorkItem

    today = timezone.localdate()
    if not WorkItem.objects.filter(created_at__date=today).exists():
        started = time.perf_counter()
        report = renewals_morning_job(day=today)
        print(
            f"morning job: {time.perf_counter() - started:.1f} s, {report.total_items} items, "
            f"{report.cases_opened} cases opened"
        )
    busiest = (
        WorkItem.objects.filter(queue=Queue.AGENT, status=ItemStatus.OPEN, due_on__lte=today)
        .exclude(agent=None)
        .values("agent")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()
    )
    agent = User.objects.get(pk=busiest["agent"])
    admin = User.objects.get(username="admin")
    manager = User.objects.filter(groups__name="manager", managed_teams__isnull=False).first()
    case = RenewalCase.objects.filter(policy__agent=agent).order_by("pk").first()
    print(
        f"dataset: {Policy.objects.count()} policies, {RenewalCase.objects.count()} cases, "
        f"{WorkItem.objects.count()} work items; busiest agent {agent.username} with "
        f"{busiest['n']} items due"
    )

    def measure(who, label, url, *, runs=args.runs):
        page_measure(who, label, url, runs=runs, width=40)

    print("\npages:")
    measure(agent, f"call list ({agent.username})", "/queue/")
    measure(agent, "case page (agent)", f"/renewals/{case.pk}/")
    measure(admin, "renewal list, open (admin)", "/renewals/")
    measure(admin, "renewal list, due in 7 days, grade none", "/renewals/?due=7&grade=none")
    measure(admin, "renewal list, one agent", f"/renewals/?agent={agent.pk}")
    if manager is not None:
        measure(manager, f"renewal list ({manager.username}, team)", "/renewals/")

    print("\ndistribution:")
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        plan = plan_distribution()
        elapsed = time.perf_counter() - started
    print(
        f"  preview: {elapsed * 1000:7.1f} ms  queries {len(queries.captured_queries):3d}  "
        f"{len(plan.lines)} items to hand out, {len(plan.skipped)} agents skipped"
    )
    with transaction.atomic():
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            plan = distribution_run()
            elapsed = time.perf_counter() - started
        print(
            f"  run:     {elapsed * 1000:7.1f} ms  queries {len(queries.captured_queries):3d}  "
            f"{len(plan.lines)} items handed out (rolled back)"
        )
        transaction.set_rollback(True)


if __name__ == "__main__":
    main()
