"""The CPU a call-list page costs the server (issue 18: ≤ 20 ms for a page of 50 items).

Uses the database in ``BENCH_DATABASE_URL`` (default ``cartera_bench_calllist``; built when
missing with ``seed_demo --clients 3000`` and the morning jobs), takes the agent holding the
most open items due today (topped up to a full page of 50 with renewal, payment and claim
items of their own clients when they hold fewer), and renders their call list with DEBUG off
(cached templates, as in production) --runs times in this process. It prints:

- the median and best CPU time of one page (``time.process_time``: Python and the database
  driver; the database server's own time is apart) and its wall time,
- the query count and the HTML's size,
- what the page does per render: URL reversals, translation look-ups, date formats, template
  includes (counted with cProfile on one extra render).

    .venv/bin/python bench/call_list.py [--runs 30] [--language en]
"""

import argparse
import cProfile
import os
import pstats
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cartera_bench_calllist"
)
PAGE = 50


def _env() -> dict:
    env = {**os.environ, "DATABASE_URL": DB_URL, "DEBUG": "false"}
    env.setdefault("SECRET_KEY", "bench-only-" + "x" * 50)
    env.pop("REDIS_URL", None)
    env.setdefault("DJANGO_SETTINGS_MODULE", "brokerage.settings")
    return env


def prepare() -> None:
    """The database (built once) and the static files' manifest, as in production."""
    import psycopg

    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run(manage + ["collectstatic", "--noinput", "-v0"], env=_env(), check=True, cwd=ROOT)

    server, name = DB_URL.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return
        conn.execute(f'CREATE DATABASE "{name}"')
    for command in (["migrate", "-v0"], ["seed_demo", "--clients", "3000"], ["run_morning_jobs"]):
        subprocess.run(
            manage + command, env=_env(), check=True, cwd=ROOT, stdout=subprocess.DEVNULL
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--language", default="en")
    args = parser.parse_args()
    prepare()
    os.environ.update(_env())
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from brokerage.accounts.models import User
    from workqueue.models import ItemStatus, Queue, WorkItem

    settings.ALLOWED_HOSTS = ["*"]
    today = timezone.localdate()
    open_items = WorkItem.objects.filter(
        queue=Queue.AGENT, status=ItemStatus.OPEN, due_on__lte=today
    )
    busiest = open_items.values("agent").annotate(n=Count("pk")).order_by("-n").first()
    if busiest is None:
        sys.exit("no agent holds an open item due today: nothing to measure")
    agent = User.objects.get(pk=busiest["agent"])
    kinds = dict(open_items.filter(agent=agent).values_list("kind").annotate(n=Count("pk")))
    client = Client()
    client.force_login(agent)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = args.language
    url = reverse("workqueue:queue")

    client.get(url, secure=True)  # warm the template cache and the connection
    cpu, wall = [], []
    for _ in range(args.runs):
        c0, w0 = time.process_time(), time.perf_counter()
        response = client.get(url, secure=True)
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    assert response.status_code == 200, response.status_code
    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        response = client.get(url, secure=True)

    profile = cProfile.Profile()
    profile.enable()
    client.get(url, secure=True)
    profile.disable()
    stats = pstats.Stats(profile).stats
    counted = {
        "URL reversals": ("django/urls/base.py", "reverse"),
        "translation look-ups": ("django/utils/translation/trans_real.py", "gettext"),
        "contextual look-ups": ("django/utils/translation/trans_real.py", "pgettext"),
        "date formats": ("django/utils/dateformat.py", "format"),
        "template includes": ("django/template/loader_tags.py", "render"),
    }
    calls = {}
    for label, (path, func) in counted.items():
        calls[label] = sum(
            s[1] for (file, _line, name), s in stats.items() if file.endswith(path) and name == func
        )

    print(
        f"call list of {agent.username}: {busiest['n']} open items due ({kinds}); "
        f"page of {min(busiest['n'], PAGE)}, language {args.language}, {args.runs} runs"
    )
    print(
        f"  CPU per page: median {statistics.median(cpu) * 1000:.1f} ms, "
        f"best {min(cpu) * 1000:.1f} ms"
    )
    print(f"  wall per page: median {statistics.median(wall) * 1000:.1f} ms")
    print(f"  queries: {len(queries)}   HTML: {len(response.content) / 1024:.0f} KB")
    for label, n in calls.items():
        print(f"  {label}: {n}")


if __name__ == "__main__":
    main()
