"""The client's timeline and the renewal quotation's title are shown in the reader's
language, whatever the language of whoever wrote them (issue 13, item 11)."""

import pytest
from django.urls import reverse
from django.utils import translation

from brokerage.accounts.tests.factories import TeamFactory
from clients.models import Interaction
from clients.services import interaction_log
from policies.models import Quotation
from policies.tests.factories import QuotationFactory, VehicleFactory
from renewals.jobs import renewals_morning_job
from renewals.kind import RENEWAL_KIND
from renewals.models import RenewalCase
from renewals.services import renewal_defaults, renewal_quote, renewal_renew
from renewals.tests.conftest import TODAY, policy_ending
from workqueue.models import WorkItem
from workqueue.services import item_record_result

pytestmark = pytest.mark.django_db


@pytest.fixture
def worked(ladders, agent):
    policy = policy_ending(30, owner=agent)
    renewals_morning_job(day=TODAY)
    item = WorkItem.objects.get(kind=RENEWAL_KIND)
    return {"policy": policy, "item": item, "case": RenewalCase.objects.get(policy=policy)}


@pytest.fixture
def manager(manager, agent):
    """The agent's manager, who sees the agent's clients."""
    agent.team = TeamFactory(manager=manager)
    agent.save(update_fields=["team"])
    return manager


def _timeline(client, reader, holder) -> str:
    client.force_login(reader)
    response = client.get(reverse("clients:detail", args=[holder.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_it_shows_a_result_logged_in_spanish_in_chinese_to_a_chinese_manager(
    worked, agent, manager, client
):
    agent.language, manager.language = "es", "zh-hans"
    agent.save(update_fields=["language"])
    manager.save(update_fields=["language"])
    with translation.override("es"):
        item_record_result(item=worked["item"], by=agent, result="no_answer", note="buzón lleno")
    entry = Interaction.objects.get(client=worked["policy"].holder)
    policy = str(worked["policy"])
    # Stored in the creator's words too, for search and exports.
    assert entry.summary == f"Renovación de {policy}: No contesta. buzón lleno"
    page = _timeline(client, manager, worked["policy"].holder)
    assert f"{policy} 续保：无人接听。 buzón lleno" in page
    assert "无人接听" in page and "Renovación" not in page and "No contesta" not in page


def test_it_shows_a_result_logged_in_chinese_in_spanish_to_a_spanish_manager(
    worked, agent, manager, client
):
    agent.language, manager.language = "zh-hans", "es"
    agent.save(update_fields=["language"])
    manager.save(update_fields=["language"])
    with translation.override("zh-hans"):
        item_record_result(item=worked["item"], by=agent, result="switched_off")
    entry = Interaction.objects.get(client=worked["policy"].holder)
    assert "续保" in entry.summary
    page = _timeline(client, manager, worked["policy"].holder)
    assert f"Renovación de {worked['policy']}: Apagado." in page
    assert "续保" not in page and "关机" not in page


def test_it_shows_a_renewal_in_the_readers_language(worked, agent):
    VehicleFactory(policy=worked["policy"])
    data = renewal_defaults(case=worked["case"])
    with translation.override("es"):
        renewal_renew(case=worked["case"], by=agent, number="NEW-1", **data)
    entry = Interaction.objects.get(client=worked["policy"].holder)
    assert entry.summary.startswith("Se renovó ")
    with translation.override("zh-hans"):
        assert "已续保为" in entry.text and entry.result_text == "已续保"
    with translation.override("en"):
        assert entry.text.startswith("Renewed ") and entry.result_text == "Renewed"


def test_it_shows_old_rows_and_typed_entries_as_they_were_written(worked, agent):
    holder = worked["policy"].holder
    typed = interaction_log(
        client=holder, by=agent, channel="call", summary="Dice que llama mañana", result="Pendiente"
    )
    old = interaction_log(
        client=holder, by=agent, channel="call", summary="Renovación de X: No contesta.",
        result="No contesta",
    )  # fmt: skip
    # A row written with a code nobody registers (any more) shows what was stored.
    Interaction.objects.filter(pk=old.pk).update(message="gone.code", params={"x": 1})
    old.refresh_from_db()
    with translation.override("zh-hans"):
        assert typed.text == "Dice que llama mañana" and typed.result_text == "Pendiente"
        assert old.text == "Renovación de X: No contesta." and old.result_text == "No contesta"


def test_it_titles_a_renewal_quotation_in_the_readers_language(worked, agent, manager, client):
    with translation.override("es"):
        quotation = renewal_quote(case=worked["case"], by=agent)
    policy = str(worked["policy"])
    quotation = Quotation.objects.get(pk=quotation.pk)
    assert quotation.description == f"Renovación de {policy}"
    with translation.override("zh-hans"):
        assert quotation.title == str(quotation) == f"{policy} 续保"
    with translation.override("es"):
        assert quotation.title == f"Renovación de {policy}"
    manager.language = "zh-hans"
    manager.save(update_fields=["language"])
    client.force_login(manager)
    page = client.get(reverse("policies:quotation", args=[quotation.pk])).content.decode()
    assert f"{policy} 续保" in page and "Renovación" not in page
    assert f"{policy} 续保" in _timeline(client, manager, worked["policy"].holder)


def test_it_keeps_a_typed_quotation_description_as_typed(worked):
    # Even one that renews a policy: only the quotation the system opened is retitled.
    quotation = QuotationFactory(description="Seguro de la camioneta", renews=worked["policy"])
    with translation.override("zh-hans"):
        assert quotation.title == str(quotation) == "Seguro de la camioneta"
