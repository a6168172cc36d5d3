"""Database triggers (and other statements of one database's own) kept in migrations, written
once per vendor: PostgreSQL (the server) and SQLite (the embedded default of `make run`)."""

from django.db import migrations


def per_vendor(*, postgresql: list[str], sqlite: list[str], reverse_postgresql: list[str],
               reverse_sqlite: list[str]) -> migrations.RunPython:  # fmt: skip
    """A migration operation running the statements written for the database it migrates."""

    def run(statements):
        def apply(apps, schema_editor):
            vendor = schema_editor.connection.vendor
            if vendor not in statements:
                raise NotImplementedError(f"no triggers written for {vendor}")
            for sql in statements[vendor]:
                schema_editor.execute(sql, params=None)

        return apply

    return migrations.RunPython(
        run({"postgresql": postgresql, "sqlite": sqlite}),
        run({"postgresql": reverse_postgresql, "sqlite": reverse_sqlite}),
    )
