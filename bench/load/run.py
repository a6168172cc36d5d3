"""Cartera's busiest hour, in one command: Locust against gunicorn and a Celery worker (issue 18).

1. The load database. A base ``cartera_load_base_<clients>_<agents>`` is built once (migrate,
   then ``seed_demo --clients N`` with the sales force sized to --agents: seed_demo's own
   sizing, 2,500 clients an agent, gives 8 agents for 20,000 clients, too few for tens of
   simulated agents, so the seeding gives each of the --agents agents its share of the book)
   and reused while present. Each run works on a fresh copy of it, ``cartera_load_run``
   (``CREATE DATABASE … TEMPLATE``: every run starts from the same book), migrated and with the
   morning jobs run for today so the agents have their call lists. The copy is dropped at the
   end (--keep-db keeps it).
2. The production setup of the README: ``DEBUG=false``, a generated ``SECRET_KEY``,
   ``collectstatic`` (into a scratch folder), gunicorn ``--workers 3 --threads 2`` on
   127.0.0.1 and a free port, a Celery worker on Redis (db 6 unless LOAD_REDIS_URL says
   otherwise; the db is flushed first).
3. Locust headless (``-u USERS -r RATE -t TIME``), bounded, stopping by itself; while it runs,
   pg_stat_activity and pg_locks are sampled every second.
4. Everything started here is stopped (also on Ctrl-C or a failure), and the report printed:
   requests/s, p50/p95/p99 per page, errors by type, 500s from gunicorn's log, the database's
   connections, lock waits and deadlocks, the slowest statements (pg_stat_statements when the
   server preloads it; it says so when not), and the CPU the machine spent elsewhere.

    .venv/bin/python bench/load/run.py [--users 20] [--rate 2] [--time 60s] [--clients 20000]
        [--agents 50] [--workers 3] [--threads 2] [--managers N] [--import-after 30]
        [--import-rows 200] [--rebuild] [--keep-db]

The logs (gunicorn, worker, Locust's CSV files) stay in the folder it prints.
"""

import argparse
import csv
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent.parent
BIN = Path(sys.executable).parent
SERVER = os.environ.get("LOAD_DATABASE_SERVER", "postgres://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("LOAD_REDIS_URL", "redis://127.0.0.1:6379/6")
RUN_DB = "cartera_load_run"
BASE_DONE = "cartera load base: complete"
SLOW_LIMIT = 10


def admin_connection():
    return psycopg.connect(f"{SERVER}/postgres", autocommit=True)


def django_env(database: str, **extra) -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "brokerage.settings",
        "DATABASE_URL": f"{SERVER}/{database}",
        "DEBUG": "false",
        "SECRET_KEY": extra.pop("SECRET_KEY", "load-prepare-" + secrets.token_urlsafe(40)),
        "EMAIL_URL": "consolemail://",
    }
    env.pop("REDIS_URL", None)  # preparation: tasks run in the process
    env.update(extra)
    return env


def manage(database: str, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args], env=django_env(database), cwd=ROOT,
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return result.stdout


SEED = """
import django
django.setup()
import brokerage.accounts.demo as people
people.CLIENTS_PER_AGENT = max(1, {clients} // {agents})
from django.core.management import call_command
call_command("seed_demo", clients={clients})
"""


def prepare_base(clients: int, agents: int, rebuild: bool) -> str:
    """The seeded base (built once per size; a half-built one is built again)."""
    base = f"cartera_load_base_{clients}_{agents}"
    with admin_connection() as conn:
        row = conn.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            [base],
        ).fetchone()
        if row and row[0] == BASE_DONE and not rebuild:
            print(f"load database: {base} (reused)")
            return base
        conn.execute(f'DROP DATABASE IF EXISTS "{base}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{base}"')
    print(f"load database: building {base} ({clients} clients, {agents} agents)…", flush=True)
    started = time.monotonic()
    manage(base, "migrate", "-v0")
    subprocess.run(
        [sys.executable, "-c", SEED.format(clients=clients, agents=agents)],
        env=django_env(base), cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    with admin_connection() as conn:
        conn.execute(f"COMMENT ON DATABASE \"{base}\" IS '{BASE_DONE}'")
    print(f"  built in {time.monotonic() - started:.0f} s")
    return base


def prepare_run(base: str) -> None:
    """A fresh copy of the base, migrated, with today's morning jobs run."""
    with admin_connection() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{RUN_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{RUN_DB}" TEMPLATE "{base}"')
    manage(RUN_DB, "migrate", "-v0")
    started = time.monotonic()
    out = manage(RUN_DB, "run_morning_jobs")
    handed = next((line for line in out.splitlines() if line.startswith("distribution")), "")
    print(f"morning jobs: {time.monotonic() - started:.1f} s; {handed}")


def people(conn) -> tuple[list[str], list[str], dict]:
    """The agents holding open items due today (busiest first), the managers, and the spread
    of the agents' call lists."""
    rows = conn.execute(
        """SELECT u.username, count(*) FROM workqueue_workitem w
           JOIN accounts_user u ON u.id = w.agent_id
           WHERE w.queue = 'agent' AND w.status = 'open' AND w.due_on <= current_date
             AND u.is_active
           GROUP BY u.username ORDER BY count(*) DESC, u.username"""
    ).fetchall()
    managers = [
        name
        for (name,) in conn.execute(
            """SELECT u.username FROM accounts_user u
               JOIN accounts_user_groups ug ON ug.user_id = u.id
               JOIN auth_group g ON g.id = ug.group_id
               WHERE g.name = 'manager' AND u.is_active ORDER BY u.username"""
        ).fetchall()
    ]
    counts = [n for _name, n in rows]
    spread = {
        "agents": len(rows),
        "median": statistics.median(counts) if counts else 0,
        "max": max(counts, default=0),
        "total": sum(counts),
    }
    return [name for name, _n in rows], managers, spread


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Processes:
    """What this script starts, each in its own process group, all stopped by stop()."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.started: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, args: list[str], env: dict) -> subprocess.Popen:
        log = open(self.folder / f"{name}.log", "w")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(
            args, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.started.append((name, proc))
        return proc

    def stop(self) -> None:
        for _name, proc in reversed(self.started):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for _name, proc in reversed(self.started):
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def cpu_seconds(pid: int) -> float:
    """User and system CPU of a process and its waited-for children (from /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    return sum(int(f) for f in fields[11:15]) / ticks  # utime stime cutime cstime


def group_cpu(pgid: int) -> float:
    """CPU seconds of every live process in a process group (gunicorn's master and workers)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.getpgid(int(entry.name)) == pgid:
                    total += cpu_seconds(int(entry.name))
            except (ProcessLookupError, PermissionError):
                continue
    return total


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU ticks of the whole machine since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


class Sampler(threading.Thread):
    """Every second: the run database's connections (by state), the sessions waiting on a
    lock, and the locks not granted."""

    def __init__(self):
        super().__init__(daemon=True)
        self.halt = threading.Event()
        self.samples: list[dict] = []
        self.waiting_queries: dict[str, int] = {}

    def run(self):
        with psycopg.connect(f"{SERVER}/{RUN_DB}", autocommit=True) as conn:
            while not self.halt.wait(1.0):
                rows = conn.execute(
                    """SELECT state, wait_event_type, left(query, 160) FROM pg_stat_activity
                       WHERE datname = %s AND pid <> pg_backend_pid()""",
                    [RUN_DB],
                ).fetchall()
                ungranted = conn.execute(
                    """SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database
                       WHERE NOT l.granted AND d.datname = %s""",
                    [RUN_DB],
                ).fetchone()[0]
                waiting = [q for _s, w, q in rows if w == "Lock"]
                for q in waiting:
                    self.waiting_queries[q] = self.waiting_queries.get(q, 0) + 1
                self.samples.append({
                    "connections": len(rows),
                    "active": sum(1 for s, _w, _q in rows if s == "active"),
                    "idle_in_tx": sum(1 for s, _w, _q in rows if s and "transaction" in s),
                    "lock_waits": len(waiting),
                    "ungranted": ungranted,
                })  # fmt: skip


def stat_statements(conn) -> bool:
    """Whether pg_stat_statements works here (preloaded by the server), reset for the run."""
    preload = conn.execute("SHOW shared_preload_libraries").fetchone()[0]
    if "pg_stat_statements" not in preload:
        return False
    try:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        conn.execute("SELECT pg_stat_statements_reset()")
    except psycopg.Error:
        return False
    return True


def deadlocks(conn) -> int:
    return conn.execute(
        "SELECT deadlocks FROM pg_stat_database WHERE datname = %s", [RUN_DB]
    ).fetchone()[0]


def wait_for_health(url: str, proc: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("gunicorn exited before serving (see gunicorn.log)")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"gunicorn did not answer /healthz in {timeout:.0f} s")


def server_errors(log: Path) -> list[str]:
    """The first lines of each error gunicorn's Django logged (a 500's traceback), counted."""
    found: dict[str, int] = {}
    lines = log.read_text(errors="replace").splitlines() if log.exists() else []
    for n, line in enumerate(lines):
        if " ERROR " in line or "[CRITICAL]" in line or "Traceback" in line:
            if "Traceback" in line:
                tail = next((t for t in lines[n + 1 : n + 200] if not t.startswith(" ")), line)
                key = tail.strip()
            else:
                key = line.split(" ERROR ", 1)[-1].strip()
            found[key] = found.get(key, 0) + 1
    return [f"{n} × {key}" for key, n in sorted(found.items(), key=lambda kv: -kv[1])]


def read_csv(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def report(folder: Path, seconds: float, sampler: Sampler, extra: dict) -> None:
    stats = read_csv(folder / "locust_stats.csv")
    failures = read_csv(folder / "locust_failures.csv")
    print()
    print(f"== Locust: {extra['users']} users, {extra['time']} ({seconds:.0f} s measured) ==")
    columns = ("requests", 8), ("fails", 5), ("req/s", 6), ("p50", 6), ("p95", 6), ("p99", 6)
    print(f"{'page':<34} " + " ".join(f"{c:>{w}}" for c, w in columns) + "   (ms)")
    for row in stats:
        name = "all requests" if row["Name"] == "Aggregated" else row["Name"]
        print(
            f"{name[:34]:<34} {row['Request Count']:>8} {row['Failure Count']:>5} "
            f"{float(row['Requests/s']):>6.1f} {row['50%']:>6} {row['95%']:>6} {row['99%']:>6}"
        )
    print()
    if failures:
        print("errors:")
        for row in sorted(failures, key=lambda r: -int(r["Occurrences"])):
            print(f"  {row['Occurrences']:>5} × {row['Method']} {row['Name']}: {row['Error']}")
    else:
        print("errors: none")
    errors = server_errors(folder / "gunicorn.log") + server_errors(folder / "worker.log")
    print("server errors logged (gunicorn, worker): " + ("none" if not errors else ""))
    for line in errors[:10]:
        print(f"  {line}")

    samples = sampler.samples or [
        {"connections": 0, "active": 0, "idle_in_tx": 0, "lock_waits": 0, "ungranted": 0}
    ]
    print()
    print(f"== PostgreSQL ({len(sampler.samples)} samples, one a second) ==")
    for key, label in (
        ("connections", "connections to the database"),
        ("active", "  of which running a statement"),
        ("idle_in_tx", "  of which idle in a transaction"),
        ("lock_waits", "sessions waiting on a lock"),
        ("ungranted", "locks not granted"),
    ):
        values = [s[key] for s in samples]
        print(f"{label:<36} max {max(values):>3}   mean {statistics.fmean(values):5.1f}")
    print(f"deadlocks during the run: {extra['deadlocks']}")
    for query, n in sorted(sampler.waiting_queries.items(), key=lambda kv: -kv[1])[:5]:
        print(f"  waited on a lock in {n} samples: {query}")
    if extra["statements"] is None:
        print(
            "slowest statements: pg_stat_statements is not available (the server does not "
            "preload it: shared_preload_libraries = 'pg_stat_statements' and a restart)"
        )
    else:
        print(f"slowest statements (pg_stat_statements, top {SLOW_LIMIT} by total time):")
        for calls, total, mean, query in extra["statements"]:
            flat = " ".join(query.split())[:140]
            print(f"  {total:8.0f} ms total  {mean:7.1f} ms mean  {calls:6d} calls  {flat}")

    print()
    print("== CPU over the run (2 cores = 200 %) ==")
    span = extra["wall"]
    print(f"machine busy: {extra['machine_busy'] * 100:.0f} % of all cores")
    served = sum(int(r["Request Count"]) for r in stats if r["Name"] == "Aggregated")
    if served:
        print(
            f"gunicorn CPU per request: {extra['gunicorn_cpu'] / served * 1000:.0f} ms "
            f"(so about {served / extra['gunicorn_cpu']:.0f} requests/s a core could serve "
            "with this mix, the database's own CPU apart)"
        )
    for label, key in (("gunicorn", "gunicorn_cpu"), ("Locust", "locust_cpu"),
                       ("Celery worker", "worker_cpu")):  # fmt: skip
        print(f"{label:<14} {extra[key]:6.1f} s CPU = {extra[key] / span * 100:5.0f} % of one core")
    print(f"load average before the run: {extra['loadavg']}")
    print(f"logs and Locust's CSV files: {folder}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--rate", type=float, default=None, help="users started a second")
    parser.add_argument("--time", default="60s", help="Locust's --run-time (60s, 2m)")
    parser.add_argument("--clients", type=int, default=20_000)
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--managers", type=int, default=None, help="simulated managers")
    parser.add_argument("--import-after", type=float, default=30, help="seconds; -1: no import")
    parser.add_argument("--import-rows", type=int, default=200)
    parser.add_argument("--rebuild", action="store_true", help="build the base database again")
    parser.add_argument("--keep-db", action="store_true", help=f"keep {RUN_DB} afterwards")
    args = parser.parse_args()
    rate = args.rate or max(1.0, args.users / 10)
    managers = args.managers if args.managers is not None else max(1, args.users // 10)

    folder = Path(tempfile.mkdtemp(prefix="cartera_load_"))
    processes = Processes(folder)
    # Ctrl-C and a plain kill both end in the finally below (even when started in the
    # background, where the shell leaves SIGINT ignored).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    sampler = None
    try:
        base = prepare_base(args.clients, args.agents, args.rebuild)
        prepare_run(base)
        with psycopg.connect(f"{SERVER}/{RUN_DB}", autocommit=True) as conn:
            agents, manager_names, spread = people(conn)
        if not agents:
            print("no agent holds an open item due today: nothing to load")
            return 1
        print(
            f"call lists: {spread['total']} open items due for {spread['agents']} agents "
            f"(median {spread['median']:.0f}, most {spread['max']})"
        )

        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = django_env(
            RUN_DB, SECRET_KEY=secrets.token_urlsafe(50), REDIS_URL=REDIS_URL,
            ALLOWED_HOSTS="127.0.0.1", STATIC_ROOT=str(folder / "static"),
            MEDIA_ROOT=str(folder / "media"), LOG_LEVEL="WARNING",
        )  # fmt: skip
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
            env=env, cwd=ROOT, check=True,
        )  # fmt: skip
        subprocess.run(
            [sys.executable, "-c", "import redis, sys; redis.Redis.from_url(sys.argv[1]).flushdb()",
             REDIS_URL], check=True,
        )  # fmt: skip
        gunicorn = processes.start(
            "gunicorn",
            [str(BIN / "gunicorn"), "brokerage.wsgi", "--bind", f"127.0.0.1:{port}",
             "--workers", str(args.workers), "--threads", str(args.threads), "--timeout", "60",
             # Longer than a user's think time: gunicorn's default (2 s) closes idle
             # connections that Locust, like a proxy's upstream pool, then reuses (a reset).
             "--keep-alive", "30"],
            env,
        )  # fmt: skip
        worker = processes.start(
            "worker",
            [str(BIN / "celery"), "-A", "brokerage", "worker", "--loglevel=WARNING",
             "--concurrency", "1"],
            env,
        )  # fmt: skip
        wait_for_health(url, gunicorn)
        print(
            f"gunicorn: {url}, {args.workers} workers × {args.threads} threads, DEBUG off; "
            f"Celery worker on {REDIS_URL}"
        )

        loadavg = " ".join(Path("/proc/loadavg").read_text().split()[:3])
        with psycopg.connect(f"{SERVER}/{RUN_DB}", autocommit=True) as conn:
            has_statements = stat_statements(conn)
            deadlocks_before = deadlocks(conn)
        locust_env = {
            **os.environ,
            "LOAD_AGENTS": ",".join(agents),
            "LOAD_MANAGERS": ",".join(manager_names),
            "LOAD_MANAGER_USERS": str(managers),
            "LOAD_MAINTAINER": "" if args.import_after < 0 else "maintainer",
            "LOAD_IMPORT_AFTER": str(max(0, args.import_after)),
            "LOAD_IMPORT_ROWS": str(args.import_rows),
        }
        importing = (
            f"1 maintainer importing after {args.import_after:g} s, "
            if args.import_after >= 0
            else ""
        )
        print(
            f"Locust: {args.users} users ({managers} managers, {importing}the rest agents), "
            f"{rate:g} started a second, for {args.time}…",
            flush=True,
        )
        sampler = Sampler()
        sampler.start()
        busy0, total0 = machine_busy()
        cpu0 = {"gunicorn": group_cpu(gunicorn.pid), "worker": group_cpu(worker.pid)}
        started = time.monotonic()
        locust = processes.start(
            "locust",
            [str(BIN / "locust"), "-f", str(Path(__file__).with_name("locustfile.py")),
             "--headless", "-u", str(args.users), "-r", str(rate), "-t", args.time,
             "--host", url, "--csv", str(folder / "locust"), "--only-summary",
             "--stop-timeout", "30", "--exit-code-on-error", "0"],
            locust_env,
        )  # fmt: skip
        locust_cpu = 0.0
        while locust.poll() is None:
            locust_cpu = max(locust_cpu, cpu_seconds(locust.pid))
            time.sleep(0.5)
        wall = time.monotonic() - started
        busy1, total1 = machine_busy()
        sampler.halt.set()
        sampler.join()
        extra = {
            "users": args.users,
            "time": args.time,
            "wall": wall,
            "loadavg": loadavg,
            "machine_busy": (busy1 - busy0) / max(1, total1 - total0),
            "gunicorn_cpu": group_cpu(gunicorn.pid) - cpu0["gunicorn"],
            "worker_cpu": group_cpu(worker.pid) - cpu0["worker"],
            "locust_cpu": locust_cpu,
        }
        with psycopg.connect(f"{SERVER}/{RUN_DB}", autocommit=True) as conn:
            extra["deadlocks"] = deadlocks(conn) - deadlocks_before
            extra["statements"] = (
                conn.execute(
                    """SELECT calls, total_exec_time, mean_exec_time, query
                       FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
                       WHERE d.datname = %s ORDER BY total_exec_time DESC LIMIT %s""",
                    [RUN_DB, SLOW_LIMIT],
                ).fetchall()
                if has_statements
                else None
            )
        if locust.returncode not in (0, None):
            print(f"Locust exited with {locust.returncode} (see {folder / 'locust.log'})")
        report(folder, wall, sampler, extra)
        return 0
    except KeyboardInterrupt:
        print("\ninterrupted: stopping what was started")
        return 130
    finally:
        if sampler is not None:
            sampler.halt.set()
            sampler.join()
        processes.stop()
        if not args.keep_db:
            with admin_connection() as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{RUN_DB}" WITH (FORCE)')


if __name__ == "__main__":
    sys.exit(main())
