"""Amounts in Chinese carry thousands separators (issue 13, item 11): 12,500.50, not 12500.50."""

from decimal import Decimal

from django.template import Context, Template
from django.utils import translation


def _money(value, language):
    with translation.override(language):
        return Template('{{ v|floatformat:"2g" }}').render(Context({"v": value}))


def test_it_groups_thousands_in_chinese_amounts():
    assert _money(Decimal("1250050.5"), "zh-hans") == "1,250,050.50"
    assert _money(Decimal("999.5"), "zh-hans") == "999.50"


def test_it_leaves_the_other_languages_as_they_were():
    assert _money(Decimal("1250050.5"), "en") == "1,250,050.50"


def test_it_writes_spanish_amounts_as_mexico_does():
    # The brokerage's Spanish-speaking staff are Mexican: 16,668.15, not Spain's 16 668,15.
    assert _money(Decimal("16668.15"), "es") == "16,668.15"
    assert _money(Decimal("1250050.5"), "es") == "1,250,050.50"
