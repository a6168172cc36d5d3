# The renewal rate's client rates grouped by agent (reports.renewal_rate._client_counts: the
# distinct holders counted and won per agent and over the whole period, for those who see the
# whole book) read the cases of one currency in agent and holder order from this index alone:
# no sort of the period's cases before the per-agent distinct counts (at a million policies,
# 400,000 cases sorted on disk with the default work_mem), no heap reads of the cases' wide
# rows. Cancelled cases, which no report counts, are left out. Kept here, beside the report
# that needs it, as SQL (the renewals app's model does not name it), as 0008's.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0009_points_rollup"),
    ]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS renewal_client_agent_cover ON renewals_renewalcase "
            "(currency, agent_id, holder_id) INCLUDE (end_date, status) "
            "WHERE status <> 'cancelled'",
            "DROP INDEX IF EXISTS renewal_client_agent_cover",
        ),
    ]
