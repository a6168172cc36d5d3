"""The dashboards read a year of cases from the covering index alone (renewal_report), which
PostgreSQL can do only for pages its visibility map marks all-visible; every case the morning
job or an agent changes clears its page's mark until the table is vacuumed again. Measured at a
million policies: the renewal rate took 1.05 s with 250,000 dead case rows waiting for
autovacuum (at its default, 20% of the table), 0.64 s after a vacuum. Vacuuming after 2% keeps
the index-only reads."""

from django.db import migrations

SETTINGS = "autovacuum_vacuum_scale_factor, autovacuum_vacuum_insert_scale_factor"


class Migration(migrations.Migration):
    dependencies = [("renewals", "0007_report_indexes")]

    operations = [
        migrations.RunSQL(
            [
                "ALTER TABLE renewals_renewalcase SET (autovacuum_vacuum_scale_factor = 0.02,"
                " autovacuum_vacuum_insert_scale_factor = 0.02)"
            ],
            [f"ALTER TABLE renewals_renewalcase RESET ({SETTINGS})"],
        )
    ]
