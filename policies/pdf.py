"""The printable policy summary and payment form (seed 000, step 2), rendered with WeasyPrint
one document at a time per process (brokerage.core.pdf: Pango is not thread-safe)."""

from django.template.loader import render_to_string
from django.utils import timezone, translation

from brokerage.core.pdf import pdf_from_html

from .models import Policy, policy_date_errors
from .schedule import policy_schedule


class PolicyNotPrintable(Exception):
    """The policy's dates are out of bounds (a row older than the bounds): nothing is drawn."""


def policy_pdf(*, policy: Policy, language: str, base_url: str) -> bytes:
    if policy_date_errors(start=policy.start_date, end=policy.end_date):
        raise PolicyNotPrintable(policy.pk)
    with translation.override(language):
        html = render_to_string(
            "policies/policy_pdf.html",
            {
                "policy": policy,
                "vehicles": list(policy.vehicles.all()),
                "instalments": policy_schedule(policy),
                "printed": timezone.now(),
            },
        )
    return pdf_from_html(html, base_url=base_url)
