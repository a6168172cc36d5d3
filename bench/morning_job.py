"""The renewal morning job at real size.

Runs the job on the benchmark database `cartera_bench` (build it first with
`bench/seed_demo.py --clients 500000`, about a million policies) for today, then again for the
same day (the idempotent re-run) and for the next day, printing each run's time, query count
and what it created. The job's query count must not grow with the number of policies.

    .venv/bin/python bench/morning_job.py
"""

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cartera_bench")


def main() -> None:
    env = {**os.environ, "DEBUG": "1", "DATABASE_URL": DB_URL}
    env.pop("REDIS_URL", None)
    subprocess.run([sys.executable, str(ROOT / "manage.py"), "migrate", "-v0"], env=env, check=True)
    os.environ.update({"DEBUG": "1", "DATABASE_URL": DB_URL})
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "brokerage.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from policies.models import Policy
    from renewals.jobs import renewals_morning_job
    from renewals.models import RenewalCase
    from workqueue.models import WorkItem

    print(
        f"dataset: {Policy.objects.count()} policies, {RenewalCase.objects.count()} cases, "
        f"{WorkItem.objects.count()} work items before"
    )
    today = timezone.localdate()
    for label, day in (
        ("today", today),
        ("today again", today),
        ("tomorrow", today + timedelta(days=1)),
    ):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            report = renewals_morning_job(day=day)
            elapsed = time.perf_counter() - started
        print(
            f"{label:<12} {elapsed:6.2f} s  queries {len(queries.captured_queries):3d}  "
            f"cases opened {report.cases_opened:6d}  items {report.total_items:6d}  "
            f"lapsed {report.policies_lapsed:5d}  handed over {report.cases_handed_over}"
        )


if __name__ == "__main__":
    main()
