"""Importing a 100,000-row expiry report, against the alternatives.

Builds a report of N rows (default 100,000: policy, holder, RFC, phone, dates, premium, line,
VIN, plate, make, model, year) as .xlsx, then prints in one run:

- openpyxl's read-only parse of the file (just reading the cells),
- python-calamine's bare parse,
- Cartera's dry run and commit into PostgreSQL (history included), and the re-import of the
  same file (everything unchanged),
- django-import-export importing the same rows into the same Policy model (on an empty table,
  with its default per-row instance loading and saving), timed on the first --iex-rows rows
  and scaled, because at full size it runs for many minutes,
- the peak memory (max RSS) of the process and the ratios.

It uses its own database `cartera_bench_import` (dropped and created each run).

    .venv/bin/python bench/import_expiry.py [--rows 100000] [--iex-rows 2000]
"""

import argparse
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


def build_report(rows: int) -> bytes:
    from openpyxl import Workbook

    sys.path.insert(0, str(ROOT))
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
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def prepare_db() -> None:
    import psycopg

    admin = DB_URL.rsplit("/", 1)[0] + "/postgres"
    name = DB_URL.rsplit("/", 1)[1]
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    env = {**os.environ, "DEBUG": "1", "DATABASE_URL": DB_URL}
    env.pop("REDIS_URL", None)
    subprocess.run([sys.executable, str(ROOT / "manage.py"), "migrate", "-v0"], env=env,
                   check=True, cwd=ROOT)  # fmt: skip


def timed(label, fn):
    started = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - started
    print(f"  {label:<46} {elapsed:8.2f} s")
    return elapsed, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--iex-rows", type=int, default=2_000)
    args = parser.parse_args()
    prepare_db()
    os.environ.update({"DEBUG": "1", "DATABASE_URL": DB_URL})
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "brokerage.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from openpyxl import load_workbook
    from python_calamine import CalamineWorkbook

    from policies.models import Insurer

    started = time.perf_counter()
    data = build_report(args.rows)
    print(f"report: {args.rows} rows, {len(data) / 2**20:.1f} MB "
          f"(built in {time.perf_counter() - started:.1f} s)")  # fmt: skip

    def openpyxl_read():
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        return sum(1 for _row in book.worksheets[0].iter_rows(values_only=True))

    def calamine_read():
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        return len(book.get_sheet_by_index(0).to_python())

    print("\nparsing the file:")
    t_openpyxl, _n = timed("openpyxl read-only, values only", openpyxl_read)
    t_calamine, _n = timed("python-calamine", calamine_read)

    report = Path(tempfile.mkstemp(suffix=".xlsx")[1])
    report.write_bytes(data)
    # Cartera's import runs in its own process so that its peak memory is its own.
    child = subprocess.run(
        [sys.executable, __file__, "--cartera-only", str(report)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    print(child.stdout.rsplit("\n", 2)[0])
    figures = json.loads(child.stdout.strip().splitlines()[-1])
    t_upload, t_dry, t_commit, peak = (
        figures["upload"],
        figures["dry_run"],
        figures["commit"],
        figures["peak_mb"],
    )
    insurer = Insurer.objects.get(code="hdi")
    print(f"\ndjango-import-export ({args.iex_rows} rows, scaled to {args.rows}):")
    t_iex = run_import_export(data, insurer, args.iex_rows) * args.rows / args.iex_rows
    print(f"  {'estimated for the full report':<46} {t_iex:8.2f} s")

    full = t_upload + t_dry + t_commit
    print("\nfigures:")
    print(f"  Cartera commit / openpyxl read-only parse     {t_commit / t_openpyxl:6.2f}  "
          f"(target < 1)")  # fmt: skip
    print(f"  Cartera upload+dry run+commit / openpyxl read {full / t_openpyxl:6.2f}")
    print(f"  django-import-export / Cartera commit         {t_iex / t_commit:6.1f}x "
          f"(target ≥ 10)")  # fmt: skip
    print(f"  calamine parse / openpyxl parse               {t_calamine / t_openpyxl:6.2f}")
    print(f"  peak memory of the import (max RSS)           {peak:6.0f} MB (target < 300)")


def cartera_only(path: str) -> None:
    """The child process: Cartera's upload, dry run, commit and re-import of the report."""
    os.environ.update({"DEBUG": "1", "DATABASE_URL": DB_URL})
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "brokerage.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from brokerage.accounts.models import User
    from imports import services
    from policies.models import Insurer, Policy

    data = Path(path).read_bytes()
    insurer = Insurer.objects.create(name="HDI Seguros", code="hdi")
    user = User.objects.create_superuser("bench", "bench@example.com", "x")
    print("\nCartera (PostgreSQL, history included):")
    t_upload, (job, _table) = timed(
        "upload (check, store, find header, map)",
        lambda: services.job_create(insurer=insurer, by=user, name="hdi.xlsx", data=data),
    )
    t_dry, job = timed("dry run", lambda: services.dry_run(job))
    print(f"    → new={job.created} updated={job.updated} unchanged={job.unchanged} "
          f"errors={job.errors}")  # fmt: skip
    # The renewal cases of the imported policies are opened by a task queued after the commit:
    # timed on its own here.
    services._renewals_task = lambda: type("Later", (), {"delay": staticmethod(lambda: None)})
    t_commit, job = timed("commit", lambda: services.commit(job, by=user))
    print(f"    → {Policy.objects.count()} policies, {Policy.history.count()} history rows")
    from renewals.jobs import renewals_open_and_queue

    _t, report = timed("then: renewal cases opened (task)", renewals_open_and_queue)
    print(f"    → {report.cases_opened} cases, {report.total_items} touches")
    again, _table = services.job_create(insurer=insurer, by=user, name="hdi.xlsx", data=data)
    t_again, again = timed("re-import of the same file (commit)", lambda: services.commit(again))
    print(f"    → new={again.created} updated={again.updated} unchanged={again.unchanged}")

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"upload": t_upload, "dry_run": t_dry, "commit": t_commit, "peak_mb": peak}))


def run_import_export(data: bytes, insurer, rows: int) -> float:
    """django-import-export's ModelResource importing the same rows into Policy (with their
    holders created first, as its per-row save would need them)."""
    import tablib
    from import_export import fields, resources, widgets
    from python_calamine import CalamineWorkbook

    from clients.models import Client
    from policies.models import Policy

    table = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()
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
    print(f"  {'import_data, ' + str(rows) + ' rows':<46} {elapsed:8.2f} s")
    return elapsed


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--cartera-only":
        cartera_only(sys.argv[2])
    else:
        main()
