# IDs are compared in their normal form only (duplicate checks, the search box, imports): the
# plain indexes beside the expression ones go (each was written for every imported client).

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0012_history_without_date_index"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="client",
            name="client_national_id",
        ),
        migrations.RemoveIndex(
            model_name="client",
            name="client_tax_id",
        ),
    ]
