from django import template

from billing.cards import payment_card_html
from workqueue.cards import card_parts

register = template.Library()


@register.simple_tag(takes_context=True)
def payment_card(context, item):
    """A payment-due card on the call list (billing.cards.payment_card_html)."""
    return payment_card_html(item, **card_parts(context))
