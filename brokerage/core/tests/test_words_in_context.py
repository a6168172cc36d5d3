"""English words with two meanings are translated by their context (issue 13, item 11): the
date range's "to" is not a message's recipient, a report's "By" grouping is not the person who
ran something, a work item's "Due" date is not the renewals due in a period."""

import re

import pytest
from django.utils import translation

from brokerage.accounts.tests.factories import UserFactory
from clients.tests.factories import ClientFactory
from policies.tests.factories import PolicyFactory
from renewals.tests.factories import RenewalCaseFactory

pytestmark = pytest.mark.django_db


def _label(html: str, for_id: str) -> str:
    found = re.search(rf'<label[^>]*for="{for_id}"[^>]*>([^<]*)</label>', html)
    assert found, f"no label for {for_id}"
    return found.group(1).strip()


@pytest.mark.parametrize(
    ("language", "to", "by"), [("zh-hans", "至", "分组方式"), ("es", "hasta", "Agrupar por")]
)
def test_it_says_the_date_range_and_grouping_in_their_sense(client, language, to, by):
    manager = UserFactory(roles=["manager"], language=language)
    client.force_login(manager)
    html = client.get("/reports/renewals/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert (_label(html, "end"), _label(html, "by")) == (to, by)
    assert "收件人" not in html and "destinatario" not in html


@pytest.mark.parametrize(("language", "word"), [("zh-hans", "续保案件"), ("es", "Caso")])
def test_it_calls_a_renewal_case_a_case(client, language, word):
    manager = UserFactory(roles=["admin"], language=language)
    RenewalCaseFactory(policy=PolicyFactory(holder=ClientFactory()))
    client.force_login(manager)
    html = client.get("/renewals/?status=all").content.decode()
    links = re.findall(r'data-testid="case-link">([^<]*)<', html)
    assert links and set(links) == {word}


def test_the_same_word_keeps_its_other_senses():
    with translation.override("zh-hans"):
        assert translation.pgettext("message recipient", "to") == "收件人"
        assert translation.pgettext("renewals due in the period", "Due") == "应续"
        assert translation.pgettext("work item due on", "Due") == "应办日期"
        assert translation.pgettext("done by a person", "By") == "执行人"
    with translation.override("es"):
        assert translation.pgettext("renewals due in the period", "Due") == "A renovar"
        assert translation.pgettext("work item due on", "Due") == "Para el"
