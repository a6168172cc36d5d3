"""A payment's receipt as a PDF, in the client's language (WeasyPrint, one document at a time per
process: brokerage.core.pdf)."""

from email.utils import parseaddr

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation

from brokerage.core.pdf import pdf_from_html

from .models import Payment
from .payments import payment_allocations


def brokerage_name() -> str:
    """The brokerage as its e-mails sign (DEFAULT_FROM_EMAIL's display name)."""
    name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return name or address


def receipt_language(payment: Payment) -> str:
    codes = {code for code, _name in settings.LANGUAGES}
    language = payment.client.language
    return language if language in codes else settings.LANGUAGE_CODE


def receipt_pdf(*, payment: Payment, base_url: str) -> bytes:
    allocations = payment_allocations(payment=payment)
    policies = []
    for allocation in allocations:
        policy = allocation.instalment.policy
        if policy not in policies:
            policies.append(policy)
    with translation.override(receipt_language(payment)):
        html = render_to_string(
            "billing/receipt_pdf.html",
            {
                "payment": payment,
                "client": payment.client,
                "allocations": allocations,
                "policies": policies,
                "brokerage": brokerage_name(),
                "printed": timezone.now(),
            },
        )
    return pdf_from_html(html, base_url=base_url)
