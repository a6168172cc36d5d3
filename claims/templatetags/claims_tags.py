"""The claims of a client or a policy on their pages (one query each), without their views
knowing claims."""

from django import template

from claims.selectors import claims_of_client, claims_of_policy

register = template.Library()


@register.simple_tag
def client_claims(client):
    return claims_of_client(client=client)


@register.simple_tag
def policy_claims(policy):
    return claims_of_policy(policy=policy)


@register.simple_tag(takes_context=True)
def contact_countdown(context, claim):
    """The time left to contact the client (or how late it is), written by the server and
    kept ticking by a few lines of script on the page (claims.cards.countdown_html, which the
    call list's claim card writes too)."""
    from claims.cards import countdown_html
    from workqueue.cards import csp_nonce

    return countdown_html(claim, csp_nonce(context))


@register.simple_tag(takes_context=True)
def claim_card(context, item):
    """A claim's first-contact card on the call list (claims.cards.claim_card_html)."""
    from claims.cards import claim_card_html
    from workqueue.cards import card_parts, csp_nonce

    return claim_card_html(item, **card_parts(context), csp_nonce=csp_nonce(context))


@register.filter
def clock(value) -> str:
    """A duration as hours:minutes:seconds (``0:03:21``; ``26:00:05`` past a day)."""
    if value is None:
        return ""
    total = max(int(value.total_seconds()), 0)
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}"
