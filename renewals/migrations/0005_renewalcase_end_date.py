from django.db import migrations, models

BACKFILL = """
UPDATE renewals_renewalcase SET end_date = (
    SELECT p.end_date FROM policies_policy p WHERE p.id = renewals_renewalcase.policy_id)
"""


class Migration(migrations.Migration):
    dependencies = [
        ("renewals", "0004_one_default_ladder_and_rule_nulls"),
        ("policies", "0003_alter_policy_agent_alter_policy_holder"),
    ]

    operations = [
        migrations.AddField(
            model_name="renewalcase",
            name="end_date",
            field=models.DateField(null=True, verbose_name="policy ends"),
        ),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
        migrations.AlterField(
            model_name="renewalcase",
            name="end_date",
            field=models.DateField(verbose_name="policy ends"),
        ),
        migrations.AddIndex(
            model_name="renewalcase",
            index=models.Index(fields=["status", "end_date", "id"], name="renewal_status_end"),
        ),
    ]
