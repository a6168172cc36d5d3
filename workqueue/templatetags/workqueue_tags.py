from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from brokerage.core.dates import short_date
from brokerage.core.markup import esc
from brokerage.core.reversing import pk_url as _pk_url
from workqueue import cards

register = template.Library()


@register.filter(expects_localtime=True)
def shortdate(value):
    """``|date:"SHORT_DATE_FORMAT"`` for the call list's many dates, the same text written
    without Django's general date formatter (brokerage.core.dates.short_date)."""
    return short_date(value)


@register.simple_tag
def submission_token():
    """A hidden input naming this rendering of a result form: posting it twice (a double
    click, a retry) logs one result (workqueue.services.item_record_result)."""
    return format_html('<input type="hidden" name="token" value="{}">', cards.submission_token())


@register.filter
def pk_url(pk, name):
    """``{% url name pk %}`` for the call list's many cards (brokerage.core.reversing):
    ``{{ policy.pk|pk_url:"policies:detail" }}``."""
    return _pk_url(name)(pk)


@register.filter
def stamp(fragment, pk):
    """A fragment written once per page for every card (workqueue.selectors.callback_form),
    stamped with this card's item id and a submission token of its own."""
    return cards.stamp(fragment, pk)


@register.simple_tag(takes_context=True)
def card_results(context, item):
    """The item's result buttons and call-back form (workqueue.cards.results_html), with the
    page's CSRF token and call-back form."""
    return cards.results_html(
        item, csrf_token=context.get("csrf_token"), callback_form=context.get("callback_form")
    )


@register.simple_tag
def card_history(item):
    """The item's call-back time and previous results (workqueue.cards.history_html)."""
    return cards.history_html(item)


@register.simple_tag(takes_context=True)
def call_card(context, item):
    """An item's card on the call list: written by its kind's ``card_html`` when it has one
    (what its card template would call), else its ``card_template`` rendered with the page's
    context, as ``{% include item.kind_info.card_template %}`` renders it."""
    return _card(context, item, cards.card_parts(context))


def _card(context, item, parts: dict):
    kind = item.kind_info
    if kind.card_html is not None:
        if kind.card_script:
            return kind.card_html(item, **parts, csp_nonce=cards.csp_nonce(context))
        return kind.card_html(item, **parts)
    template = context.template.engine.get_template(kind.card_template)
    with context.push(item=item):
        return template.render(context)


# The call list's loop laid each card on a line of its own, indented as in its template.
CARD_LINE = "\n            {}\n          "


@register.simple_tag(takes_context=True)
def call_cards(context, items):
    """The cards of a group of items, each as ``{% call_card item %}`` writes it and laid out
    as the call list's ``{% for item in group.items %}`` loop laid them out (a loop and a tag
    per card cost some 15 µs of a card), the page's card parts looked up once."""
    parts = cards.card_parts(context)
    return SafeString(
        "".join(CARD_LINE.format(esc(_card(context, item, parts))) for item in items)
    )  # (safe: each card escaped as the tag's output would be)
