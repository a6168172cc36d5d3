"""The name search runs `UPPER(display_name) LIKE UPPER('%…%')` (Django's icontains), so the
trigram index must be on UPPER(display_name) for PostgreSQL to use it."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("clients", "0003_alter_client_display_name_alter_client_language_and_more")]

    operations = [
        migrations.RunSQL(
            [
                "DROP INDEX IF EXISTS client_name_trgm",
                "CREATE INDEX IF NOT EXISTS client_name_upper_trgm ON clients_client "
                "USING gin ((UPPER(display_name::text)) gin_trgm_ops)",
            ],
            [
                "DROP INDEX IF EXISTS client_name_upper_trgm",
                "CREATE INDEX IF NOT EXISTS client_name_trgm ON clients_client "
                "USING gin (display_name gin_trgm_ops)",
            ],
        )
    ]
