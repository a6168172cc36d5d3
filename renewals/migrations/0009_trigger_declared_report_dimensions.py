"""The report dimensions' triggers of 0006, written by hand, are now declared on the models
with django-pgtrigger (RenewalCase.Meta.triggers and the proxy PolicyFollowedByCases): the
old ones go first, the declared ones do the same work. The copies are already in step."""

import importlib

import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations

HAND_WRITTEN = importlib.import_module("renewals.migrations.0006_report_dimensions")


class Migration(migrations.Migration):
    dependencies = [
        ("policies", "0005_fewer_indexes"),
        ("renewals", "0008_case_autovacuum"),
    ]

    operations = [
        migrations.RunSQL(
            HAND_WRITTEN.REVERSE_POSTGRESQL,
            # Back to 0006's triggers, without its one-off copy of the cases already there.
            [sql for sql in HAND_WRITTEN.POSTGRESQL if not sql.startswith("UPDATE")],
        ),
        migrations.CreateModel(
            name="PolicyFollowedByCases",
            fields=[],
            options={
                "proxy": True,
                "default_permissions": (),
                "indexes": [],
                "constraints": [],
            },
            bases=("policies.policy",),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="renewalcase",
            trigger=pgtrigger.compiler.Trigger(
                name="case_dimensions",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func='\n        SELECT p."agent_id", p."insurer_id", p."line", p."currency", p."holder_id"\n          INTO NEW."agent_id", NEW."insurer_id", NEW."line", NEW."currency", NEW."holder_id"\n          FROM "policies_policy" p WHERE p."id" = NEW."policy_id";\n        SELECT p."premium", p."currency"\n          INTO NEW."renewed_premium", NEW."renewed_currency"\n          FROM "policies_policy" p WHERE p."id" = NEW."new_policy_id";\n        NEW."renewed_currency" := COALESCE(NEW."renewed_currency", \'\');\n        RETURN NEW;',
                    hash="257ff7f8f849c0bd2cf749f596bdff8a7adf90ae",
                    operation='INSERT OR UPDATE OF "policy_id", "new_policy_id", "agent_id", "insurer_id", "line", "currency", "holder_id", "renewed_premium", "renewed_currency"',
                    pgid="pgtrigger_case_dimensions_04a77",
                    table="renewals_renewalcase",
                    when="BEFORE",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="policyfollowedbycases",
            trigger=pgtrigger.compiler.Trigger(
                name="policy_into_cases",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition='WHEN (OLD."agent_id" IS DISTINCT FROM (NEW."agent_id") OR OLD."currency" IS DISTINCT FROM (NEW."currency") OR OLD."holder_id" IS DISTINCT FROM (NEW."holder_id") OR OLD."insurer_id" IS DISTINCT FROM (NEW."insurer_id") OR OLD."line" IS DISTINCT FROM (NEW."line") OR OLD."premium" IS DISTINCT FROM (NEW."premium"))',
                    func='\n        IF OLD."agent_id" IS DISTINCT FROM NEW."agent_id" OR OLD."insurer_id" IS DISTINCT FROM NEW."insurer_id" OR OLD."line" IS DISTINCT FROM NEW."line" OR OLD."currency" IS DISTINCT FROM NEW."currency" OR OLD."holder_id" IS DISTINCT FROM NEW."holder_id" THEN\n            UPDATE "renewals_renewalcase" SET "agent_id" = NEW."agent_id", "insurer_id" = NEW."insurer_id", "line" = NEW."line", "currency" = NEW."currency", "holder_id" = NEW."holder_id" WHERE "policy_id" = NEW."id";\n        END IF;\n        IF OLD."premium" IS DISTINCT FROM NEW."premium"\n           OR OLD."currency" IS DISTINCT FROM NEW."currency" THEN\n            UPDATE "renewals_renewalcase" SET "renewed_premium" = NEW."premium",\n                   "renewed_currency" = NEW."currency"\n             WHERE "new_policy_id" = NEW."id";\n        END IF;\n        RETURN NULL;',
                    hash="509ceb78b20be0f8f978f69ed9c462e1db35c584",
                    operation='UPDATE OF "agent_id", "insurer_id", "line", "currency", "holder_id", "premium"',
                    pgid="pgtrigger_policy_into_cases_ecb73",
                    table="policies_policy",
                    when="AFTER",
                ),
            ),
        ),
    ]
