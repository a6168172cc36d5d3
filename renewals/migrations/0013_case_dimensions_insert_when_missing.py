"""The case's copy of its policy's report dimensions: on update as before; on insert only for
rows that bring no copies (no holder), since the morning job's set-based insert now selects them
from the policies itself instead of calling the trigger's function once per row."""

import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("renewals", "0012_ladder_preset"),
    ]

    operations = [
        pgtrigger.migrations.RemoveTrigger(
            model_name="renewalcase",
            name="case_dimensions",
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="renewalcase",
            trigger=pgtrigger.compiler.Trigger(
                name="case_dimensions",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func='\n        SELECT p."agent_id", p."insurer_id", p."line", p."currency", p."holder_id"\n          INTO NEW."agent_id", NEW."insurer_id", NEW."line", NEW."currency", NEW."holder_id"\n          FROM "policies_policy" p WHERE p."id" = NEW."policy_id";\n        SELECT p."premium", p."currency"\n          INTO NEW."renewed_premium", NEW."renewed_currency"\n          FROM "policies_policy" p WHERE p."id" = NEW."new_policy_id";\n        NEW."renewed_currency" := COALESCE(NEW."renewed_currency", \'\');\n        RETURN NEW;',
                    hash="b70a63308769ab23c3cf1d8e8454d5562c39b2c7",
                    operation='UPDATE OF "policy_id", "new_policy_id", "agent_id", "insurer_id", "line", "currency", "holder_id", "renewed_premium", "renewed_currency"',
                    pgid="pgtrigger_case_dimensions_04a77",
                    table="renewals_renewalcase",
                    when="BEFORE",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="renewalcase",
            trigger=pgtrigger.compiler.Trigger(
                name="case_dimensions_insert",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition='WHEN (NEW."holder_id" IS NULL OR NEW."new_policy_id" IS NOT NULL)',
                    func='\n        SELECT p."agent_id", p."insurer_id", p."line", p."currency", p."holder_id"\n          INTO NEW."agent_id", NEW."insurer_id", NEW."line", NEW."currency", NEW."holder_id"\n          FROM "policies_policy" p WHERE p."id" = NEW."policy_id";\n        SELECT p."premium", p."currency"\n          INTO NEW."renewed_premium", NEW."renewed_currency"\n          FROM "policies_policy" p WHERE p."id" = NEW."new_policy_id";\n        NEW."renewed_currency" := COALESCE(NEW."renewed_currency", \'\');\n        RETURN NEW;',
                    hash="67207a5be03e4a07035f63a46d57c83dd386dc4c",
                    operation="INSERT",
                    pgid="pgtrigger_case_dimensions_insert_e50b4",
                    table="renewals_renewalcase",
                    when="BEFORE",
                ),
            ),
        ),
    ]
