"""The payment part of the morning run and the collections pages at real size.

Uses the benchmark database `cartera_bench` (built like bench/client_search.py does, with
`seed_demo --clients 500000`: about a million policies, four million instalments and the demo's
payment history), then, in one transaction rolled back at the end (so the bench can be repeated
and always times a first morning on the seeded book):

- times ``billing.jobs.collections_morning_job`` with its query count on a first day (the
  book's today), a second run the same day (the idempotent re-run: it must change nothing) and
  the next day, printing what each run did;
- prints the median server time and query count of the call list of the agent holding the most
  payment items due, and of the collections dashboard (and its list of what is overdue) as the
  administrator and as a manager.

    .venv/bin/python bench/collections_run.py [--clients 500000] [--runs 9]

Another database: `BENCH_DATABASE_URL=postgres://…/name`. The messages the job queues are sent
by the outbox's task after the job's commit: the rollback leaves them out of these figures.
Target (issue 15): the payment part of the morning run within 10 s at a million policies.
"""

import argparse
import time
from datetime import timedelta

from client_search import measure as page_measure
from client_search import prepare, setup_django


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
    from django.urls import NoReverseMatch, reverse
    from django.utils import timezone

    from billing.jobs import collections_morning_job
    from billing.kind import PAYMENT_KIND
    from billing.models import (
        CancellationRisk,
        Instalment,
        Payment,
        PaymentPromise,
        RiskStatus,
    )
    from brokerage.accounts.models import User
    from policies.models import Policy
    from workqueue.models import ItemStatus, Queue, WorkItem

    statuses = dict(
        Instalment.objects.values("status").annotate(n=Count("pk")).values_list("status", "n")
    )
    print(
        f"dataset: {Policy.objects.count():,} policies, {sum(statuses.values()):,} instalments "
        f"({', '.join(f'{s} {n:,}' for s, n in sorted(statuses.items()))}), "
        f"{Payment.objects.count():,} payments, {PaymentPromise.objects.count():,} promises, "
        f"{CancellationRisk.objects.filter(status=RiskStatus.OPEN).count():,} policies at risk"
    )

    today = timezone.localdate()
    now = timezone.now()
    with transaction.atomic():
        print("\nmorning job, payment part (rolled back at the end):")
        for label, day, at in (
            ("first day", today, now),
            ("same day again", today, now + timedelta(minutes=5)),
            ("next day", today + timedelta(days=1), now + timedelta(days=1)),
        ):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                report = collections_morning_job(day=day, now=at)
                elapsed = time.perf_counter() - started
            rungs = " ".join(f"{d:+d}:{n}" for d, n in sorted(report.items_created.items()))
            print(
                f"  {label:<15} {elapsed:6.2f} s  queries {len(queries.captured_queries):4d}  "
                f"overdue {report.marked_overdue:6d}  items {report.total_items:6d} "
                f"({rungs or 'none'}; promises {report.promise_items})  "
                f"superseded {report.items_superseded:5d}  reminders {report.reminders_queued:5d}"
                f"  promises broken {report.promises_broken:4d}  at risk {report.risks_opened:4d}"
            )
        busiest = (
            WorkItem.objects.filter(
                kind=PAYMENT_KIND, queue=Queue.AGENT, status=ItemStatus.OPEN, due_on__lte=today
            )
            .exclude(agent=None)
            .values("agent")
            .annotate(n=Count("pk"))
            .order_by("-n")
            .first()
        )
        admin = User.objects.get(username="admin")
        manager = User.objects.filter(groups__name="manager", managed_teams__isnull=False).first()

        def measure(who, label, url):
            page_measure(who, label, url, runs=args.runs, width=44)

        print("\npages:")
        if busiest is None:
            print("  call list: no agent holds a payment item due (nothing to measure)")
        else:
            agent = User.objects.get(pk=busiest["agent"])
            items = WorkItem.objects.filter(
                agent=agent, queue=Queue.AGENT, status=ItemStatus.OPEN, due_on__lte=today
            ).count()
            measure(
                agent,
                f"call list ({busiest['n']} payment of {items} items)",
                reverse("workqueue:queue"),
            )
        try:
            dashboard = reverse("reports:report", args=["collections"])
            overdue = reverse("reports:collections_list") + "?show=overdue"
        except NoReverseMatch:
            print("  collections dashboard: not in reports/urls.py (not measured)")
        else:
            measure(admin, "collections dashboard (admin)", dashboard)
            measure(admin, "collections dashboard by insurer", dashboard + "?by=insurer")
            measure(admin, "what is overdue (admin)", overdue)
            if manager is not None:
                measure(manager, f"collections dashboard ({manager.username})", dashboard)
        transaction.set_rollback(True)


if __name__ == "__main__":
    main()
