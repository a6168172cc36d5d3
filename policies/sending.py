"""Sending a quotation to the prospect (seed 000: the quote on paper or electronically): by
e-mail with the printed quotation attached, or by WhatsApp with a summary, through the outbox
and in the client's language. Each sending is kept on the quotation and on the client's
timeline, and puts a follow-up call on the agent's list."""

from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

from brokerage.accounts.models import User
from brokerage.notifications.services import notification_send
from clients.services import interaction_log

from .models import Quotation, QuotationSending, QuotationStatus, SendChannel
from .pdf import QuotationNotPrintable, quotation_offered, quotation_pdf
from .timeline import QUOTATION_SENT

ATTACHMENT_SOURCE = "policies.quotation_sending"


def quotation_recipient(quotation: Quotation, channel: str) -> str | None:
    """Where the quotation goes on ``channel``: the client's e-mail or WhatsApp number."""
    client = quotation.client
    if channel == SendChannel.EMAIL:
        return client.email or None
    if channel == SendChannel.WHATSAPP:
        return client.whatsapp.as_e164 if client.whatsapp else None
    return None


def _money(amount, currency: str) -> str:
    return f"{number_format(amount, 2, use_l10n=True, force_grouping=True)} {currency}"


def _summary(quotation: Quotation, quotes, language: str, by: User) -> dict:
    """The message's context, written in the client's language (stored with the message)."""
    with translation.override(language):
        return {
            "name": quotation.client.display_name,
            "need": quotation.title,
            "line": str(quotation.get_line_display()),
            "quotes": [
                {
                    "insurer": str(quote.insurer),
                    "preferred": quote.insurer.preferred,
                    "premium": _money(quote.premium, quote.currency),
                    "valid_until": date_format(quote.valid_until, "DATE_FORMAT"),
                }
                for quote in quotes
            ],
            "agent": str(by),
            "agent_phone": str(getattr(by, "phone", "") or ""),
            "agent_email": by.email or "",
        }


def follow_up_day(quotation: Quotation, today: date) -> date:
    """When the prospect is called after a sending: the quotation's follow-up date when one is
    set ahead, else ``QUOTE_SENT_FOLLOW_UP_DAYS`` from today."""
    if quotation.follow_up_on is not None and quotation.follow_up_on >= today:
        return quotation.follow_up_on
    return today + timedelta(days=settings.QUOTE_SENT_FOLLOW_UP_DAYS)


@transaction.atomic
def quotation_send(
    *, quotation: Quotation, by: User, channel: str, base_url: str | None = None
) -> QuotationSending:
    """Send the open quotes of a quotation to its client: an e-mail carries the printed
    quotation (the PDF as sent is kept with the sending), a WhatsApp message a summary of each
    offer. Refused for a closed quotation, one with no open quote, and a client without an
    address on that channel. The sending is recorded on the quotation and the client's
    timeline, and the follow-up call is booked (``quotation_schedule_follow_up``: one item per
    day, so sending twice books one call)."""
    from .services import quotation_schedule_follow_up

    quotation = (
        Quotation.objects.select_for_update(of=("self",))
        .select_related("client", "renews__insurer")
        .get(pk=quotation.pk)
    )
    if channel not in SendChannel.values:
        raise ValidationError({"channel": _("Choose e-mail or WhatsApp.")})
    if quotation.status != QuotationStatus.OPEN:
        raise ValidationError(_("Only an open quotation can be sent."))
    quotes = quotation_offered(quotation)
    if not quotes:
        raise ValidationError(_("There is no open quote to send: add one first."))
    to = quotation_recipient(quotation, channel)
    if to is None:
        if channel == SendChannel.EMAIL:
            message = _("The client has no e-mail address: add one to the client file first.")
        else:
            message = _("The client has no WhatsApp number: add one to the client file first.")
        raise ValidationError({"channel": message})
    language = quotation.client.language
    sending = QuotationSending(
        quotation=quotation, channel=channel, to=to, language=language, sent_by=by
    )
    context = _summary(quotation, quotes, language, by)
    if channel == SendChannel.EMAIL:
        try:
            pdf = quotation_pdf(quotation=quotation, language=language, base_url=base_url)
        except QuotationNotPrintable as exc:  # the quotes changed under us
            raise ValidationError(_("There is no open quote to send: add one first.")) from exc
        sending.pdf.save(f"quotation-{quotation.pk}.pdf", ContentFile(pdf), save=False)
    try:
        sending.save()
        if channel == SendChannel.EMAIL:
            context["attachments"] = [{"source": ATTACHMENT_SOURCE, "id": sending.pk}]
        sending.message = notification_send(
            channel=channel, to=to, template="quotation", context=context, language=language,
            created_by=by,
        )  # fmt: skip
        sending.save(update_fields=["message"])
    except Exception:
        if sending.pdf:
            sending.pdf.delete(save=False)
        raise
    interaction_log(
        client=quotation.client, by=by, channel=channel, message=QUOTATION_SENT,
        params={
            "quotation": quotation.description, "renews": quotation.renews_label,
            "insurers": [str(quote.insurer) for quote in quotes],
        },
    )  # fmt: skip
    quotation_schedule_follow_up(
        quotation=quotation, by=by, on=follow_up_day(quotation, timezone.localdate())
    )
    return sending


def sending_attachment(sending_id: int) -> tuple[str, bytes, str]:
    """The outbox's loader for a sending's PDF (registered in PoliciesConfig.ready)."""
    sending = QuotationSending.objects.get(pk=sending_id)
    with sending.pdf.open("rb") as handle:
        content = handle.read()
    return f"quotation-{sending.quotation_id}.pdf", content, "application/pdf"
