from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from imports import services
from imports.models import RowError
from imports.reader import ReportError
from imports.services import job_create, mapping_save, missing_required
from policies.models import Insurer


class Command(BaseCommand):
    help = (
        "Import an insurer's expiry report (.xlsx, .xls, .csv) with the insurer's saved column "
        "mapping (or the one Cartera suggests from the headers). Ends with one line: "
        "created=N updated=N unchanged=N errors=N."
    )

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--insurer", required=True, help="The insurer's code.")
        parser.add_argument("--dry-run", action="store_true", help="Say what would change.")
        parser.add_argument("--user", help="Who imports (user name); default the first admin.")

    def handle(self, path, insurer, user=None, **options):
        preview_only = options.get("dry_run", False)
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
            job, table = job_create(
                insurer=insurer_obj, by=by, name=file.name, data=file.read_bytes()
            )
        except ReportError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"{file.name}: sheet {table.sheet!r}, header on row {table.header_row}, "
            f"{len(table.rows)} rows"
        )
        for field, header in job.columns.items():
            self.stdout.write(f"  {field:<14} ← {header}")
        missing = missing_required(job.columns, job.kind)
        if missing:
            raise CommandError(
                "No column for: " + ", ".join(missing) + ". Map them once on the import page."
            )
        mapping_save(job=job, by=by, columns=job.columns)
        try:
            job = services.dry_run(job) if preview_only else services.commit(job, by=by)
        except ReportError as exc:
            raise CommandError(str(exc)) from exc
        for error in RowError.objects.filter(job=job)[:1000]:
            self.stdout.write(
                f"  row {error.row}, {error.column}: {error.text}"
                + (f" ({error.value})" if error.value else "")
            )
        self.stdout.write(
            f"created={job.created} updated={job.updated} unchanged={job.unchanged} "
            f"errors={job.errors}"
        )

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
