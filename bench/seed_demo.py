"""Benchmark ``manage.py seed_demo`` on PostgreSQL.

Drops and recreates a scratch database (``cartera_bench`` unless told otherwise), migrates it,
times ``seed_demo --clients N`` and prints the row counts and rows per second:

    .venv/bin/python bench/seed_demo.py --clients 500000

The database is dropped first: never point this at a database you want to keep.
"""

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
TABLES = [
    ("clients", "clients_client"),
    ("policies", "policies_policy"),
    ("vehicles", "policies_vehicle"),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=500_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database", default="cartera_bench", help="dropped and recreated")
    parser.add_argument(
        "--server", default="postgres://postgres@127.0.0.1:5432", help="PostgreSQL server URL"
    )
    args = parser.parse_args()
    if args.database in {"cartera", "postgres", "template0", "template1"}:
        parser.error(f"refusing to drop {args.database!r}")

    with psycopg.connect(f"{args.server}/postgres", autocommit=True) as conn:
        name = sql.Identifier(args.database)
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(name))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(name))

    url = f"{args.server}/{args.database}"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "brokerage.settings"}
    env.update(DEBUG="1", DATABASE_URL=url)
    manage = [sys.executable, str(ROOT / "manage.py")]
    print(f"migrating {args.database}...", flush=True)
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=env, cwd=ROOT, check=True)

    command = [*manage, "seed_demo", "--clients", str(args.clients), "--seed", str(args.seed)]
    print(" ".join(command[1:]), flush=True)
    started = time.monotonic()
    subprocess.run(command, env=env, cwd=ROOT, check=True)
    elapsed = time.monotonic() - started

    with psycopg.connect(url) as conn:
        counts = {
            label: conn.execute(
                sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
            ).fetchone()[0]
            for label, table in TABLES
        }
        size = conn.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        size = size.fetchone()[0]
    total = sum(counts.values())
    print()
    print(f"seed_demo --clients {args.clients}: {elapsed:.1f} s (wall, including start-up)")
    for label, count in counts.items():
        print(f"  {label:<9} {count:>10,}")
    print(f"  {'total':<9} {total:>10,}  ({total / elapsed:,.0f} rows/s); database {size}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
