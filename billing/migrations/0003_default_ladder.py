from django.db import migrations

# Seed 000's payment-due ladder: a reminder 7 and 1 day before the due date, a call on the day,
# calls 3 and 15 days overdue (higher priority).
DEFAULT_RUNGS = [(-7, "message", 40), (-1, "message", 45), (0, "call", 60), (3, "call", 80),
                 (15, "call", 90)]  # fmt: skip


def seed(apps, schema_editor):
    rung = apps.get_model("billing", "CollectionRung")
    if not rung.objects.exists():
        rung.objects.bulk_create(
            rung(days=days, action=action, priority=priority)
            for days, action, priority in DEFAULT_RUNGS
        )


class Migration(migrations.Migration):
    dependencies = [("billing", "0002_ladder_promises_risks")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
