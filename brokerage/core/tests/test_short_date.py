"""The call list's fast short date writes what Django's date filter writes, in every language."""

import datetime as dt

import pytest
from django.template import engines
from django.utils import timezone, translation
from django.utils.formats import date_format

from brokerage.core.dates import _day_format, short_date, short_date_writer

DAYS = [dt.date(2026, 1, 5), dt.date(2026, 12, 31), dt.date(1999, 7, 9), dt.date(9999, 12, 31),
        dt.date(2004, 2, 29), dt.date(2030, 10, 1)]  # fmt: skip


@pytest.mark.parametrize("language", ["en", "es", "zh-hans"])
def test_the_same_text_as_djangos_short_date_format(language):
    with translation.override(language):
        for day in DAYS:
            assert short_date(day) == date_format(day, "SHORT_DATE_FORMAT")
        assert short_date(None) == short_date("") == ""


def test_a_moment_is_shown_on_its_local_day_like_the_date_filter():
    moment = dt.datetime(2026, 12, 3, 5, 30, tzinfo=dt.UTC)  # the day before in Mexico City
    template = engines["django"].from_string(
        "{% load workqueue_tags %}{{ at|shortdate }}|{{ at|date:'SHORT_DATE_FORMAT' }}"
    )
    with translation.override("es"), timezone.override("America/Mexico_City"):
        fast, django = template.render({"at": moment}).split("|")
    assert fast == django == "02/12/2026"


def test_a_format_with_names_goes_to_djangos_formatter():
    assert _day_format("N j, Y") is None
    assert _day_format(r"d \d\e m") is not None
    with translation.override("en"):
        assert short_date(dt.date(2026, 3, 4)) == "03/04/2026"


@pytest.mark.parametrize("language", ["en", "es", "zh-hans"])
def test_the_writer_for_many_days_writes_what_short_date_writes(language, settings):
    moment = dt.datetime(2026, 12, 3, 5, 30, tzinfo=dt.UTC)
    with translation.override(language):
        write = short_date_writer()
        for value in [*DAYS, moment, dt.datetime(2026, 12, 3, 5, 30), None, ""]:
            assert write(value) == short_date(value)
    settings.SHORT_DATE_FORMAT = "N j, Y"  # names: Django's formatter, as short_date does
    with translation.override("en"), translation.override(None):
        assert short_date_writer()(DAYS[0]) == date_format(DAYS[0], "SHORT_DATE_FORMAT")
