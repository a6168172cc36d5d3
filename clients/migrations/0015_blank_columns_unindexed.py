# Columns most client files leave blank (other phone, WhatsApp, the national or tax ID a
# person or company lacks) indexed where filled: an import writes no index entry for a blank.

import django.db.models.functions.text
import django.db.models.lookups
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0014_user_unchecked"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="client",
            name="client_phone_other",
        ),
        migrations.RemoveIndex(
            model_name="client",
            name="client_whatsapp",
        ),
        migrations.RemoveIndex(
            model_name="client",
            name="client_national_id_key",
        ),
        migrations.RemoveIndex(
            model_name="client",
            name="client_tax_id_key",
        ),
        migrations.AddIndex(
            model_name="client",
            index=models.Index(
                condition=models.Q(("phone_other", ""), _negated=True),
                fields=["phone_other"],
                name="client_phone_other",
            ),
        ),
        migrations.AddIndex(
            model_name="client",
            index=models.Index(
                condition=models.Q(("whatsapp", ""), _negated=True),
                fields=["whatsapp"],
                name="client_whatsapp",
            ),
        ),
        migrations.AddIndex(
            model_name="client",
            index=models.Index(
                django.db.models.functions.text.Upper(
                    models.Func(
                        models.F("national_id"),
                        models.Value(" -_./"),
                        models.Value(""),
                        function="TRANSLATE",
                    )
                ),
                condition=models.Q(
                    django.db.models.lookups.Exact(
                        django.db.models.functions.text.Upper(
                            models.Func(
                                models.F("national_id"),
                                models.Value(" -_./"),
                                models.Value(""),
                                function="TRANSLATE",
                            )
                        ),
                        "",
                    ),
                    _negated=True,
                ),
                name="client_national_id_key",
            ),
        ),
        migrations.AddIndex(
            model_name="client",
            index=models.Index(
                django.db.models.functions.text.Upper(
                    models.Func(
                        models.F("tax_id"),
                        models.Value(" -_./"),
                        models.Value(""),
                        function="TRANSLATE",
                    )
                ),
                condition=models.Q(
                    django.db.models.lookups.Exact(
                        django.db.models.functions.text.Upper(
                            models.Func(
                                models.F("tax_id"),
                                models.Value(" -_./"),
                                models.Value(""),
                                function="TRANSLATE",
                            )
                        ),
                        "",
                    ),
                    _negated=True,
                ),
                name="client_tax_id_key",
            ),
        ),
    ]
