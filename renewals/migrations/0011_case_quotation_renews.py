"""A renewal quotation says which policy it renews (policies.Quotation.renews), so that the
quote bought renews it: the quotations cases already keep get their case's policy."""

from django.db import migrations
from django.db.models import OuterRef, Subquery


def link_renewed_policies(apps, schema_editor):
    RenewalCase = apps.get_model("renewals", "RenewalCase")
    Quotation = apps.get_model("policies", "Quotation")
    cases = RenewalCase.objects.filter(quotation=OuterRef("pk")).order_by("-pk")
    Quotation.objects.filter(
        renews__isnull=True,
        pk__in=RenewalCase.objects.filter(quotation__isnull=False).values("quotation_id"),
    ).update(renews=Subquery(cases.values("policy_id")[:1]))


class Migration(migrations.Migration):
    dependencies = [
        ("policies", "0006_quotation_renews"),
        ("renewals", "0010_case_quotation"),
    ]

    operations = [migrations.RunPython(link_renewed_policies, migrations.RunPython.noop)]
