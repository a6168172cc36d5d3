from django import template

from renewals.cards import renewal_card_html
from workqueue.cards import card_parts

register = template.Library()


@register.simple_tag(takes_context=True)
def renewal_card(context, item):
    """A renewal touch's card on the call list (renewals.cards.renewal_card_html)."""
    return renewal_card_html(item, **card_parts(context))
