"""Build the benchmark book at real size: `cartera_big`, about a million policies.

    .venv/bin/python bench/big_book.py                 # build cartera_big (drops it first)
    .venv/bin/python bench/big_book.py --copy mine     # a fresh copy: cartera_big_mine

Seeding a million policies with `seed_demo` takes hours; this seeds a modest book with the
real `seed_demo` (10,000 clients: four agents, about 23,500 policies) and multiplies it in SQL
(`brokerage.core.book_multiply`: one INSERT … SELECT per table, new ids per copy, foreign keys
moved inside each copy, unique and searched values varied, each copy its own team of agents)
until it holds at least `--policies` policies, then VACUUM ANALYZE, and checks that every
foreign key points at a row. It prints the time of each phase and the rows per table.

`cartera_big` is left in place as a template: `--copy NAME` makes a copy (`cartera_big_NAME`,
about 30 s) to run something that writes (the morning job) without spoiling the book for
others. A copy needs nobody connected to `cartera_big`.
"""

import argparse
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
PROTECTED = {"cartera", "postgres", "root"}
# What seed_demo prints per step (the rest is the console e-mail backend's output).
SEED_STEPS = (
    "people:",
    "clients:",
    "policies:",
    "renewal history:",
    "instalments:",
    "payment history:",
    "claims:",
    "touches:",
    "prospects:",
    "servicing:",
    "Demo data loaded",
)


def refuse(name: str) -> str | None:
    if name in PROTECTED or name.startswith("template"):
        return f"refusing to drop {name!r}"
    return None


def recreate(server: str, name: str, template: str | None = None) -> None:
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
        conn.execute(drop.format(sql.Identifier(name)))
        if template:
            conn.execute(
                # FILE_COPY: a checkpoint and a copy of the files (about 30 s for the 7.7 GB
                # book) rather than the whole book written through the WAL.
                sql.SQL("CREATE DATABASE {} TEMPLATE {} STRATEGY FILE_COPY").format(
                    sql.Identifier(name), sql.Identifier(template)
                )
            )
        else:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


class Phases:
    def __init__(self):
        self.started = time.monotonic()
        self.times: list[tuple[str, float]] = []

    def run(self, label: str, step):
        print(f"== {label}", flush=True)
        started = time.monotonic()
        result = step()
        elapsed = time.monotonic() - started
        self.times.append((label, elapsed))
        print(f"== {label}: {elapsed:.1f} s", flush=True)
        return result

    def report(self) -> None:
        print("\nphases:")
        for label, elapsed in self.times:
            print(f"  {label:<28} {elapsed:8.1f} s")
        print(f"  {'total':<28} {time.monotonic() - self.started:8.1f} s")


def seed(url: str, clients: int, seed_value: int, log: Path) -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "brokerage.settings"}
    env.update(DEBUG="1", DATABASE_URL=url)
    env.pop("REDIS_URL", None)  # Celery tasks run eagerly
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=env, cwd=ROOT, check=True)
    command = [*manage, "seed_demo", "--clients", str(clients), "--seed", str(seed_value)]
    with log.open("w") as out:
        done = subprocess.run(command, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    for line in log.read_text().splitlines():
        if line.startswith(SEED_STEPS):
            print(f"  {line}")
    if done.returncode:
        sys.exit(f"seed_demo failed (exit {done.returncode}); its output is in {log}")


def django_setup(url: str) -> None:
    os.environ.update(DEBUG="1", DATABASE_URL=url, DJANGO_SETTINGS_MODULE="brokerage.settings")
    os.environ.pop("REDIS_URL", None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def multiply(factor: int) -> dict:
    from django.db import transaction

    from brokerage.core.book_multiply import book_multiply

    print(f"  {factor} copies of the book")
    with transaction.atomic():
        return book_multiply(factor=factor, write=lambda line: print(line, flush=True))


def vacuum() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def check() -> None:
    from brokerage.core.book_multiply import book_check

    orphans = book_check()
    for name, count in orphans.items():
        print(f"  {count} rows of {name} point at no row")
    if orphans:
        sys.exit("the book is inconsistent")
    print("  every foreign key points at a row")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="cartera_big", help="dropped and recreated")
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--clients", type=int, default=10_000, help="clients seeded")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--policies", type=int, default=1_000_000, help="at least this many")
    parser.add_argument("--factor", type=int, help="copies (default: enough for --policies)")
    parser.add_argument(
        "--base", help="an already seeded database to start from instead of seeding (copied)"
    )
    parser.add_argument("--no-check", action="store_true", help="skip the foreign-key check")
    parser.add_argument(
        "--copy", metavar="NAME", help="only copy --database to <database>_NAME (dropped first)"
    )
    args = parser.parse_args()

    if args.copy:
        target = f"{args.database}_{args.copy}"
        if problem := refuse(target):
            parser.error(problem)
        started = time.monotonic()
        try:
            recreate(args.server, target, template=args.database)
        except psycopg.errors.ObjectInUse as exc:
            sys.exit(f"{exc}\nA copy needs nobody connected to {args.database}; try again.")
        print(f"{target}: copied from {args.database} in {time.monotonic() - started:.1f} s")
        print(f"DATABASE_URL={args.server}/{target}")
        return 0

    if problem := refuse(args.database):
        parser.error(problem)
    url = f"{args.server}/{args.database}"
    phases = Phases()
    if args.base:
        phases.run(f"copy {args.base}", lambda: recreate(args.server, args.database, args.base))
    else:
        phases.run("create database", lambda: recreate(args.server, args.database))
        log = Path(tempfile.gettempdir()) / f"big_book_seed_{args.database}.log"
        phases.run(
            f"seed_demo --clients {args.clients}",
            lambda: seed(url, args.clients, args.seed, log),
        )
    django_setup(url)
    from policies.models import Policy

    base = Policy.objects.count()
    if not base:
        sys.exit("the seeded book has no policies")
    factor = args.factor or max(2, math.ceil(args.policies / base))
    counts = phases.run("multiply", lambda: multiply(factor))
    phases.run("vacuum analyze", vacuum)
    if not args.no_check:
        phases.run("foreign-key check", check)

    print(f"\nrows per table ({args.database}, {factor} copies of the seeded book):")
    for table, (before, after) in sorted(counts.items(), key=lambda item: -item[1][1]):
        if after:
            print(f"  {table:<42} {before:>9,} → {after:>11,}")
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        size = cursor.fetchone()[0]
    print(f"database size {size}")
    phases.report()
    print(
        f"\n{args.database} is ready. A copy of your own (nobody connected to {args.database}):"
        f"\n  .venv/bin/python bench/big_book.py --copy NAME      # {args.database}_NAME"
        f"\n  createdb -h 127.0.0.1 -U postgres -S FILE_COPY -T {args.database} "
        f"{args.database}_NAME"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
