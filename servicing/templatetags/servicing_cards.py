from django import template

from servicing.cards import service_card_html
from workqueue.cards import card_parts

register = template.Library()


@register.simple_tag(takes_context=True)
def service_card(context, item):
    """A service request's or a service case's card on the call list
    (servicing.cards.service_card_html)."""
    return service_card_html(item, **card_parts(context))
