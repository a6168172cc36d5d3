"""The two preset ladders: the design card's 30/25/15 (default) and seed 004's dealer ladder."""

from django.db import migrations

DEFAULT_RUNGS = [
    {"days": 30, "stage": "reminder", "message": ""},
    {"days": 25, "stage": "reminder", "message": ""},
    {"days": 15, "stage": "quote", "message": ""},
]
DEALER_RUNGS = [
    {"days": days, "stage": stage, "message": ""}
    for days, stage in [
        (60, "reminder"),
        (55, "reminder"),
        (45, "negotiation"),
        (40, "negotiation"),
        (30, "confirmation"),
        (25, "confirmation"),
        (15, "push"),
        (10, "push"),
        (7, "persist"),
        (3, "persist"),
        (0, "lapse_notice"),
    ]
]


def create(apps, schema_editor):
    Ladder = apps.get_model("renewals", "Ladder")
    Ladder.objects.update_or_create(
        code="design-card",
        defaults={"name": "30 / 25 / 15 days", "rungs": DEFAULT_RUNGS, "is_default": True},
    )
    Ladder.objects.update_or_create(
        code="dealer",
        defaults={"name": "Dealer channel (60 days to expiry)", "rungs": DEALER_RUNGS},
    )


class Migration(migrations.Migration):
    dependencies = [("renewals", "0001_initial")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
