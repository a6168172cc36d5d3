"""What every call card about a policy shows at its head (the payment-due and renewal cards of
the call list): who to call and how, the policy's number linked to its page, its insurer and
line, and the card's own rows of details."""

from django.utils.safestring import SafeString

from brokerage.core.markup import fmt
from brokerage.core.reversing import pk_url
from clients.links import call_contact_html


def policy_call_head_html(ctx: dict, policy, rows) -> str:
    """The head of a policy's call card; ``rows`` are the card's <dt>/<dd> pairs, each already
    escaped."""
    return fmt(
        '<div class="d-flex flex-wrap align-items-start gap-3"><div class="me-auto">{}'
        '<div class="small text-body-secondary"><a href="{}">{}</a> · {} · {}</div></div>'
        '<dl class="row small mb-0 text-nowrap" style="min-width: 16rem">{}</dl></div>',
        call_contact_html(ctx["client"], ctx.get("phone"), ctx.get("whatsapp_url")),
        pk_url("policies:detail")(policy.pk),
        policy.number,
        policy.insurer,
        policy.get_line_display(),
        SafeString("".join(rows)),  # (safe: each row escaped by the card)
    )
