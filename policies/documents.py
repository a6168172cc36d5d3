"""Documents kept in a policy's file (seed 000: copies kept by the policy, by issue date) and
"request documents again": one message to the client, in their language, listing what is
missing or wrong (a wrong serial on the policy, an expired ID, a client not compliant)."""

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from brokerage.accounts.models import User
from brokerage.notifications.services import notification_send
from clients.models import Client, ClientDocument
from clients.services import document_upload, interaction_log

from .models import Policy
from .timeline import DOCUMENTS_REQUESTED


class DocumentProblem(models.TextChoices):
    """What the agent asks for again, each said to the client in their language."""

    WRONG_VIN = (
        "wrong_vin",
        gettext_lazy(
            "The vehicle's serial number (VIN) does not match: a clear copy of the vehicle "
            "registration card"
        ),
    )
    ID_EXPIRED = "id_expired", gettext_lazy("Your ID has expired: a current national or voter ID")
    LICENCE_EXPIRED = (
        "licence_expired",
        gettext_lazy("Your driver's licence has expired: a current one"),
    )
    ILLEGIBLE = "illegible", gettext_lazy("A copy we received cannot be read: a clearer one")
    NOT_COMPLIANT = (
        "not_compliant",
        gettext_lazy(
            "The identification and proof of address the insurer's compliance check requires"
        ),
    )
    PROOF_OF_ADDRESS = (
        "proof_of_address",
        gettext_lazy("A proof of address no older than three months"),
    )
    SIGNATURE = "signature", gettext_lazy("The signed application form")


def document_channel(client: Client) -> tuple[str, str] | None:
    """How the request reaches the client: e-mail, else WhatsApp, else SMS; None without any."""
    if client.email:
        return "email", client.email
    if client.whatsapp:
        return "whatsapp", client.whatsapp.as_e164
    if client.phone:
        return "sms", client.phone.as_e164
    return None


@transaction.atomic
def policy_document_upload(
    *, policy: Policy, by: User, kind: str, upload, description: str = ""
) -> ClientDocument:
    """A copy kept in the policy's file: the client's document service, content checked, with
    the policy named."""
    return document_upload(
        client=policy.holder, by=by, kind=kind, upload=upload, description=description,
        policy=policy,
    )  # fmt: skip


@transaction.atomic
def documents_request_again(
    *, client: Client, by: User, problems: list[str], note: str = "", policy: Policy | None = None
):
    """Send the client, through the outbox and in their language, the list of documents the
    agent ticked (and a note), and record it on the client's timeline."""
    problems = [code for code in DocumentProblem.values if code in set(problems)]
    note = (note or "").strip()
    if not problems and not note:
        raise ValidationError({"problems": _("Tick what is missing or wrong, or write a note.")})
    if policy is not None and policy.holder_id != client.pk:
        raise ValidationError(_("The policy is not this client's."))
    route = document_channel(client)
    if route is None:
        raise ValidationError(
            _("The client has no e-mail, WhatsApp or phone: the request cannot be sent.")
        )
    channel, to = route
    language = client.language
    with translation.override(language):
        items = [str(DocumentProblem(code).label) for code in problems]
    message = notification_send(
        channel=channel, to=to, template="documents_request",
        context={
            "name": client.display_name, "policy": str(policy) if policy else "",
            "items": items, "note": note, "agent": str(by),
            "agent_phone": str(getattr(by, "phone", "") or ""), "agent_email": by.email or "",
        },
        language=language, created_by=by,
    )  # fmt: skip
    interaction_log(
        client=client, by=by, channel=channel, message=DOCUMENTS_REQUESTED,
        params={"items": problems, "policy": str(policy) if policy else "", "note": note},
    )  # fmt: skip
    return message
