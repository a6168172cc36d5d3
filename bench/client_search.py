"""Client search and policy list at real size.

Builds (or reuses) the benchmark database `cartera_bench` with
`seed_demo --clients 500000` (about a million policies), then prints the median server time
and the query count of: a name search, a phone search, an ID search, a plate search, the
first client-list page and a policy-list page, as an admin (sees everything) and as an agent.
Faster than seeding 500,000 clients: `bench/big_book.py --copy NAME` and
`BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/cartera_big_NAME`.

    .venv/bin/python bench/client_search.py [--clients 500000] [--runs 15] [--rebuild]
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cartera_bench")


def prepare(clients: int, rebuild: bool) -> None:
    env = {**os.environ, "DEBUG": "1", "DATABASE_URL": DB_URL}
    env.pop("REDIS_URL", None)
    import psycopg

    admin = DB_URL.rsplit("/", 1)[0] + "/postgres"
    name = DB_URL.rsplit("/", 1)[1]
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname=%s", [name]).fetchone()
        if exists and rebuild:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True, cwd=ROOT)
    started = time.monotonic()
    result = subprocess.run(
        [*manage, "seed_demo", "--if-empty", "--clients", str(clients)],
        env=env, cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    if "not loaded" not in result.stdout:
        print(f"seeded {clients} clients in {time.monotonic() - started:.0f} s")


def setup_django() -> None:
    """Django on the benchmark database, with Celery eager and the test client allowed."""
    os.environ.update({"DEBUG": "1", "DATABASE_URL": DB_URL, "ALLOWED_HOSTS": "testserver"})
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "brokerage.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def measure(who, label: str, url: str, *, runs: int, width: int = 40) -> None:
    """Print a page's median server time over ``runs`` requests as ``who``, and its queries."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    browser = Client()
    browser.force_login(who)
    times = []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = browser.get(url)
            times.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.status_code)
    print(
        f"  {label:<{width}} median {statistics.median(times) * 1000:7.1f} ms"
        f"  queries {len(queries.captured_queries):3d}  {url}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=500_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    prepare(args.clients, args.rebuild)

    setup_django()
    from brokerage.accounts.models import User
    from clients.models import Client as Customer
    from policies.models import Vehicle

    sample = (
        Customer.objects.exclude(phone="")
        .exclude(national_id="")
        .order_by("pk")[Customer.objects.count() // 2]
    )
    vehicle = Vehicle.objects.order_by("pk").first()
    admin = User.objects.get(username="admin")
    agent = User.objects.get(username="agent")
    local_phone = sample.phone.as_national
    pages = [
        ("name search", f"/clients/?q={sample.last_name or sample.display_name[:4]}"),
        ("phone search (local form)", f"/clients/?q={local_phone}"),
        ("national ID search", f"/clients/?q={sample.national_id.lower()}"),
        ("plate search", f"/clients/?q={vehicle.plate}"),
        ("client list, first page", "/clients/"),
        ("policy list, first page", "/policies/"),
        ("policy list, ends within 30 days", "/policies/?ends_within=30&status=active"),
    ]
    from policies.models import Policy

    print(f"dataset: {Customer.objects.count()} clients, {Policy.objects.count()} policies")
    for who in (admin, agent):
        print(f"\nas {who.username}:")
        for label, url in pages:
            measure(who, label, url, runs=args.runs, width=34)


if __name__ == "__main__":
    main()
