"""The triggers in the database are the ones the models declare (django-pgtrigger): every
declared trigger installed as the code declares it now (not an older version: a model changed
without its migration would read OUTDATED) and enabled, and no pgtrigger trigger installed that
no model declares. `python manage.py pgtrigger ls` lists the same."""

import pgtrigger
import pytest
from django.db import connection

from policies.models import Policy
from renewals.models import RenewalCase

pytestmark = pytest.mark.django_db


def test_every_declared_trigger_is_installed_as_declared_and_enabled():
    status = {
        trigger.get_uri(model): trigger.get_installation_status(model)
        for model, trigger in pgtrigger.registered()
    }
    assert {
        "renewals.RenewalCase:case_dimensions",
        "renewals.PolicyFollowedByCases:policy_into_cases",
    } <= set(status)
    assert status == dict.fromkeys(status, (pgtrigger.core.INSTALLED, True))


def test_no_trigger_is_installed_that_no_model_declares():
    assert pgtrigger.prunable() == []


def test_the_report_columns_have_no_hand_written_triggers_left():
    tables = [RenewalCase._meta.db_table, Policy._meta.db_table]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgrelid::regclass::text"
            " = ANY(%s) AND tgname NOT LIKE 'pgtrigger\\_%%'",
            [tables],
        )
        assert cursor.fetchall() == []
