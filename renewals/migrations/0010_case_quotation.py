"""A renewal case keeps its quotation (renewal_quote found it by a translated description
prefix). Open cases with an open quotation of their holder that names their policy get it."""

import django.db.models.deletion
from django.db import migrations, models


def link_open_quotations(apps, schema_editor):
    """Set-wise from the quotations' side: open quotations are few (agents write them), open
    cases many."""
    RenewalCase = apps.get_model("renewals", "RenewalCase")
    Quotation = apps.get_model("policies", "Quotation")
    open_cases = RenewalCase.objects.filter(status="open")
    quotations = Quotation.objects.filter(
        status="open", client_id__in=open_cases.values("policy__holder_id")
    ).order_by("created_at", "pk")
    for quotation in quotations.iterator():
        # The latest quotation naming the policy wins (later ones overwrite earlier ones).
        for case_id, number in open_cases.filter(policy__holder_id=quotation.client_id).values_list(
            "pk", "policy__number"
        ):
            if number and number in quotation.description:
                RenewalCase.objects.filter(pk=case_id).update(quotation=quotation)


class Migration(migrations.Migration):
    dependencies = [
        ("policies", "0005_fewer_indexes"),
        ("renewals", "0009_trigger_declared_report_dimensions"),
    ]

    operations = [
        migrations.AddField(
            model_name="renewalcase",
            name="quotation",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="policies.quotation",
                verbose_name="renewal quotation",
            ),
        ),
        migrations.RunPython(link_open_quotations, migrations.RunPython.noop),
    ]
