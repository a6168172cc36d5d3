import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Max, Min

from renewals.models import RenewalCase
from reports.models import RenewalDay
from reports.rollups import rollup_rebuild, work_rollup_rebuild


def _day(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"{name} must be YYYY-MM-DD, not {value!r}.") from exc


class Command(BaseCommand):
    help = (
        "Count the renewal cases into the dashboards' daily rollup again, for the policies "
        "ending from --from to --to (both included; neither: every day that has cases or "
        "rollup rows). Set-based, a month per transaction; writers to the cases wait for each "
        "month (a few seconds at a million policies). Then the work items handed out in the "
        "months from --from's to --to's (neither: every item; every item too when TIME_ZONE or "
        "WORK_RESULT_CUTOFF has changed since they were counted), in one transaction."
    )

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="start", help="First day (YYYY-MM-DD).")
        parser.add_argument("--to", dest="end", help="Last day (YYYY-MM-DD).")

    def handle(self, *args, start=None, end=None, **options):
        if (start is None) != (end is None):
            raise CommandError("Give both --from and --to, or neither.")
        if start is not None:
            start, end = _day(start, "--from"), _day(end, "--to")
            if end < start:
                raise CommandError("--to is before --from.")
        started = time.perf_counter()
        work = work_rollup_rebuild(start=start, end=end)
        self.stdout.write(
            f"work items' rollup rebuilt: {work} rows in {time.perf_counter() - started:.1f} s"
        )
        if start is None:
            cases = RenewalCase.objects.aggregate(first=Min("end_date"), last=Max("end_date"))
            rows = RenewalDay.objects.aggregate(first=Min("day"), last=Max("day"))
            firsts = [d for d in (cases["first"], rows["first"]) if d]
            lasts = [d for d in (cases["last"], rows["last"]) if d]
            if not firsts:
                self.stdout.write("no renewal cases: nothing to count.")
                return
            first, last = min(firsts), max(lasts)
        else:
            first, last = start, end
        started = time.perf_counter()
        written = rollup_rebuild(start=first, end=last)
        self.stdout.write(
            f"rollup rebuilt from {first.isoformat()} to {last.isoformat()}: {written} rows "
            f"in {time.perf_counter() - started:.1f} s"
        )
