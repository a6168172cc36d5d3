"""Indexes for the touches' morning statements (issue 18): the vehicles' inspection and licence
dates (``touches.jobs._vehicle_date`` reads a few days' range of them) and the clients'
birthdays by month and day (``touches.jobs._birthday`` reads the day's), so that a morning
reads only its day's occasions instead of every vehicle and every client. Declared here, with
the statements that use them, in SQL: the birthday's is an expression the client model does not
know of."""

from django.db import migrations

INDEXES = {
    "touch_vehicle_inspection": (
        "policies_vehicle (inspection_due) WHERE inspection_due IS NOT NULL"
    ),
    "touch_vehicle_licence": "policies_vehicle (licence_expiry) WHERE licence_expiry IS NOT NULL",
    # touches.jobs.BIRTHDAY_MONTH_DAY
    "touch_client_birthday": (
        "clients_client ((EXTRACT(MONTH FROM birthday) * 100 + EXTRACT(DAY FROM birthday)))"
        " WHERE birthday IS NOT NULL"
    ),
}


class Migration(migrations.Migration):
    dependencies = [
        ("touches", "0005_history_without_date_index"),
        ("clients", "0012_history_without_date_index"),
        ("policies", "0014_history_without_date_index"),
    ]

    operations = [
        migrations.RunSQL(
            f"CREATE INDEX IF NOT EXISTS {name} ON {target}",
            reverse_sql=f"DROP INDEX IF EXISTS {name}",
        )
        for name, target in INDEXES.items()
    ]
