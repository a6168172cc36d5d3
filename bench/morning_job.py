"""The whole morning run at real size, part by part.

Runs the morning run (the beat task's and ``manage.py run_morning_jobs``' work) on the benchmark
database `cartera_bench` (build it first with `bench/seed_demo.py --clients 500000`, about a
million policies; another database: `BENCH_DATABASE_URL=postgres://…/name`) on a first day (the
book's today), again the same day (the re-run: it must do nothing, and know it at once), again
with ``force`` (every part done again), on the next day and again that day, and prints for each
part its time and query count: the renewals, the catch-up of unplanned instalments, the
payments, the service touches, the hand-out of the items nobody owns (the distribution), and
the beat's sweeps beside the morning (the claims not contacted in 10 minutes, the orphan
policies' service cases).

Every round runs in one transaction rolled back at the end, so the bench always times a first
morning on the seeded book and can be repeated: ``--runs N`` rounds, medians printed. The
messages the run queues are sent by the outbox's task after a commit: the rollback leaves them
out of these figures.

    .venv/bin/python bench/morning_job.py [--runs 3] [--explain] [--top 5] [--until RUN]
        [--no-rollups]

The deferred foreign-key checks that the real run pays at each part's commit are fired after
each run and counted in its time ("checks at commit"). ``--until "first day"`` stops each
round after that run (the first day alone, the catch-up of a fresh book); ``--no-rollups``
disables the reports' statement-level rollup triggers on the cases' and work items' tables
inside the round's transaction, to measure their share.

``--explain`` prints, after the timings, ``EXPLAIN (ANALYZE, BUFFERS)`` of the slowest statements
of the first round's next day (``--explain-in`` another run; each is explained in a savepoint
rolled back, then run for real, in one more round whose timings are not printed). Target
(issue 18): the whole morning run within 10 s at a million policies with a fixed number of
queries, and a same-day re-run well under a second.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cartera_bench")


def setup() -> None:
    env = {**os.environ, "DEBUG": "1", "DATABASE_URL": DB_URL}
    env.pop("REDIS_URL", None)
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0", "--skip-checks"], env=env, check=True, cwd=ROOT)
    os.environ.update({"DEBUG": "1", "DATABASE_URL": DB_URL})
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "brokerage.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


class Recorder:
    """Times each part and keeps its statements (with their times) for the round."""

    def __init__(self):
        self.parts: list[tuple[str, float, int]] = []
        self.statements: list[tuple[float, str, str, object]] = []  # (s, part, sql, params)
        self._part = ""

    @contextmanager
    def part(self, name: str):
        from django.db import connection

        self._part = name
        count = 0

        def wrapper(execute, sql, params, many, context):
            nonlocal count
            count += 1
            started = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                if not many:
                    elapsed = time.perf_counter() - started
                    self.statements.append((elapsed, name, sql, params))

        started = time.perf_counter()
        with connection.execute_wrapper(wrapper):
            yield
        self.parts.append((name, time.perf_counter() - started, count))


def _explainer(targets: set[str]):
    """An execute wrapper that explains (ANALYZE, BUFFERS) the statements whose SQL is in
    ``targets`` in a savepoint rolled back, then runs them for real."""
    from django.db import connection

    done: set[str] = set()

    def wrapper(execute, sql, params, many, context):
        explainable = sql.lstrip().split(None, 1)[0].upper() in (
            "SELECT", "INSERT", "UPDATE", "DELETE", "WITH"
        )
        if many or not explainable or sql not in targets or sql in done:
            return execute(sql, params, many, context)
        done.add(sql)
        raw = connection.connection.cursor()
        raw.execute("SAVEPOINT bench_explain")
        raw.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        plan = "\n".join(f"    {row[0]}" for row in raw.fetchall())
        raw.execute("ROLLBACK TO SAVEPOINT bench_explain")
        raw.execute("RELEASE SAVEPOINT bench_explain")
        print(f"\n--- {' '.join(sql.split())[:300]}\n{plan}")
        return execute(sql, params, many, context)

    return wrapper


def morning(day, now, recorder: Recorder, *, force: bool = False):
    """The morning run as the beat task runs it, each part measured."""
    from workqueue.distribution import distribution_run

    try:
        from renewals.morning import morning_run
    except ImportError:  # the code before the run record (issue 18)
        _morning_parts(day, now, recorder)
    else:
        run = morning_run(day=day, now=now, force=force, around=recorder.part)
        if run.did_nothing:  # as the beat task and the command: nothing new to hand out
            return
    with recorder.part("distribution"):
        distribution_run(day=day, now=now)


def _morning_parts(day, now, recorder: Recorder):
    from billing.jobs import collections_morning_job
    from billing.services import instalments_plan_catch_up
    from renewals.jobs import renewals_morning_job
    from touches.jobs import touches_morning_job

    with recorder.part("renewals"):
        renewals_morning_job(day=day, now=now)
    with recorder.part("instalments plan"):
        instalments_plan_catch_up()
    with recorder.part("payments"):
        collections_morning_job(day=day, now=now)
    with recorder.part("touches"):
        touches_morning_job(day=day, now=now)


def sweeps(now, recorder: Recorder) -> None:
    """The beat's sweeps beside the morning run."""
    from claims.services import claims_escalate_due
    from servicing.services import service_cases_open_orphans

    with recorder.part("sweep: claims"):
        claims_escalate_due(now=now)
    with recorder.part("sweep: orphans"):
        service_cases_open_orphans(now=now)


CHECKS = "checks at commit"


def checks_at_commit(recorder: Recorder) -> None:
    """The deferred foreign-key checks of the rows the run wrote: the real run pays them as each
    part commits, the bench's round never commits (it rolls back), so they are fired here, by
    setting the constraints immediate, and counted in the run's time (not in its queries: these
    two statements are the bench's)."""
    from django.db import connection

    with recorder.part(CHECKS), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


SCENARIOS = ("first day", "same day again", "same day forced", "next day", "next day again")


def _rollups_off(connection) -> None:
    """Disable, in the round's transaction (rolled back), the reports' statement-level rollup
    triggers on the cases' and work items' tables, to measure their share of the run."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
            " WHERE t.tgname LIKE 'pgtrigger_%%rollup%%' AND NOT t.tgisinternal"
        )
        for table, trigger in cursor.fetchall():
            cursor.execute(f'ALTER TABLE "{table}" DISABLE TRIGGER "{trigger}"')


def one_round(
    explain: set[str] | None = None, explain_in: str = "", until: str = "", rollups: bool = True
) -> dict[str, Recorder]:
    from django.db import connection, transaction
    from django.utils import timezone

    from touches.jobs import morning_now

    today = timezone.localdate()
    tomorrow = today + timedelta(days=1)
    rounds: dict[str, Recorder] = {}
    with transaction.atomic():
        if not rollups:
            _rollups_off(connection)
        for label, day, now, force in zip(
            SCENARIOS,
            (today, today, today, tomorrow, tomorrow),
            (timezone.now(), timezone.now(), timezone.now(), morning_now(tomorrow),
             morning_now(tomorrow) + timedelta(minutes=5)),
            (False, False, True, False, False),
            strict=True,
        ):  # fmt: skip
            wrappers = [_explainer(explain)] if explain and label == explain_in else []
            with _wrapped(connection, wrappers):
                recorder = Recorder()
                morning(day, now, recorder, force=force)
                checks_at_commit(recorder)
                sweeps(now, recorder)
                rounds[label] = recorder
            if label == until:
                break
        transaction.set_rollback(True)
    return rounds


@contextmanager
def _wrapped(connection, wrappers):
    if not wrappers:
        yield
        return
    with connection.execute_wrapper(wrappers[0]):
        yield


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--top", type=int, default=5, help="statements shown and explained")
    parser.add_argument(
        "--explain-in", default="next day", choices=SCENARIOS, help="the run whose are explained"
    )
    parser.add_argument("--until", default="", choices=SCENARIOS, help="the last run of a round")
    parser.add_argument(
        "--no-rollups", action="store_true",
        help="the reports' rollup triggers disabled in the round (their share of the run)",
    )  # fmt: skip
    args = parser.parse_args()
    setup()
    from policies.models import Policy
    from renewals.models import RenewalCase
    from workqueue.models import WorkItem

    print(
        f"dataset: {Policy.objects.count()} policies, {RenewalCase.objects.count()} cases, "
        f"{WorkItem.objects.count()} work items; load average {os.getloadavg()[0]:.2f}"
    )
    results: dict[str, dict[str, list[tuple[float, int]]]] = {}
    slowest: dict[str, list] = {}
    for number in range(args.runs):
        rounds = one_round(until=args.until, rollups=not args.no_rollups)
        for label, recorder in rounds.items():
            for name, seconds, queries in recorder.parts:
                results.setdefault(label, {}).setdefault(name, []).append((seconds, queries))
            if number == 0:
                slowest[label] = sorted(recorder.statements, key=lambda row: -row[0])
        totals = {
            label: sum(s for name, s, _ in r.parts if not name.startswith("sweep"))
            for label, r in rounds.items()
        }
        print(
            f"round {number + 1}: "
            + ", ".join(f"{label} {seconds:.2f} s" for label, seconds in totals.items())
            + f"; load average {os.getloadavg()[0]:.2f}"
        )
    print(f"\nmedians of {args.runs} rounds (time, queries):")
    for label, parts in results.items():
        morning_total = statistics.median(
            sum(runs[i][0] for name, runs in parts.items() if not name.startswith("sweep"))
            for i in range(args.runs)
        )
        morning_queries = sum(
            runs[0][1] for name, runs in parts.items()
            if not name.startswith("sweep") and name != CHECKS
        )  # fmt: skip
        print(f"{label:<15} morning run {morning_total:7.3f} s  queries {morning_queries:4d}")
        for name, runs in parts.items():
            seconds = statistics.median(s for s, _ in runs)
            queries = sorted({q for _, q in runs})
            shown = "/".join(str(q) for q in queries)
            print(f"    {name:<20} {seconds:7.3f} s  queries {shown}")
    for label, statements in slowest.items():
        print(f"\nslowest statements of round 1, {label} (of {len(statements)}):")
        for seconds, part, sql, _params in statements[: args.top]:
            print(f"  {seconds:6.3f} s  {part:<18} {' '.join(sql.split())[:140]}")
    if args.explain:
        targets = {sql for _, _, sql, _ in slowest[args.explain_in][: args.top]}
        print(f"\nEXPLAIN ANALYZE of the slowest statements of {args.explain_in}:")
        one_round(explain=targets, explain_in=args.explain_in, until=args.explain_in,
                  rollups=not args.no_rollups)  # fmt: skip


if __name__ == "__main__":
    main()
