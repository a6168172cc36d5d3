from datetime import date

from django.core.management.base import BaseCommand, CommandError

from renewals.morning import PAYMENTS, RENEWALS, TOUCHES, morning_run
from workqueue.distribution import distribution_run


class Command(BaseCommand):
    help = (
        "Run the morning jobs now (the same work as the 06:00 beat task): open renewal cases, "
        "queue the touches that fall due, lapse unrenewed policies, hand over lapsed cases, "
        "queue the payment-due calls and reminders, put unpaid policies at risk, make the "
        "service touches (thank-yous, plate endorsements, return visits, vehicle reminders, "
        "greetings), then hand out the items nobody owns. A part already done that day is not "
        "run again (it says when it was done) unless --force."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="Run as of this day (YYYY-MM-DD); default today.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run every part again even if it was already done that day.",
        )

    def handle(self, *args, date=None, force=False, **options):
        day = None
        if date:
            try:
                day = _parse(date)
            except ValueError as exc:
                raise CommandError(f"--date must be YYYY-MM-DD, not {date!r}.") from exc
        run = morning_run(day=day, force=force)
        self.stdout.write(f"morning jobs for {run.day.isoformat()}:")
        for part, done in run.done_before.items():
            when = done.finished_at or done.started_at
            self.stdout.write(
                f"  {part}: already done at {when:%Y-%m-%d %H:%M:%S} (--force runs it again)"
            )
        report = run.renewals
        if RENEWALS not in run.done_before:
            self.stdout.write(f"  policies lapsed: {report.policies_lapsed}")
            self.stdout.write(f"  renewal cases opened: {report.cases_opened}")
            for days, count in sorted(report.items_created.items(), reverse=True):
                self.stdout.write(f"  touches at {days} days: {count}")
            self.stdout.write(f"  work items created: {report.total_items}")
            self.stdout.write(f"  renewal reminders queued for clients: {report.messages_queued}")
            self.stdout.write(f"  lapsed cases sent to the maintainers: {report.cases_handed_over}")
        self.stdout.write(f"  policies' instalments planned: {run.instalments_planned}")
        payments = run.payments
        if PAYMENTS not in run.done_before:
            self.stdout.write(f"  instalments now overdue: {payments.marked_overdue}")
            self.stdout.write(f"  promises to pay broken: {payments.promises_broken}")
            for days, count in sorted(payments.items_created.items()):
                self.stdout.write(f"  payment calls at {days:+d} days from due: {count}")
            self.stdout.write(f"  payment calls after broken promises: {payments.promise_items}")
            self.stdout.write(f"  older payment calls superseded: {payments.items_superseded}")
            self.stdout.write(
                f"  payment reminders queued for clients: {payments.reminders_queued}"
            )
            self.stdout.write(f"  policies put at risk of cancellation: {payments.risks_opened}")
        touches = run.touches
        if TOUCHES not in run.done_before:
            for kind, count in sorted(touches.calls.items()):
                self.stdout.write(f"  service calls ({kind}): {count}")
            for kind, count in sorted(touches.messages.items()):
                self.stdout.write(f"  service messages ({kind}): {count}")
            self.stdout.write(f"  service calls cancelled (policy ended): {touches.cancelled}")
        if run.did_nothing:
            self.stdout.write("distribution: nothing new to hand out (--force runs it again)")
            return
        plan = distribution_run()
        self.stdout.write(
            f"distribution (seed {plan.seed}): {len(plan.lines)} items handed out, "
            f"{plan.unassigned} without an agent, {len(plan.skipped)} agents skipped"
        )


def _parse(text: str):
    return date.fromisoformat(text)
