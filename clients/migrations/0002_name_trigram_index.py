"""Trigram index on client names, for the one-box search."""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("clients", "0001_initial")]

    operations = [
        TrigramExtension(),
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS client_name_trgm ON clients_client "
            "USING gin (display_name gin_trgm_ops)",
            "DROP INDEX IF EXISTS client_name_trgm",
        ),
    ]
