"""Instalments of the demo book for ``manage.py seed_demo``: every demo policy's plan, written
set-based (one statement, ``billing.services.instalments_plan_missing``), the same way imported
policies are planned, so the benchmark book of a million policies is planned in one pass."""

from time import monotonic

from django.db import connection

from brokerage.core.demo import DemoContext

from .models import Instalment
from .services import instalments_plan_missing


def seed_instalments(ctx: DemoContext) -> None:
    started = monotonic()
    written = instalments_plan_missing(reason="demo")
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {connection.ops.quote_name(Instalment._meta.db_table)}")
    ctx.write(f"instalments: {written} planned in {monotonic() - started:.1f} s")
