"""Timeline rows written before message codes existed are read back into codes and shown in
the reader's language (issue 13, item 11); what cannot be read back stays as it was."""

import importlib

import pytest
from django.apps import apps
from django.db import connection
from django.db.migrations.operations import RunPython
from django.utils import translation

from brokerage.accounts.tests.factories import UserFactory
from clients.models import Interaction
from clients.tests.factories import ClientFactory

backfill_migration = importlib.import_module("clients.migrations.0009_interaction_message_backfill")

pytestmark = pytest.mark.django_db


@pytest.fixture
def old_row():
    """A timeline row as the system wrote it before message codes: only summary and result."""
    agent = UserFactory(roles=["agent"])
    holder = ClientFactory(owner=agent)

    def write(summary, result, channel="call"):
        return Interaction.objects.create(
            client=holder, user=agent, channel=channel, summary=summary, result=result
        )

    return write


def _backfill():
    backfill_migration.backfill(apps, connection.schema_editor())


def _read(row, language):
    row = Interaction.objects.get(pk=row.pk)
    with translation.override(language):
        return row.text, row.result_text


def test_a_result_logged_in_spanish_reads_in_chinese_and_english(old_row):
    row = old_row("Renovación de GNP GNP-1: No contesta. buzón lleno", "No contesta")
    _backfill()
    row.refresh_from_db()
    assert row.message == "renewals.result"
    assert row.params == {"policy": "GNP GNP-1", "result": "no_answer", "note": "buzón lleno"}
    assert _read(row, "zh-hans") == ("GNP GNP-1 续保：无人接听。 buzón lleno", "无人接听")
    assert _read(row, "en") == ("Renewal of GNP GNP-1: No answer. buzón lleno", "No answer")
    # The creator's words stay for search and exports.
    assert row.summary == "Renovación de GNP GNP-1: No contesta. buzón lleno"


def test_a_renewal_logged_in_chinese_reads_in_spanish(old_row):
    row = old_row("PICC PICC-7 已续保为 PICC NEW-7。", "已续保")
    _backfill()
    assert _read(row, "es") == ("Se renovó PICC PICC-7 como PICC NEW-7.", "Renovada")
    assert _read(row, "en") == ("Renewed PICC PICC-7 as PICC NEW-7.", "Renewed")


def test_a_follow_up_of_a_renewal_quotation_logged_in_chinese_reads_in_spanish(old_row):
    renewal = old_row("报价单“PICC PICC-7 续保”的跟进：不感兴趣。 太贵了", "不感兴趣")
    typed = old_row("Follow-up of the quotation “Pickup insurance”: Call back.", "Call back")
    _backfill()
    assert _read(renewal, "es") == (
        "Seguimiento de la cotización «Renovación de PICC PICC-7»: Rechazada. 太贵了",
        "Rechazada",  # the result "not interested" is now read as "declined" (with its reason)
    )
    # A description someone typed is shown as typed.
    assert _read(typed, "zh-hans") == ("报价单“Pickup insurance”的跟进：回电。", "回电")


def test_every_result_of_every_language_is_read_back(old_row):
    rows = {}
    for code, labels in backfill_migration.RENEWAL_RESULTS.items():
        rows[code, "es"] = old_row(f"Renovación de HDI H-{code}: {labels['es']}.", labels["es"])
        rows[code, "zh"] = old_row(f"HDI H-{code} 续保：{labels['zh-hans']}。", labels["zh-hans"])
        rows[code, "en"] = old_row(f"Renewal of HDI H-{code}: {labels['en']}.", labels["en"])
    _backfill()
    for (code, _language), row in rows.items():
        row.refresh_from_db()
        assert (row.message, row.params["result"]) == ("renewals.result", code)
        assert row.params["policy"] == f"HDI H-{code}"


def test_what_cannot_be_read_back_stays_as_it_was(old_row):
    left = [
        # Typed by an agent.
        old_row("Renovación de la póliza: dice que llama mañana", "Pendiente"),
        # A sentence of ours whose stored result is not the sentence's.
        old_row("Renovación de GNP GNP-1: No contesta.", "Otro"),
        # A result label no kind offered.
        old_row("Renewal of GNP GNP-1: Maybe.", "Maybe"),
        # Not a call.
        old_row("Renovación de GNP GNP-1: No contesta.", "No contesta", channel="visit"),
    ]
    coded = old_row("Renovación de GNP GNP-1: Apagado.", "Apagado")
    Interaction.objects.filter(pk=coded.pk).update(message="gone.code", params={"x": 1})
    _backfill()
    for row in left:
        row.refresh_from_db()
        assert (row.message, row.params) == ("", {})
    coded.refresh_from_db()
    assert (coded.message, coded.params) == ("gone.code", {"x": 1})


def test_it_reads_in_ranges_of_ids_and_a_second_run_changes_nothing(old_row, monkeypatch):
    monkeypatch.setattr(backfill_migration, "RANGE", 2)
    rows = [old_row(f"Renovación de GNP G-{n}: Apagado.", "Apagado") for n in range(5)]
    rows.append(old_row("GNP G-9 续保：关机。", "关机"))
    _backfill()
    assert {r.message for r in Interaction.objects.filter(pk__in=[r.pk for r in rows])} == {
        "renewals.result"
    }
    before = list(Interaction.objects.values_list("pk", "message", "params").order_by("pk"))
    _backfill()
    assert list(Interaction.objects.values_list("pk", "message", "params").order_by("pk")) == before


def test_reversing_it_leaves_the_rows_alone():
    (operation,) = backfill_migration.Migration.operations
    assert operation.reversible and operation.reverse_code is RunPython.noop
