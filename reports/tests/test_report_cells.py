"""The table cells' filter writes each figure as reports/_cell.html does, in every language."""

from decimal import Decimal

import pytest
from django.template import Context, Template
from django.template.loader import render_to_string
from django.utils import translation

from reports.tables import INT, MONEY, NUMBER, PCT, TEXT, Column, Pending

VALUES = [None, 0, 1234567, Decimal("50.0"), Decimal("1234567.891"), Decimal("-0.5"),
          "<b>Ana</b>", Pending("client-rate-total")]  # fmt: skip


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("kind", [INT, MONEY, PCT, NUMBER, TEXT])
def test_the_filter_writes_what_the_cell_template_writes(kind, language):
    column = Column("x", "X", kind)
    template = Template("{% load report_cells %}{{ value|report_cell:column }}")
    with translation.override(language):
        for value in VALUES:
            context = {"column": column, "value": value}
            expected = render_to_string("reports/_cell.html", context).strip()
            assert template.render(Context(context)) == expected, (kind, value)
