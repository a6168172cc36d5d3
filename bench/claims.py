"""Claims at real size (issue 16): the escalation sweep and the managers' Claims view.

Builds (or reuses) a benchmark database like bench/client_search.py does, with
`seed_demo --clients N` (a year of claims included: claims.demo), then, in one transaction
rolled back at the end (so the bench can be repeated):

- puts ``--backlog`` claims past their 10 minutes with no contact (a broker down all morning)
  and times ``claims.services.claims_escalate_due`` (the beat sweep) with its query count on
  one claim, then run after run at its own limit until the backlog is cleared (each run the
  same count as for one claim: the sweep is set-based), then once with nothing left; it checks
  each claim got one item in the maintainers' queue and counts the e-mails queued;
- prints the median server time and query count of the Claims view as the administrator (the
  whole book) and as a manager, by each grouping, filtered by claim type, its .xlsx export
  and the lists behind two figures.

    BENCH_DATABASE_URL=postgres://…/cartera_bench_claims \\
        .venv/bin/python bench/claims.py [--clients 100000] [--runs 7] [--backlog 500]

It prints figures and asserts nothing about times.
"""

import argparse
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from client_search import measure as page_measure  # noqa: E402
from client_search import prepare, setup_django  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--backlog", type=int, default=500)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    prepare(args.clients, rebuild=args.rebuild)

    setup_django()
    from django.db import connection, transaction
    from django.db.models import Count
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse
    from django.utils import timezone

    from brokerage.accounts.models import User
    from brokerage.core.demo import DemoContext
    from brokerage.notifications.models import Message
    from claims.demo import seed_claims
    from claims.kind import ESCALATION_KIND
    from claims.models import CONTACT_WITHIN, Claim, ClaimKind, ClaimStatus
    from claims.services import claims_escalate_due
    from policies.models import Policy
    from workqueue.models import WorkItem

    if not Claim.objects.exists():  # a book seeded before claims.demo: its claims now
        started = time.perf_counter()
        with transaction.atomic():
            seed_claims(DemoContext(clients=args.clients, seed=1, write=print))
        print(f"claims seeded in {time.perf_counter() - started:.1f} s")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    load = ", ".join(f"{n:.1f}" for n in os.getloadavg())
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load average {load} "
          f"({os.cpu_count()} cores)")  # fmt: skip
    statuses = dict(Claim.objects.values("status").annotate(n=Count("pk")).values_list(
        "status", "n"))  # fmt: skip
    print(
        f"dataset: {Policy.objects.count():,} policies, {sum(statuses.values()):,} claims "
        f"({', '.join(f'{s} {n:,}' for s, n in sorted(statuses.items()))}), "
        f"{Claim.objects.exclude(escalated_at=None).count():,} escalated"
    )

    now = timezone.now()
    with transaction.atomic():
        policies = list(Policy.objects.exclude(agent=None).order_by("pk")[: args.backlog])
        backlog = [
            Claim(
                policy=p, agent_id=p.agent_id, reported_by_id=p.agent_id,
                reported_at=now - timedelta(minutes=30 + i % 120), occurred_at=now,
                place="Bench", kind=ClaimKind.COLLISION, reporter_name="Bench",
                status=ClaimStatus.REPORTED, status_changed_at=now, currency=p.currency,
                contact_due_at=now - timedelta(minutes=30 + i % 120) + CONTACT_WITHIN,
            )
            for i, p in enumerate(policies)
        ]  # fmt: skip
        Claim.objects.bulk_create(backlog, batch_size=1000)
        print(f"\nescalation sweep ({len(backlog)} claims past their 10 minutes; rolled back):")
        # One claim, then the backlog as the beat clears it (a run a minute, each at the
        # sweep's own limit), then once more with nothing left.
        runs = []

        def sweep(label, limit=None):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                escalated = claims_escalate_due(now=now, **({"limit": limit} if limit else {}))
                elapsed = time.perf_counter() - started
            runs.append((label, elapsed, len(queries.captured_queries), escalated))
            return escalated

        sweep("one", limit=1)
        while sweep("run"):
            pass
        for label, elapsed, n, escalated in runs:
            per = f"{n / escalated:6.2f} per claim" if escalated else ""
            print(f"  {label:<5} {elapsed:6.2f} s  queries {n:5d} {per}  escalated {escalated}")
        busy = [run for run in runs if run[3]]
        print(f"  total {sum(r[1] for r in busy):6.2f} s for {sum(r[3] for r in busy)} claims in "
              f"{len(busy)} runs")  # fmt: skip
        assert len({n for _, _, n, escalated in busy}) == 1, "a fixed number of queries a run"
        ids = [claim.pk for claim in backlog]
        items = WorkItem.objects.filter(kind=ESCALATION_KIND, subject_id__in=ids)
        flagged = Claim.objects.filter(pk__in=ids, escalated_at=now).count()
        assert items.count() == len(ids) == flagged, "each claim escalated once"
        mails = Message.objects.filter(template="claim_escalated", created_at__gte=now).count()
        print(f"  {len(ids)} items in the maintainers' queue, {mails} e-mails to managers queued")
        transaction.set_rollback(True)

    admin = User.objects.get(username="admin")
    manager = User.objects.filter(groups__name="manager", managed_teams__isnull=False).first()
    today = timezone.localdate()
    year = f"start={today - timedelta(days=365)}&end={today}"
    url = reverse("reports:report", args=["claims"])
    listed = reverse("reports:claims_list")

    def measure(who, label, address):
        page_measure(who, label, address, runs=args.runs, width=44)

    print("\nClaims view (the last 12 months):")
    measure(admin, "claims view (admin)", f"{url}?{year}")
    for by in ("line", "kind", "agent", "team"):
        measure(admin, f"claims view by {by} (admin)", f"{url}?{year}&by={by}")
    measure(admin, "claims view, thefts only (admin)", f"{url}?{year}&kind=theft")
    measure(admin, "claims view .xlsx (admin)", f"{url}?{year}&export=xlsx")
    if manager is not None:
        measure(manager, f"claims view ({manager.username})", f"{url}?{year}")
    measure(admin, "list: contacted late (admin)", f"{listed}?{year}&show=late")
    measure(admin, "list: open over 90 days (admin)", f"{listed}?{year}&show=open&age=a91")


if __name__ == "__main__":
    main()
