import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from brokerage.core.demo import DemoContext, run_steps


class Command(BaseCommand):
    help = (
        "Load a deterministic demo dataset (also the benchmark dataset): demo users of each "
        "role and a book of N clients. Refuses to run on a database that already has users."
    )

    def add_arguments(self, parser):
        parser.add_argument("--clients", type=int, default=200, help="Number of clients.")
        parser.add_argument(
            "--seed", type=int, default=1, help="Random seed (same seed, same data)."
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing (and succeed) if the database already has users.",
        )

    def handle(self, *args, clients, seed, if_empty, **options):
        if clients < 0:
            raise CommandError("--clients must be zero or more.")
        if get_user_model().objects.exists():
            if if_empty:
                self.stdout.write("The database already has data; demo data not loaded.")
                return
            raise CommandError(
                "The database already has users; seed_demo only loads an empty database."
            )
        started = time.monotonic()
        context = DemoContext(clients=clients, seed=seed, write=self.stdout.write)
        with transaction.atomic():
            run_steps(context)
        self.stdout.write(
            self.style.SUCCESS(f"Demo data loaded in {time.monotonic() - started:.1f} s.")
        )
