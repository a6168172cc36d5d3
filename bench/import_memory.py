"""Peak memory of the whole import of a large report (issue 14, part 2: ≤ 300 MB for 50 MB).

Writes an expiry report of about --mb megabytes (CSV, a row at a time; or, with --format
xlsx, a workbook of --rows rows, as large as a sheet may be), then runs the whole import in a
child process, as a maintainer does from the shell (``manage.py import_report``: store, read,
parse, classify, write clients, vehicles, policies, history, renewal cases), and prints the
child's peak memory (max RSS) with its time. ``--dry-run`` stops after the dry run.

It uses its own database `cartera_bench_memory` (dropped and created each run).

    .venv/bin/python bench/import_memory.py [--mb 50] [--format csv|xlsx] [--rows N] [--dry-run]
"""

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_URL = os.environ.get(
    "BENCH_MEMORY_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cartera_bench_memory"
)
HEADER = [
    "No. de Póliza", "Asegurado", "RFC", "Teléfono", "Inicio de vigencia", "Fin de vigencia",
    "Prima Total", "Ramo", "Número de serie", "Placas", "Marca", "Modelo", "Año",
]  # fmt: skip


def _row(n: int) -> list:
    return [
        f"HDI-{n:08d}", f"Cliente {n} Pérez López", f"PELC{n:07d}A1",
        f"55 {1000 + n % 9000:04d} {n % 10000:04d}", "01/12/2025", f"{1 + n % 28:02d}/12/2030",
        f"${10000 + n % 5000:,}.50", "Autos", "", f"P{n:07d}", "Nissan", "Versa", 2018 + n % 7,
    ]  # fmt: skip


def write_csv(path: Path, mb: int) -> int:
    """A CSV report of about ``mb`` MB, written a row at a time; returns its rows."""
    rows = 0
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["Reporte de vencimientos — HDI Seguros"])
        writer.writerow(HEADER)
        while out.tell() < mb * 2**20 - 2**18:  # just under the size (the upload limit)
            for _n in range(1000):
                writer.writerow(_row(rows))
                rows += 1
    return rows


def write_xlsx(path: Path, rows: int) -> int:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Vencimientos")
    sheet.append(["Reporte de vencimientos — HDI Seguros"])
    sheet.append(HEADER)
    for n in range(rows):
        sheet.append(_row(n))
    book.save(path)
    return rows


def _env() -> dict:
    env = {**os.environ, "DEBUG": "1", "DATABASE_URL": DB_URL}
    env.pop("REDIS_URL", None)  # tasks run eagerly in the child
    return env


def prepare_db() -> None:
    import psycopg

    admin = DB_URL.rsplit("/", 1)[0] + "/postgres"
    name = DB_URL.rsplit("/", 1)[1]
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=_env(), check=True, cwd=ROOT)
    setup = (
        "from brokerage.accounts.models import User; from policies.models import Insurer; "
        "Insurer.objects.create(name='HDI Seguros', code='hdi'); "
        "User.objects.create_superuser('bench', 'bench@example.com', 'x')"
    )
    subprocess.run([*manage, "shell", "-c", setup], env=_env(), check=True, cwd=ROOT)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=50, help="size of the CSV report")
    parser.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    parser.add_argument("--rows", type=int, default=120_000, help="rows of the xlsx report")
    parser.add_argument("--dry-run", action="store_true", help="stop after the dry run")
    args = parser.parse_args()

    prepare_db()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"vencimientos.{args.format}"
        rows = write_csv(path, args.mb) if args.format == "csv" else write_xlsx(path, args.rows)
        size = path.stat().st_size / 2**20
        print(f"report: {path.name}, {rows:,} rows, {size:.1f} MB", flush=True)
        command = [sys.executable, str(ROOT / "manage.py"), "import_report", str(path),
                   "--insurer", "hdi", "--user", "bench"]  # fmt: skip
        if args.dry_run:
            command.append("--dry-run")
        started = time.perf_counter()
        out, err = Path(folder) / "out.txt", Path(folder) / "err.txt"
        with out.open("w") as stdout, err.open("w") as stderr:
            child = subprocess.Popen(command, env=_env(), cwd=ROOT, stdout=stdout, stderr=stderr)
            # This child's own peak (not the migrate run's): wait4 gives its resource usage.
            _pid, status, usage = os.wait4(child.pid, 0)
        elapsed = time.perf_counter() - started
        output, errors = out.read_text(), err.read_text()
    if os.waitstatus_to_exitcode(status):
        sys.exit(f"import_report failed:\n{output[-2000:]}\n{errors[-4000:]}")
    peak = usage.ru_maxrss / 1024  # KB on Linux
    print(output.strip().splitlines()[-1])
    what = "dry run" if args.dry_run else "whole import"
    print(f"{what}: {elapsed:.1f} s, {rows / elapsed:,.0f} rows/s")
    print(f"peak memory (max RSS of the import's process): {peak:.0f} MB (target ≤ 300 MB)")


if __name__ == "__main__":
    main()
