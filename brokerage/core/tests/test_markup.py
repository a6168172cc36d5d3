"""brokerage.core.markup.fmt writes what django.utils.html.format_html writes."""

from decimal import Decimal

import pytest
from django.template.defaultfilters import floatformat
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy, ngettext_lazy, override

from brokerage.core.markup import esc, fmt, number, plural, words

VALUES = [
    "<script>alert('x') & \"y\"</script>",
    "Peña²",
    mark_safe("<b>kept</b>"),
    12,
    -7,
    10**20,
    True,
    None,
    3.5,
    gettext_lazy("Key client"),
]


@pytest.mark.parametrize("value", VALUES)
@pytest.mark.parametrize("language", ["en", "es"])
def test_fmt_escapes_as_format_html_does(value, language):
    with override(language):
        assert fmt('<a title="{}">{}</a>', value, value) == format_html(
            '<a title="{}">{}</a>', value, value
        )
        assert isinstance(fmt("{}", value), SafeString)


def test_esc_keeps_what_knows_its_html_and_escapes_the_rest():
    assert esc(mark_safe("<i>")) == "<i>"
    assert esc("<i>") == "&lt;i&gt;"
    assert esc("'") == "&#x27;"


def test_a_plural_is_written_per_language_and_count():
    message = ngettext_lazy("%(counter)s day", "%(counter)s days", "counter")
    with override("es"):
        assert plural("es", message, 1) == "1 día" and plural("es", message, 3) == "3 días"
    with override("en"):
        assert plural("en", message, 1) == "1 day" and plural("en", message, 3) == "3 days"
    assert words("en", "a-key", lambda: "built") == words("en", "a-key", lambda: "again")


AMOUNTS = [
    Decimal("1234567.00"), Decimal("250.5"), Decimal("250.50"), Decimal("0"), Decimal("-0.00"),
    Decimal("-1234.565"), Decimal("0.005"), Decimal("3"), Decimal("3.0"), 12, 3.5, None, "",
]  # fmt: skip


@pytest.mark.parametrize("language", ["en", "es", "zh-hans"])
@pytest.mark.parametrize("arg", ["2g", "-2g", "2"])
def test_a_number_is_written_as_floatformat_writes_it_whatever_was_written_before(language, arg):
    with override(language):
        for _ in range(2):  # the second time from what was kept
            for value in AMOUNTS:
                assert number(language, value, arg) == floatformat(value, arg), value
