"""A report table's figure as the page shows it (what reports/_cell.html writes, without an
include per cell: a page of 172 agents' rows has about 3,800 cells, and their includes took
most of the agent performance page's time)."""

from django import template
from django.template.defaultfilters import floatformat
from django.utils.formats import localize
from django.utils.html import conditional_escape, format_html
from django.utils.translation import pgettext

from reports.tables import MONEY, NUMBER, PCT

register = template.Library()


@register.filter
def report_cell(value, column):
    """``value`` formatted for ``column``'s kind, as reports/_cell.html formats it (numbers
    localized as ``{{ value }}`` localizes them)."""
    if isinstance(getattr(value, "dom_id", None), str) and value.dom_id:
        return format_html(
            '<span id="{}" class="text-body-secondary" data-pending>{}</span>',
            value.dom_id,
            pgettext("a figure still being computed", "counting…"),
        )
    if value is None:
        return "—"
    if column.kind == PCT:
        return format_html("{} %", localize(value))
    if column.kind == MONEY:
        return floatformat(value, "2g")
    if column.kind == NUMBER:
        return floatformat(value, "-2g")
    return conditional_escape(localize(value))
