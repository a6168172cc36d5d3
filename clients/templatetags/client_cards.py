from django import template

from clients.links import call_contact_html

register = template.Library()


@register.simple_tag
def call_contact(client, phone="", whatsapp_url=""):
    """Who to call on a call-list card and how (clients.links.call_contact_html)."""
    return call_contact_html(client, phone, whatsapp_url)
