"""A preset ladder's name is read in the reader's language until someone renames it
(issue 13, item 11)."""

import pytest
from django.urls import reverse
from django.utils import translation

from brokerage.accounts.tests.factories import UserFactory
from renewals.ladders import DEALER_RUNGS, validate_rungs
from renewals.models import Ladder
from renewals.tests.test_ladder_pages import ladder_post, own_rungs

pytestmark = pytest.mark.django_db

ENGLISH = "Dealer channel (60 days to expiry)"


ZH = "车商渠道（到期前 60 天）"


@pytest.fixture
def dealer(ladders):
    """The dealer preset, with its English default name."""
    Ladder.objects.filter(pk=ladders["dealer"].pk).update(name=ENGLISH, preset="dealer")
    return Ladder.objects.get(pk=ladders["dealer"].pk)


def test_it_names_a_preset_ladder_in_the_reader_language(client, dealer):
    with translation.override("zh-hans"):
        assert str(dealer) == dealer.display_name == ZH
    with translation.override("en"):
        assert str(dealer) == ENGLISH
    client.force_login(UserFactory(roles=["manager"], language="zh-hans"))
    page = client.get(reverse("renewals:ladders")).content.decode()
    assert ZH in page and ENGLISH not in page


def test_it_keeps_the_preset_when_the_translated_name_is_saved_unchanged(client, dealer):
    client.force_login(UserFactory(roles=["manager"], language="zh-hans"))
    form = client.get(reverse("renewals:ladder_edit", args=[dealer.pk])).context["form"]
    assert form.initial["name"] == ZH
    rungs = own_rungs(dealer)
    data = ladder_post(name=ZH, code="dealer", rungs=rungs, initial=len(rungs))
    assert client.post(reverse("renewals:ladder_edit", args=[dealer.pk]), data).status_code == 302
    dealer.refresh_from_db()
    assert dealer.name == ENGLISH
    with translation.override("en"):
        assert dealer.display_name == ENGLISH


def test_it_keeps_the_name_of_a_renamed_preset_ladder(client, dealer):
    client.force_login(UserFactory(roles=["manager"], language="zh-hans"))
    rungs = own_rungs(dealer)
    data = ladder_post(name="经销商", code="dealer", rungs=rungs, initial=len(rungs))
    client.post(reverse("renewals:ladder_edit", args=[dealer.pk]), data)
    dealer.refresh_from_db()
    for language in ("en", "es", "zh-hans"):
        with translation.override(language):
            assert dealer.display_name == str(dealer) == "经销商"


def test_it_shows_a_ladder_without_preset_by_its_name():
    ladder = Ladder.objects.create(name=ENGLISH, code="own", rungs=validate_rungs(DEALER_RUNGS))
    with translation.override("zh-hans"):
        assert ladder.display_name == ENGLISH


def test_the_migration_marks_the_presets():
    """The presets made by migration 0002 carry their preset code (non-transactional tests
    keep the migrated rows)."""
    presets = dict(
        Ladder.objects.filter(code__in=["design-card", "dealer"]).values_list("code", "preset")
    )
    assert presets == {"design-card": "design-card", "dealer": "dealer"}
