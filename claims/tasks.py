"""The escalation of a claim not contacted within 10 minutes: a task scheduled at report time
(``countdown`` = the 10 minutes, ``claims.services.claim_escalate``) and a beat sweep every
minute as a safety net (``claims.services.claims_escalate_due``, every due claim in a fixed
number of queries). Between them a claim is escalated at most once."""

import logging

from celery import shared_task
from django.db import transaction

from .models import CONTACT_WITHIN
from .services import claim_escalate, claims_escalate_due

logger = logging.getLogger(__name__)

# Publishing gives up quickly when the broker is down: the sweep escalates the claim anyway.
_PUBLISH_RETRY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}


@shared_task(name="claims.tasks.claim_escalate_task")
def claim_escalate_task(claim_id: int) -> bool:
    return claim_escalate(claim_id=claim_id)


@shared_task(name="claims.tasks.claims_escalate_due_task")
def claims_escalate_due_task() -> int:
    return claims_escalate_due()


def _send_later(claim_id: int) -> bool:
    from kombu.exceptions import OperationalError

    try:
        claim_escalate_task.apply_async(
            args=[claim_id], countdown=int(CONTACT_WITHIN.total_seconds()) + 1, retry=True,
            retry_policy=_PUBLISH_RETRY,
        )  # fmt: skip
    except (OperationalError, OSError) as exc:
        logger.warning("Broker unreachable, claim %s left for the sweep: %s", claim_id, exc)
        return False
    return True


def escalation_schedule(claim_id: int) -> None:
    """Check the claim once its 10 minutes have run out, after the report commits (as
    ``brokerage.celery.enqueue_on_commit``, with a countdown). A task run early (eagerly, or
    by a broker that ignores the countdown) finds nothing due and does nothing."""
    transaction.on_commit(lambda: _send_later(claim_id))
