from django.db import migrations

# The seeds' touches (touches.defaults): kind, days, mode, priority.
DEFAULTS = [
    ("thank_you", 3, "call", 30),
    ("plate_endorsement", 15, "call", 40),
    ("return_visit", 7, "call", 20),
    ("inspection_due", 15, "call", 25),
    ("licence_due", 15, "call", 25),
    ("birthday", 0, "message", 10),
    ("holiday", 0, "message", 10),
]


def seed(apps, schema_editor):
    setting = apps.get_model("touches", "TouchSetting")
    present = set(setting.objects.values_list("kind", flat=True))
    setting.objects.bulk_create(
        setting(kind=kind, enabled=True, days=days, mode=mode, priority=priority)
        for kind, days, mode, priority in DEFAULTS
        if kind not in present
    )


class Migration(migrations.Migration):
    dependencies = [("touches", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
