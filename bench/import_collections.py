"""An insurer's collection report of N paid rows, recorded set-based, against one payment at a time.

For each size (default 1,000 and 10,000 paid rows) on a fresh database: imports an expiry list
of N policies (bench/import_expiry.py's report; the policies' instalments planned by the
import's renewals task), writes the insurer's collection report paying instalment 1 of each
("Recibo 1/1", the amount owed, today, "Pagado", a folio) as .xlsx, then prints:

- ``manage.py import_report PATH --insurer hdi --kind collections`` called in-process: the
  whole command and its commit (classify, record the payments, their allocations, the
  instalments and their history, what the hooks close), per paid row;
- the same report imported a second time (every row "already recorded": nothing written);
- the same import with the collection report's former apply (``payment_record`` for each row
  in a savepoint, chunks of 500 rows), on --before-rows rows (default 1,000) and scaled to each
  size, since at 10,000 rows it runs for many minutes.

It uses its own database `cartera_bench_collections` (created each run from a migrated
template). The machine's other load shows in every figure: compare runs made back to back.
It prints figures and asserts no time.

    .venv/bin/python bench/import_collections.py [--rows 1000 10000] [--before-rows 1000]
"""

import argparse
import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault(
    "BENCH_IMPORT_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cartera_bench_collections"
)
sys.path.insert(0, str(ROOT))

from bench import import_expiry  # noqa: E402

HEADER = ["No. de Póliza", "Recibo", "Fecha de vencimiento", "Importe pagado", "Fecha de pago",
          "Estatus", "Folio de pago"]  # fmt: skip


def fresh_book(rows: int) -> float:
    """A fresh database holding N imported policies with their instalments; returns the time
    the expiry import took."""
    from django.core.management import call_command
    from django.db import connection

    connection.close()
    import_expiry.prepare_db()
    path = import_expiry.build_report(rows)
    started = time.perf_counter()
    call_command("import_report", str(path), insurer="hdi", user="bench", stdout=io.StringIO())
    return time.perf_counter() - started


def collection_report(rows: int) -> Path:
    """The collection report paying instalment 1 of each policy of the book, in full."""
    from django.utils import timezone
    from openpyxl import Workbook

    from billing.models import Instalment

    path = Path(tempfile.gettempdir()) / f"cartera_bench_collections_{rows}.xlsx"
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Cobranza")
    sheet.append(["Reporte de cobranza — HDI Seguros"])
    sheet.append(HEADER)
    today = timezone.localdate().strftime("%d/%m/%Y")
    instalments = (
        Instalment.objects.filter(number=1)
        .order_by("policy__number")
        .values_list("policy__number", "count", "due_on", "amount")
    )
    for n, (number, count, due_on, amount) in enumerate(instalments):
        sheet.append([number, f"1/{count}", due_on.strftime("%d/%m/%Y"), f"{amount:,.2f}", today,
                      "Pagado", f"F-{n:07d}"])  # fmt: skip
    book.save(path)
    return path


def apply_per_row(out, *, by, job) -> None:
    """The collection report's apply before the set-based one (commit da17919): a savepoint
    and payment_record per paid row."""
    from django.core.exceptions import ValidationError
    from django.db import transaction

    from billing.models import Instalment, PaymentMethod
    from billing.payments import payment_record
    from clients.models import Client
    from imports.collections import Issue, render
    from imports.models import CollectionLine

    clients = Client.objects.in_bulk({p["client_id"] for p in out.payments})
    refused: set[int] = set()
    for plan in out.payments:
        try:
            with transaction.atomic():
                payment_record(
                    client=clients[plan["client_id"]], by=by, amount=plan["amount"],
                    currency=plan["currency"], method=PaymentMethod.AT_INSURER,
                    paid_on=plan["paid_on"], reference=plan["reference"],
                    instalments=[Instalment(pk=plan["instalment_id"])], token=plan["token"],
                )  # fmt: skip
        except ValidationError as exc:
            reason = " ".join(exc.messages)[:400]
            out.verdicts.pop(plan["row"], None)
            out.issues.append(Issue(plan["row"], plan["column"], str(plan["amount"]),
                                    render("payment_refused", {"reason": reason}),
                                    "payment_refused", {"reason": reason}))  # fmt: skip
            refused.add(plan["row"])
    CollectionLine.objects.bulk_create(
        [CollectionLine(job=job, instalment_id=line["instalment_id"], row=line["row"],
                        paid=line["paid"], overdue=line["overdue"])
         for line in out.lines if line["row"] not in refused],
        ignore_conflicts=True,
    )  # fmt: skip


def import_collections(path: Path) -> dict:
    """import_report --kind collections in-process, the commit timed inside it."""
    from django.core.management import call_command

    from imports import services

    spent = {"commit": 0.0}
    commit = services.commit

    def clocked(*args, **kwargs):
        started = time.perf_counter()
        try:
            return commit(*args, **kwargs)
        finally:
            spent["commit"] += time.perf_counter() - started

    services.commit = clocked
    out = io.StringIO()
    started = time.perf_counter()
    try:
        call_command("import_report", str(path), insurer="hdi", user="bench",
                     kind="collections", stdout=out)  # fmt: skip
    finally:
        services.commit = commit
    spent["whole"] = time.perf_counter() - started
    spent["output"] = out.getvalue().strip().splitlines()[-2:]
    return spent


def counts() -> str:
    from billing.models import Allocation, Instalment, InstalmentStatus, Payment

    return (
        f"{Payment.objects.count():,} payments, {Allocation.objects.count():,} allocations, "
        f"{Instalment.objects.filter(status=InstalmentStatus.PAID).count():,} instalments "
        f"paid, {Instalment.history.filter(history_type='~').count():,} instalment history rows"
    )


def line(label: str, seconds: float, rows: int) -> None:
    print(f"  {label:<44} {seconds:8.2f} s  ({1000 * seconds / max(rows, 1):6.2f} ms/row)",
          flush=True)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000, 10_000])
    parser.add_argument("--before-rows", type=int, default=1_000,
                        help="rows imported one payment at a time (0: skip)")  # fmt: skip
    args = parser.parse_args()
    os.environ.update(import_expiry._env())
    import django

    django.setup()
    from imports import collections

    figures = {}
    for rows in args.rows:
        print(f"\n{rows:,} paid rows:", flush=True)
        setup = fresh_book(rows)
        path = collection_report(rows)
        print(f"  (the book: {rows:,} policies imported in {setup:.1f} s)")
        first = import_collections(path)
        for text in first["output"]:
            print(f"    {text.split(chr(13))[-1]}")
        print(f"    {counts()}")
        line("import_report --kind collections", first["whole"], rows)
        line("  its commit (set-based)", first["commit"], rows)
        again = import_collections(path)
        line("the same report again (all already recorded)", again["whole"], rows)
        figures[rows] = {"whole": first["whole"], "commit": first["commit"],
                         "again": again["whole"]}  # fmt: skip

    if args.before_rows:
        rows = args.before_rows
        print(f"\none payment at a time (payment_record per row, chunks of 500), {rows:,} rows:")
        fresh_book(rows)
        path = collection_report(rows)
        apply, chunk = collections.apply, collections.CHUNK
        collections.apply, collections.CHUNK = apply_per_row, 500
        try:
            before = import_collections(path)
        finally:
            collections.apply, collections.CHUNK = apply, chunk
        print(f"    {counts()}")
        line("import_report --kind collections", before["whole"], rows)
        line("  its commit (per row)", before["commit"], rows)
        per_row = before["commit"] / rows
        print("\nfigures (commit, set-based against one payment at a time, scaled):")
        for size, after in figures.items():
            print(f"  {size:>7,} rows: {after['commit']:8.2f} s against ~{per_row * size:8.1f} s"
                  f"  ({per_row * size / after['commit']:5.0f} ×)")  # fmt: skip
        figures["per_row_commit_ms"] = 1000 * per_row
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
