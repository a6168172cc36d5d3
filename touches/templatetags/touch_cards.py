from django import template

from touches.cards import touch_card_html
from workqueue.cards import card_parts

register = template.Library()


@register.simple_tag(takes_context=True)
def touch_card(context, item):
    """A service touch's card on the call list (touches.cards.touch_card_html)."""
    return touch_card_html(item, **card_parts(context))
