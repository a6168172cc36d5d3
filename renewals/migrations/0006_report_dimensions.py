"""Report dimensions copied onto renewal cases and kept in step by triggers (declared on the
models with django-pgtrigger since 0009, which drops these)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# A case's report dimensions are the policy's: read on every insert, and again whenever an
# update names the policy, the renewing policy or a copied column (a model save() names them
# all, so a stale copy in memory is never written back).
DIMENSIONS = "agent_id, insurer_id, line, currency, holder_id"
CASE_COLUMNS = f"policy_id, new_policy_id, {DIMENSIONS}, renewed_premium, renewed_currency"
POLICY_CHANGED = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in DIMENSIONS.split(", "))

POSTGRESQL = [
    f"""
    CREATE FUNCTION renewals_case_dimensions() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        SELECT {DIMENSIONS} INTO NEW.agent_id, NEW.insurer_id, NEW.line, NEW.currency,
               NEW.holder_id
          FROM policies_policy WHERE id = NEW.policy_id;
        SELECT premium, currency INTO NEW.renewed_premium, NEW.renewed_currency
          FROM policies_policy WHERE id = NEW.new_policy_id;
        NEW.renewed_currency := COALESCE(NEW.renewed_currency, '');
        RETURN NEW;
    END $$""",
    f"""
    CREATE TRIGGER renewals_case_dimensions
    BEFORE INSERT OR UPDATE OF {CASE_COLUMNS} ON renewals_renewalcase
    FOR EACH ROW EXECUTE FUNCTION renewals_case_dimensions()""",
    f"""
    CREATE FUNCTION renewals_policy_dimensions() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF {POLICY_CHANGED} THEN
            UPDATE renewals_renewalcase SET agent_id = NEW.agent_id,
                   insurer_id = NEW.insurer_id, line = NEW.line, currency = NEW.currency,
                   holder_id = NEW.holder_id
             WHERE policy_id = NEW.id;
        END IF;
        IF OLD.premium IS DISTINCT FROM NEW.premium OR OLD.currency IS DISTINCT FROM NEW.currency
        THEN
            UPDATE renewals_renewalcase SET renewed_premium = NEW.premium,
                   renewed_currency = NEW.currency
             WHERE new_policy_id = NEW.id;
        END IF;
        RETURN NULL;
    END $$""",
    f"""
    CREATE TRIGGER renewals_policy_dimensions
    AFTER UPDATE OF {DIMENSIONS}, premium ON policies_policy FOR EACH ROW
    WHEN ({POLICY_CHANGED} OR OLD.premium IS DISTINCT FROM NEW.premium)
    EXECUTE FUNCTION renewals_policy_dimensions()""",
    # The cases already there: the update names the policy, so the trigger copies.
    "UPDATE renewals_renewalcase SET policy_id = policy_id",
]
REVERSE_POSTGRESQL = [
    "DROP TRIGGER renewals_policy_dimensions ON policies_policy",
    "DROP FUNCTION renewals_policy_dimensions()",
    "DROP TRIGGER renewals_case_dimensions ON renewals_renewalcase",
    "DROP FUNCTION renewals_case_dimensions()",
]


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0005_fewer_indexes"),
        ("policies", "0005_fewer_indexes"),
        ("renewals", "0005_renewalcase_end_date"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="renewalcase",
            name="agent",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="agent",
            ),
        ),
        migrations.AddField(
            model_name="renewalcase",
            name="currency",
            field=models.CharField(
                db_default="", default="", editable=False, max_length=3, verbose_name="currency"
            ),
        ),
        migrations.AddField(
            model_name="renewalcase",
            name="holder",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="clients.client",
                verbose_name="client",
            ),
        ),
        migrations.AddField(
            model_name="renewalcase",
            name="insurer",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="policies.insurer",
                verbose_name="insurer",
            ),
        ),
        migrations.AddField(
            model_name="renewalcase",
            name="line",
            field=models.CharField(
                db_default="",
                default="",
                editable=False,
                max_length=16,
                verbose_name="line of business",
            ),
        ),
        migrations.AddField(
            model_name="renewalcase",
            name="renewed_premium",
            field=models.DecimalField(
                decimal_places=2,
                editable=False,
                max_digits=12,
                null=True,
                verbose_name="renewed premium",
            ),
        ),
        migrations.AddField(
            model_name="renewalcase",
            name="renewed_currency",
            field=models.CharField(
                db_default="",
                default="",
                editable=False,
                max_length=3,
                verbose_name="renewed premium currency",
            ),
        ),
        migrations.RunSQL(POSTGRESQL, REVERSE_POSTGRESQL),
    ]
