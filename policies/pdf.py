"""The printable policy summary and payment form (seed 000, step 2) and the printable quotation
a prospect receives on paper or by e-mail (seed 000), rendered with WeasyPrint one document at
a time per process (brokerage.core.pdf: Pango is not thread-safe)."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.template.loader import render_to_string
from django.utils import timezone, translation

from brokerage.core.pdf import pdf_from_html

from .models import (
    PaymentFrequency,
    Policy,
    Quotation,
    Quote,
    QuoteStatus,
    policy_date_errors,
)
from .schedule import instalment_schedule, policy_schedule


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


@dataclass(frozen=True)
class PaymentOption:
    """One way of paying a quote's premium over a one-year term: the frequency, the number of
    instalments, the first one (which takes the cents that do not divide) and the others."""

    frequency: str  # the label, in the reader's language
    count: int
    first: Decimal
    rest: Decimal | None


def payment_options(*, premium: Decimal, start: date) -> list[PaymentOption]:
    """The payment frequencies Cartera knows, each with its instalments for a one-year term
    from ``start`` (as the policy's schedule would split them)."""
    end = start + relativedelta(years=1)
    options = []
    for frequency in PaymentFrequency:
        schedule = instalment_schedule(premium=premium, frequency=frequency, start=start, end=end)
        options.append(
            PaymentOption(
                frequency=str(frequency.label),
                count=len(schedule),
                first=schedule[0].amount,
                rest=schedule[1].amount if len(schedule) > 1 else None,
            )  # fmt: skip
        )
    return options


class QuotationNotPrintable(Exception):
    """The quotation has no open quote: there is nothing to offer the client."""


def quotation_offered(quotation: Quotation) -> list[Quote]:
    """The quotes offered to the client: the open ones, the preferred insurer first, then by
    premium (Quote's ordering; read from the quotation's prefetched quotes when there)."""
    quotes = [q for q in quotation.quotes.all() if q.status == QuoteStatus.OPEN]
    return sorted(quotes, key=lambda q: (not q.insurer.preferred, q.premium, q.pk))


def quotation_pdf(*, quotation: Quotation, language: str, base_url: str | None = None) -> bytes:
    """The printable quotation, in ``language`` (the client's): the client and their need,
    the insurers' offers side by side with premium, coverage, validity and the payment
    options of each."""
    quotes = quotation_offered(quotation)
    if not quotes:
        raise QuotationNotPrintable(quotation.pk)
    today = timezone.localdate()
    with translation.override(language):
        offers = [
            {"quote": quote, "options": payment_options(premium=quote.premium, start=today)}
            for quote in quotes
        ]
        html = render_to_string(
            "policies/quotation_pdf.html",
            {
                "quotation": quotation,
                "client": quotation.client,
                "title": quotation.title,
                "offers": offers,
                "frequencies": [offer.frequency for offer in offers[0]["options"]],
                "printed": timezone.now(),
            },
        )
    return pdf_from_html(html, base_url=base_url)
