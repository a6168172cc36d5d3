"""The whole import of a 100,000-row expiry report, against reading the file and the alternatives.

Builds a report of N rows (default 100,000: policy, holder, RFC, phone, dates, premium, line,
VIN, plate, make, model, year) as .xlsx (kept in the temporary directory for the next run of
the same size), then prints:

- openpyxl's read-only parse of the file (just reading the cells) and python-calamine's,
- the whole import as users run it: ``manage.py import_report`` in its own process (store,
  find the header in the first rows streamed from the sheet's XML, map, read (the stream's
  rows while calamine loads the sheet beside, then calamine's), parse, classify, write
  clients, vehicles, policies and their history; each committed chunk's renewal cases,
  touches and instalments beside the next chunk; then the renewals task, which finds them
  done and lapses the ended policies: without a broker it runs inside the command, so it is
  part of the timed whole), with the commit alone, the follow-ups and the renewals job timed
  inside it, the CPU of each process and database backend, and the import process's peak
  memory (its max RSS); then the same import again on a fresh database, untimed, for the
  peak of the import and its parser process together (their PSS, sampled: the sampling
  takes CPU from what it samples, so the timed run is left alone);
- django-import-export importing the same rows into the same Policy model (on an empty table,
  with its default per-row instance loading and saving), timed on the first --iex-rows rows
  and scaled, because at full size it runs for many minutes;
- the ratios: whole import / openpyxl parse (target ≤ 1.0) and commit / openpyxl parse.

It uses its own database `cartera_bench_import` (created each run from a migrated template).
The machine's other load shows in every figure: compare runs made back to back.

    .venv/bin/python bench/import_expiry.py [--rows 100000] [--iex-rows 2000] [--no-iex]
"""

import argparse
import hashlib
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_URL = os.environ.get(
    "BENCH_IMPORT_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cartera_bench_import"
)


def _env() -> dict:
    # DEBUG off, as in production (as bench/call_list.py): with it on, Django's debug cursor
    # logged every statement of the import, its 5,000-key arrays included (0.15 s of the
    # 100,000-row import).
    env = {**os.environ, "DEBUG": "false", "DATABASE_URL": DB_URL}
    env.setdefault("SECRET_KEY", "bench-only-" + "x" * 50)
    env.pop("REDIS_URL", None)  # no broker: the tasks the import queues run in its process
    env.setdefault("DJANGO_SETTINGS_MODULE", "brokerage.settings")
    return env


def build_report(rows: int) -> Path:
    """The report (built once per size, then reused from the temporary directory)."""
    path = Path(tempfile.gettempdir()) / f"cartera_bench_import_{rows}.xlsx"
    if path.exists():
        return path
    from openpyxl import Workbook

    from policies.tests.factories import make_vin

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Vencimientos")
    sheet.append(["Reporte de vencimientos — HDI Seguros"])
    sheet.append([])
    sheet.append([
        "No. de Póliza", "Asegurado", "RFC", "Teléfono", "Inicio de vigencia",
        "Fin de vigencia", "Prima Total", "Ramo", "Número de serie", "Placas", "Marca",
        "Modelo", "Año",
    ])  # fmt: skip
    for n in range(rows):
        sheet.append([
            f"HDI-{n:07d}", f"Cliente {n} Pérez López", f"PELC{n:07d}A1",
            f"55 {1000 + n % 9000:04d} {n % 10000:04d}", "01/12/2025",
            f"{1 + n % 28:02d}/12/2026", f"${10000 + n % 5000:,}.50", "Autos", make_vin(n),
            f"P{n:06d}", "Nissan", "Versa", 2018 + n % 7,
        ])  # fmt: skip
    partial = path.with_suffix(".part")
    book.save(partial)
    partial.rename(path)
    return path


def _migrations_digest() -> str:
    digest = hashlib.sha256()
    for file in sorted(ROOT.glob("*/migrations/*.py")) + sorted(ROOT.glob("*/*/migrations/*.py")):
        digest.update(str(file.relative_to(ROOT)).encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()[:10]


def prepare_db() -> None:
    """The bench database, copied from a template migrated once per state of the migrations
    (with the insurer and the user who imports)."""
    import psycopg

    admin = DB_URL.rsplit("/", 1)[0] + "/postgres"
    name = DB_URL.rsplit("/", 1)[1]
    template = f"{name}_tpl_{_migrations_digest()}"
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [template]).fetchone()
        if not exists:
            for (old,) in conn.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE %s", [f"{name}_tpl_%"]
            ).fetchall():
                conn.execute(f'DROP DATABASE IF EXISTS "{old}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{template}_part"')
            env = {**_env(), "DATABASE_URL": f"{admin.rsplit('/', 1)[0]}/{template}_part"}
            manage = [sys.executable, str(ROOT / "manage.py")]
            subprocess.run([*manage, "migrate", "-v0"], env=env, check=True, cwd=ROOT)
            setup = (
                "from brokerage.accounts.models import User; from policies.models import Insurer; "
                "Insurer.objects.create(name='HDI Seguros', code='hdi'); "
                "User.objects.create_superuser('bench', 'bench@example.com', 'x')"
            )
            subprocess.run([*manage, "shell", "-c", setup], env=env, check=True, cwd=ROOT,
                           capture_output=True)  # fmt: skip
            conn.execute(f'ALTER DATABASE "{template}_part" RENAME TO "{template}"')
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')


def _load() -> str:
    with open("/proc/loadavg") as loadavg:
        return " ".join(loadavg.read().split()[:3])


def timed(label, fn):
    started, cpu = time.perf_counter(), time.process_time()
    result = fn()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(f"  {label:<50} {elapsed:8.2f} s  (CPU {cpu:.2f} s)", flush=True)
    return elapsed, cpu, result


def openpyxl_read(path: Path) -> int:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=True)
    try:
        return sum(1 for _row in book.worksheets[0].iter_rows(values_only=True))
    finally:
        book.close()


def calamine_read(path: Path) -> int:
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(path))
    return sum(1 for _row in book.get_sheet_by_index(0).iter_rows())


def _pss(pid: int) -> int:
    """The proportional set size of a process and its descendants, in bytes (shared pages
    counted once across them: the parser process is forked from the import's)."""
    total = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    total += int(line.split()[1]) * 1024
                    break
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as children:
                total += sum(_pss(int(child)) for child in children.read().split())
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return total


def _cpu_seconds(pid: int) -> float | None:
    """A process's CPU time (user and system), read from /proc: the import's database backend
    when PostgreSQL runs on this machine, else None."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_import(path: Path, *, sample_pss: bool) -> dict:
    """``import_report`` in a child process: its figures (JSON on its last line) and its peak
    memory (wait4's max RSS: the larger of the import's process and its parser process);
    with ``sample_pss``, also the peak of both together (their PSS summed, sampled every
    50 ms). Reading a process's PSS walks its page tables: 7 ms of CPU and 13 ms of wall per
    sample at 250 MB, about a tenth of a core taken from the import it measures on a 2-core
    machine, so the timed run is not sampled (``main`` samples a second, untimed run)."""
    with tempfile.TemporaryDirectory() as folder:
        out, err = Path(folder) / "out.txt", Path(folder) / "err.txt"
        started = time.perf_counter()
        peak_pss = 0
        with out.open("w") as stdout, err.open("w") as stderr:
            child = subprocess.Popen(
                [sys.executable, __file__, "--child", str(path)],
                env=_env(), cwd=ROOT, stdout=stdout, stderr=stderr,
            )  # fmt: skip
            if sample_pss:
                while True:
                    pid, status, usage = os.wait4(child.pid, os.WNOHANG)
                    if pid:
                        break
                    peak_pss = max(peak_pss, _pss(child.pid))
                    time.sleep(0.05)
            else:
                _pid, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
        output, errors = out.read_text(), err.read_text()
    if os.waitstatus_to_exitcode(status):
        sys.exit(f"import_report failed:\n{output[-2000:]}\n{errors[-4000:]}")
    lines = output.strip().splitlines()
    figures = json.loads(lines[-1])
    figures.update(process=wall, peak_mb=usage.ru_maxrss / 1024, peak_pss_mb=peak_pss / 2**20,
                   cpu=usage.ru_utime + usage.ru_stime, output=lines[:-1])  # fmt: skip
    return figures


def child(path: str) -> None:
    """The import's own process: ``manage.py import_report`` called in-process, with the
    commit and the renewals job timed from inside (wrapped, not changed)."""
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    import renewals.tasks
    import workqueue.tasks
    from imports import services
    from policies.models import Policy
    from renewals.models import RenewalCase

    spent: dict[str, float] = {}

    def clocked(name, fn):
        def run(*args, **kwargs):
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[name] = spent.get(name, 0.0) + time.perf_counter() - started

        return run

    services.commit = clocked("commit", services.commit)
    # The commit ends by queueing the renewals task; without a broker it runs there and then
    # (the renewals job, then the distribution): timed apart from the commit's own work.
    services.enqueue_on_commit = clocked("after_commit", services.enqueue_on_commit)
    renewals.tasks.renewals_open_and_queue = clocked(
        "renewals", renewals.tasks.renewals_open_and_queue
    )
    # The rest of the task, part by part: the imported policies' instalments, then the hand-out.
    renewals.tasks.instalments_plan_catch_up = clocked(
        "instalments", renewals.tasks.instalments_plan_catch_up
    )
    workqueue.tasks.distribution_run = clocked("distribution", workqueue.tasks.distribution_run)
    from django.db import connection

    from brokerage.core import beside

    def backend_cpu_into(key: str, cls) -> None:
        """``cls``'s work, run in its own thread on a second connection, adds its backend's
        CPU to ``spent[key]``, read just before the thread closes that connection."""
        run = cls._run

        def measured_run(self):
            work = self._work

            def measured(*args):
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_backend_pid()")
                    pid = cursor.fetchone()[0]
                before = _cpu_seconds(pid)
                try:
                    return work(*args)
                finally:
                    if before is not None and (after := _cpu_seconds(pid)) is not None:
                        spent[key] = spent.get(key, 0.0) + after - before

            self._work = measured
            run(self)

        cls._run = measured_run

    # Work run beside on a second connection: the instalments' plan, beside the renewals job,
    # and the committed chunks' follow-ups (cases, touches, instalments) while the next chunks
    # are written (their time in that thread too).
    from imports import expiry

    backend_cpu_into("db_cpu_beside", beside.Beside)
    backend_cpu_into("db_cpu_follow", beside.BesideQueue)
    expiry.follow = clocked("follow", expiry.follow)

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    backend_cpu = _cpu_seconds(backend)
    out = io.StringIO()
    started = time.perf_counter()
    call_command("import_report", path, insurer="hdi", user="bench", stdout=out)
    whole = time.perf_counter() - started
    if backend_cpu is not None and (after := _cpu_seconds(backend)) is not None:
        spent["db_cpu"] = after - backend_cpu
    # This process's own CPU and its waited-for children's: the parser process (forked).
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    spent["own_cpu"] = own.ru_utime + own.ru_stime
    spent["parser_cpu"] = children.ru_utime + children.ru_stime
    for line in out.getvalue().strip().splitlines()[-2:]:
        print(line.split("\r")[-1])
    print(f"{Policy.objects.count()} policies, {Policy.history.count()} history rows, "
          f"{RenewalCase.objects.count()} renewal cases")  # fmt: skip
    print(json.dumps({"whole": whole, **spent}))


def run_import_export(path: Path, rows: int) -> float:
    """django-import-export's ModelResource importing the same rows into Policy (with their
    holders created first, as its per-row save would need them)."""
    import tablib
    from import_export import fields, resources, widgets
    from python_calamine import CalamineWorkbook

    from clients.models import Client
    from policies.models import Insurer, Policy

    insurer = Insurer.objects.get(code="hdi")
    table = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    body = table[3 : 3 + rows]
    holders = Client.objects.bulk_create(
        [Client(first_name=r[1], display_name=r[1]) for r in body], batch_size=2000
    )
    dataset = tablib.Dataset(headers=["number", "holder", "insurer", "premium", "start_date",
                                      "end_date", "line", "coverage"])  # fmt: skip
    for r, holder in zip(body, holders, strict=True):
        premium = r[6].replace("$", "").replace(",", "")
        day, month, year = r[5].split("/")
        dataset.append([f"IEX-{r[0]}", holder.pk, insurer.pk, premium, "2025-12-01",
                        f"{year}-{month}-{day}", "auto", "Amplia"])  # fmt: skip

    class PolicyResource(resources.ModelResource):
        holder = fields.Field(attribute="holder", column_name="holder",
                              widget=widgets.ForeignKeyWidget(Client))  # fmt: skip

        class Meta:
            model = Policy
            fields = ("number", "holder", "insurer", "premium", "start_date", "end_date",
                      "line", "coverage")  # fmt: skip
            import_id_fields = ("number",)

    started = time.perf_counter()
    result = PolicyResource().import_data(dataset, dry_run=False, raise_errors=True)
    elapsed = time.perf_counter() - started
    assert not result.has_errors(), result
    print(f"  {'import_data, ' + str(rows) + ' rows':<50} {elapsed:8.2f} s")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--iex-rows", type=int, default=2_000)
    parser.add_argument("--no-iex", action="store_true", help="skip django-import-export")
    args = parser.parse_args()
    os.environ.update(_env())
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()

    started = time.perf_counter()
    path = build_report(args.rows)
    print(f"report: {args.rows:,} rows, {path.stat().st_size / 2**20:.1f} MB "
          f"(ready in {time.perf_counter() - started:.1f} s)", flush=True)  # fmt: skip
    prepare_db()

    print("\nparsing the file:")
    t_openpyxl, cpu_openpyxl, _n = timed(
        "openpyxl read-only, values only", lambda: openpyxl_read(path)
    )
    t_calamine, _cpu, _n = timed("python-calamine, row by row", lambda: calamine_read(path))

    print("\nCartera: manage.py import_report, in its own process (no broker: the renewals")
    print("task queued by the commit runs inside the command):")
    figures = run_import(path, sample_pss=False)
    for line in figures["output"]:
        print(f"    {line}")
    t_whole, t_after = figures["whole"], figures.get("after_commit", 0.0)
    t_commit = figures["commit"] - t_after
    t_renewals = figures.get("renewals", 0.0)
    print(f"  {'whole import (the command)':<50} {t_whole:8.2f} s")
    print(f"  {'  the commit (read, parse, classify, write)':<50} {t_commit:8.2f} s")
    print(f"  {'    its chunks followed up beside it (cases,':<50} "
          f"{figures.get('follow', 0.0):8.2f} s")  # fmt: skip
    print("      touches, instalments: busy time in that thread)")
    print(f"  {'  the renewals job (cases, touches)':<50} {t_renewals:8.2f} s")
    print(f"  {'  the rest of the renewals task':<50} {t_after - t_renewals:8.2f} s")
    print(f"  {'    instalments of the imported policies':<50} "
          f"{figures.get('instalments', 0.0):8.2f} s"
          + ("  (beside the renewals job)" if "db_cpu_beside" in figures else ""))  # fmt: skip
    print(f"  {'    the distribution of the new work':<50} "
          f"{figures.get('distribution', 0.0):8.2f} s")  # fmt: skip
    print(f"  {'  the rest (store, header, mapping, output)':<50} "
          f"{t_whole - t_commit - t_after:8.2f} s")  # fmt: skip
    print(f"  {'the process, start to exit':<50} {figures['process']:8.2f} s")
    # CPU seconds depend less than wall times on what else the machine runs (not at all on
    # waiting for a core), so they compare runs made under different loads.
    print(f"  {'CPU: the import process and its parser':<50} {figures['cpu']:8.2f} s")
    print(f"  {'  the import process (with Django starting)':<50} "
          f"{figures['own_cpu']:8.2f} s")  # fmt: skip
    print(f"  {'  its parser process':<50} {figures['parser_cpu']:8.2f} s")
    cpu_all = figures["cpu"]
    if "db_cpu" in figures:
        figures["db_cpu"] += figures.get("db_cpu_beside", 0.0) + figures.get("db_cpu_follow", 0.0)
        print(f"  {'CPU: its database backends':<50} {figures['db_cpu']:8.2f} s")
        if "db_cpu_follow" in figures:
            print(f"  {'  the one beside the commit (the follow-ups)':<50} "
                  f"{figures['db_cpu_follow']:8.2f} s")  # fmt: skip
        if "db_cpu_beside" in figures:
            print(f"  {'  the one beside (the instalments plan)':<50} "
                  f"{figures['db_cpu_beside']:8.2f} s")  # fmt: skip
        cpu_all += figures["db_cpu"]
    load = _load()
    print(f"  {'load average (1, 5, 15 min) at the end':<50} {load}")

    # Memory: the same import again on a fresh database, its PSS sampled (not timed).
    print("\nthe same import again, untimed, for its peak memory with its parser…", flush=True)
    prepare_db()
    sampled = run_import(path, sample_pss=True)
    figures["peak_mb"] = max(figures["peak_mb"], sampled["peak_mb"])
    figures["peak_pss_mb"] = sampled["peak_pss_mb"]

    t_iex = None
    if not args.no_iex:
        print(f"\ndjango-import-export ({args.iex_rows:,} rows, scaled to {args.rows:,}):")
        t_iex = run_import_export(path, args.iex_rows) * args.rows / args.iex_rows
        print(f"  {'estimated for the full report':<50} {t_iex:8.2f} s")

    print("\nfigures:")
    print(f"  whole import / openpyxl read-only parse       {t_whole / t_openpyxl:6.2f}  "
          f"(target ≤ 1.0)")  # fmt: skip
    print(f"  commit only / openpyxl read-only parse        {t_commit / t_openpyxl:6.2f}")
    print(f"  CPU: whole import (all processes) / openpyxl  {cpu_all / cpu_openpyxl:6.2f}")
    print(f"  calamine parse / openpyxl parse               {t_calamine / t_openpyxl:6.2f}")
    if t_iex is not None:
        print(f"  django-import-export / whole import           {t_iex / t_whole:6.1f} ×")
    print(f"  peak memory of the import (max RSS)           {figures['peak_mb']:6.0f} MB "
          f"(target ≤ 300)")  # fmt: skip
    print(f"  peak of the import with its parser (PSS sum)  {figures['peak_pss_mb']:6.0f} MB")
    print(json.dumps({"openpyxl": t_openpyxl, "calamine": t_calamine, "whole": t_whole,
                      "commit": t_commit, "renewals": t_renewals, "iex": t_iex,
                      "cpu": figures["cpu"], "db_cpu": figures.get("db_cpu"),
                      "own_cpu": figures["own_cpu"], "parser_cpu": figures["parser_cpu"],
                      "openpyxl_cpu": cpu_openpyxl, "load": load,
                      "peak_mb": figures["peak_mb"],
                      "peak_pss_mb": figures["peak_pss_mb"]}))  # fmt: skip


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        child(sys.argv[2])
    else:
        main()
