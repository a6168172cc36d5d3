from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from imports import services
from imports.fields import choose_columns
from imports.models import ColumnMapping, ReportKind, RowError
from imports.reader import ReportError, sheets_kept
from imports.services import job_create, mapping_save
from policies.models import Insurer


class Command(BaseCommand):
    help = (
        "Import an insurer's expiry report (.xlsx, .xls, .csv) with the insurer's saved column "
        "mapping (or the one Cartera suggests from the headers). Ends with one line: "
        "created=N updated=N unchanged=N errors=N. With --kind collections, the insurer's "
        "collection (paid/unpaid) report: paid=N unpaid=N already=N errors=N, then what "
        "changed since the insurer's previous collection report."
    )

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--insurer", required=True, help="The insurer's code.")
        parser.add_argument("--dry-run", action="store_true", help="Say what would change.")
        parser.add_argument(
            "--kind", choices=ReportKind.values, default=ReportKind.EXPIRY,
            help="The report: expiry (default) or collections.",
        )  # fmt: skip
        parser.add_argument("--user", help="Who imports (user name); default the first admin.")

    def handle(self, path, insurer, user=None, **options):
        # The sheet calamine loads for the header and sample is the one the import reads.
        with sheets_kept():
            self._import(path, insurer, user, **options)

    def _import(self, path, insurer, user=None, **options):
        preview_only = options.get("dry_run", False)
        kind = options.get("kind") or ReportKind.EXPIRY
        file = Path(path)
        if not file.is_file():
            raise CommandError(f"No such file: {path}")
        try:
            insurer_obj = Insurer.objects.get(code=insurer)
        except Insurer.DoesNotExist as exc:
            codes = ", ".join(Insurer.objects.order_by("code").values_list("code", flat=True))
            raise CommandError(f"Unknown insurer {insurer!r}; known: {codes}") from exc
        by = self._user(user)
        try:
            with file.open("rb") as handle:  # stored as it is read, never whole in memory
                job, table = job_create(
                    insurer=insurer_obj, by=by, name=file.name, file=File(handle), kind=kind
                )
        except ReportError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{file.name}: sheet {table.sheet!r}, header on row {table.header_row}")
        saved = ColumnMapping.objects.filter(insurer=insurer_obj, kind=job.kind).first()
        choice = choose_columns(table.headers, job.kind, saved.columns if saved else None)
        if choice.missing:
            raise CommandError(self._no_columns(choice, table.headers))
        self.stdout.write(
            "Columns: the insurer's saved mapping"
            if choice.source == "saved"
            else "Columns: suggested from the headers"
        )
        for field, header in choice.columns.items():
            hint = choice.suggested.get(field)
            self.stdout.write(
                f"  {field:<14} ← {header}" + (f"  (suggested, {hint.score:.0f})" if hint else "")
            )
        mapping_save(job=job, by=by, columns=choice.columns)
        try:
            if preview_only:
                job = services.dry_run(job, progress=self._progress)
            else:
                job = services.commit(job, by=by, progress=self._progress)
        except ReportError as exc:
            raise CommandError(str(exc)) from exc
        finally:
            self._progress_end()
        self.stdout.write(f"{job.total_rows} rows read")
        for error in RowError.objects.filter(job=job)[:1000]:
            self.stdout.write(
                f"  row {error.row}, {error.column}: {error.text}"
                + (f" ({error.value})" if error.value else "")
            )
        if job.kind == ReportKind.COLLECTIONS:
            self.stdout.write(
                f"paid={job.created} unpaid={job.updated} already={job.unchanged} "
                f"errors={job.errors}"
            )
            if not preview_only:
                self._since_previous(job.diff)
            return
        self.stdout.write(
            f"created={job.created} updated={job.updated} unchanged={job.unchanged} "
            f"errors={job.errors}"
        )

    def _since_previous(self, diff: dict) -> None:
        """A collection report's summary against the insurer's previous one."""
        if not diff.get("previous"):
            self.stdout.write("First collection report of this insurer.")
            return
        self.stdout.write(f"Since the previous report ({diff.get('previous_name', '')}):")
        for name, label in (
            ("newly_paid", "newly paid"),
            ("still_unpaid", "still unpaid"),
            ("newly_overdue", "newly overdue"),
        ):
            listed = ", ".join(diff.get(name, [])[:20])
            self.stdout.write(f"  {label}={diff.get(f'{name}_count', 0)}" +
                              (f"  ({listed})" if listed else ""))  # fmt: skip

    def _no_columns(self, choice, headers) -> str:
        """The required fields without a column, the closest header left for each, and the
        headers the file has: enough to map it once on the import page."""
        lines = ["No column for:"]
        for field in choice.missing:
            hint = choice.closest.get(field.name)
            closest = (
                f"closest: “{_one_line(hint.header)}”, score {hint.score:.0f}"
                if hint
                else "nothing close"
            )
            lines.append(f"  {field.label} ({closest})")
        lines.append("Headers in the file: " + ", ".join(f"“{_one_line(h)}”" for h in headers if h))
        lines.append("Map them once on the import page.")
        return "\n".join(lines)

    def _progress(self, job):
        """After each chunk: one line updated in place on a terminal, else a plain line."""
        done, total = job.rows_done, job.total_rows
        line = f"{done:,} of {total:,} rows ({job.percent} %)" if total else f"{done:,} rows"
        if self.stdout.isatty():
            self.stdout.write(f"\r  {line}\x1b[K", ending="")
            self.stdout.flush()
            self._in_place = True
        else:
            self.stdout.write(f"  {line}")

    def _progress_end(self):
        if getattr(self, "_in_place", False):
            self.stdout.write("")
            self._in_place = False

    def _user(self, username):
        users = get_user_model().objects
        if username:
            try:
                return users.get(username=username)
            except users.model.DoesNotExist as exc:
                raise CommandError(f"Unknown user {username!r}.") from exc
        user = (
            users.filter(is_superuser=True).order_by("pk").first()
            or users.filter(groups__name="admin").order_by("pk").first()
        )
        if user is None:
            raise CommandError("No administrator to import as: pass --user.")
        return user


def _one_line(header: str) -> str:
    return " ".join(header.split())
