"""The service sections of a policy page and a client file (two queries each), without their
views knowing policy service."""

from django import template

from servicing.selectors import client_service, policy_service

register = template.Library()


@register.simple_tag
def policy_service_of(policy):
    return policy_service(policy=policy)


@register.simple_tag
def client_service_of(client):
    return client_service(client=client)
