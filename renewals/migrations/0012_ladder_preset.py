"""Preset ladders know their preset (Ladder.preset): their name is shown in the reader's
language while nobody renamed them."""

from django.db import migrations, models

PRESETS = ("design-card", "dealer")  # migration 0002's ladders


def mark(apps, schema_editor):
    Ladder = apps.get_model("renewals", "Ladder")
    for code in PRESETS:
        Ladder.objects.filter(code=code).update(preset=code)


class Migration(migrations.Migration):
    dependencies = [("renewals", "0011_case_quotation_renews")]

    operations = [
        migrations.AddField(
            model_name="ladder",
            name="preset",
            field=models.CharField(
                blank=True, editable=False, max_length=30, verbose_name="preset"
            ),
        ),
        migrations.RunPython(mark, migrations.RunPython.noop),
    ]
