"""The service touches section of a client file (one query), without the clients' views
knowing touches."""

from django import template

from workqueue import kinds

from ..models import Touch

register = template.Library()

# The touches a client file shows, newest first.
CLIENT_TOUCHES = 10


@register.simple_tag
def client_touches_of(client) -> list[Touch]:
    touches = list(
        Touch.objects.filter(client=client)
        .select_related("policy", "vehicle")
        .order_by("-due_on", "-pk")[:CLIENT_TOUCHES]
    )
    for touch in touches:
        touch.result_label = (
            kinds.result_label(touch.result, kind=touch.kind) if touch.result else ""
        )
    return touches
