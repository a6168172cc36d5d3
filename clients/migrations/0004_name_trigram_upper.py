"""The name search runs `UPPER(display_name) LIKE UPPER('%…%')` (Django's icontains), so the
trigram index must be on UPPER(display_name) for PostgreSQL to use it."""

from django.db import migrations


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS client_name_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS client_name_upper_trgm ON clients_client "
        "USING gin ((UPPER(display_name::text)) gin_trgm_ops)"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS client_name_upper_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS client_name_trgm ON clients_client "
        "USING gin (display_name gin_trgm_ops)"
    )


class Migration(migrations.Migration):
    dependencies = [("clients", "0003_alter_client_display_name_alter_client_language_and_more")]

    operations = [migrations.RunPython(create_index, drop_index)]
