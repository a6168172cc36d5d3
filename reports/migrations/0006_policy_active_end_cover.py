# The pipeline's "policies with no case yet" (reports.pipeline._not_opened) reads the running
# policies ending in the next 90 days: this partial index holds every column it reads, so the
# policies come from the index alone (68 ms for 238,000 of a million policies, not 300 ms of
# heap reads), and are anti-joined with the cases' unique index on policy_id. Kept here, beside
# the report that needs it, as SQL (the policies app's model does not name it).

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0005_monthly_rollup"),
        ("policies", "0014_history_without_date_index"),
    ]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS policy_active_end_cover ON policies_policy "
            "(currency, end_date) INCLUDE (id, line, premium, agent_id, insurer_id, holder_id) "
            "WHERE status = 'active'",
            "DROP INDEX IF EXISTS policy_active_end_cover",
        ),
    ]
