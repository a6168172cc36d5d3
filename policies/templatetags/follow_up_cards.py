from django import template

from policies.follow_up_card import follow_up_card_html
from workqueue.cards import card_parts

register = template.Library()


@register.simple_tag(takes_context=True)
def follow_up_card(context, item):
    """A quote follow-up's card on the call list (policies.follow_up_card.follow_up_card_html)."""
    return follow_up_card_html(item, **card_parts(context))
