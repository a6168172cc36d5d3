"""The payment-due kind of work: a call about one instalment (issue 15). Its subject is the
instalment; its results are a collections call's (paid, promised to pay, will pay at the
insurer or bank, refuses to pay, policy to cancel) beside the failed attempts and the call-back
every kind shares. Registered in BillingConfig.ready; the queue knows none of these words."""

from collections import defaultdict
from decimal import Decimal

from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from brokerage.core.bulk import AnyOf
from brokerage.core.dates import short_date_writer
from brokerage.core.markup import words
from brokerage.core.reversing import pk_url
from clients.links import call_client_fields, stored_call_links, stored_numbers
from clients.models import Client
from clients.services import clients_take_owner
from policies.rows import InsurerRow, PolicyRow, client_from_row
from policies.rows import Row as _Row
from workqueue import kinds
from workqueue.models import ItemResult
from workqueue.results import GENERIC
from workqueue.rows import ID_MARKS, CompiledRows, rows_together

from .models import Instalment, InstalmentStatus, PaymentPromise

PAYMENT_KIND = "payment_due"

# Recorded with the payment itself (amount, method, date, reference) on the payment form.
PAID = kinds.Result("paid", _("Paid"), final=True, page="pay_url", style="success")
# Recorded with the date promised on a page of its own; a broken promise brings the item back.
PROMISED = kinds.Result(
    "promised", _("Promised to pay"), final=True, page="promise_url", style="outline-primary"
)
AT_INSURER = kinds.Result("pays_at_insurer", _("Will pay at the insurer or bank"), final=True)
# Recorded with the reason on a page of its own.
REFUSES = kinds.Result(
    "refuses", _("Refuses to pay"), final=True, page="refuse_url", style="outline-danger"
)
# The policy goes to the managers' at-risk list.
TO_CANCEL = kinds.Result(
    "policy_to_cancel", _("Policy to cancel"), final=True, style="outline-danger"
)
PAYMENT_RESULTS = (*GENERIC, PAID, PROMISED, AT_INSURER, REFUSES, TO_CANCEL)


def payment_owners(subject_ids) -> dict[int, int]:
    """Instalment id → the owner agent of its policy holder, for those whose client has one."""
    return dict(
        Instalment.objects.filter(
            pk__in=list(subject_ids), policy__holder__owner__isnull=False
        ).values_list("pk", "policy__holder__owner_id")
    )


def payment_clients_of(subject_ids) -> dict[int, int]:
    return dict(
        Instalment.objects.filter(pk__in=list(subject_ids)).values_list("pk", "policy__holder_id")
    )


def payment_subjects_of_clients(client_ids) -> dict[int, list[int]]:
    """Client id → the instalments still owed on their policies (those a payment-due item can
    be about)."""
    subjects: dict[int, list[int]] = defaultdict(list)
    for pk, holder_id in Instalment.objects.filter(
        policy__holder_id__in=list(client_ids)
    ).values_list("pk", "policy__holder_id"):
        subjects[holder_id].append(pk)
    return dict(subjects)


def payment_visible_to(user, subject_ids) -> set[int]:
    return set(
        Instalment.objects.filter(
            pk__in=list(subject_ids),
            policy__holder__in=Client.objects.visible_to(user).values("pk"),
        ).values_list("pk", flat=True)
    )


def payment_handed_out(*, assignments: dict[int, int], by=None) -> None:
    """A shared payment item makes its agent the owner of a client who has none, so that the
    agent can open the client file and record the payment."""
    owners = {
        holder_id: assignments[pk]
        for pk, holder_id in Instalment.objects.filter(pk__in=list(assignments)).values_list(
            "pk", "policy__holder_id"
        )
    }
    clients_take_owner(owners=owners, by=by)


def punctuality(instalment: dict, today) -> str:
    """How an instalment was paid, for the policy's payment history: on time, late, missed
    (due and still owed), or not yet due."""
    if instalment["status"] in (InstalmentStatus.CANCELLED, InstalmentStatus.WAIVED):
        return instalment["status"]
    if instalment["status"] == InstalmentStatus.PAID:
        paid_on = instalment["paid_on"]
        return "late" if paid_on and paid_on > instalment["due_on"] else "on_time"
    if instalment["due_on"] < today:
        return "missed"
    return "not_due"


HISTORY_LABELS = {
    "on_time": _("on time"),
    "late": _("late"),
    "missed": _("missed"),
    "not_due": _("not yet due"),
    InstalmentStatus.CANCELLED: InstalmentStatus.CANCELLED.label,
    InstalmentStatus.WAIVED: InstalmentStatus.WAIVED.label,
}


class InstalmentRow(_Row):
    _model = Instalment

    @property
    def outstanding(self) -> Decimal:
        return max(self.amount - self.paid_amount, Decimal("0.00"))

    def __str__(self):
        return f"{self.policy.number} {self.number}/{self.count}"


class PromiseRow(_Row):
    _model = PaymentPromise

    def get_status_display(self):
        return self._label("status")


INSTALMENT_FIELDS = ("id", "policy_id", "number", "count", "due_on", "amount", "currency",
                     "status", "paid_amount", "paid_on")  # fmt: skip
POLICY_FIELDS = ("policy__number", "policy__line", "policy__insurer__name",
                 "policy__insurer__code", "policy__holder_id")  # fmt: skip
HISTORY_FIELDS = ("policy_id", "number", "due_on", "status", "paid_on", "amount", "paid_amount")
RESULT_FIELDS = ("item__subject_id", "result", "note", "callback_at", "at", "by__first_name",
                 "by__last_name", "by__username")  # fmt: skip

# The four queries of a page's payment cards, compiled once per process (workqueue.rows).
_INSTALMENTS = CompiledRows(
    lambda ids: (
        Instalment.objects.filter(AnyOf(F("pk"), ids))
        .annotate(**stored_numbers("policy__holder__"))
        .order_by()
        .values_list(
            *INSTALMENT_FIELDS,
            *POLICY_FIELDS,
            *call_client_fields("policy__holder__"),
            "call_phone",
            "call_whatsapp",
        )
    ),
    [ID_MARKS[0]],
)
_HISTORY = CompiledRows(
    lambda ids: (
        Instalment.objects.filter(
            policy_id__in=Instalment.objects.filter(AnyOf(F("pk"), ids)).values("policy_id")
        )
        .order_by("policy_id", "number")
        .values_list(*HISTORY_FIELDS)
    ),
    [ID_MARKS[0]],
)
_RESULTS = CompiledRows(
    lambda ids: (
        ItemResult.objects.filter(item__kind=PAYMENT_KIND)
        .filter(AnyOf(F("item__subject_id"), ids))
        .order_by("at", "pk")
        .values_list(*RESULT_FIELDS)
    ),
    [ID_MARKS[0]],
)
_PROMISES = CompiledRows(
    lambda ids: (
        PaymentPromise.objects.filter(AnyOf(F("instalment_id"), ids))
        .order_by("-promised_on", "-pk")
        .values_list("instalment_id", "promised_on", "status")
    ),
    [ID_MARKS[0]],
)
_CLIENT_FIELDS = tuple(call_client_fields())


def payment_context(items) -> dict[int, dict]:
    """Four queries for any number of items, sent together in one round trip
    (``workqueue.rows.rows_together``): the instalments with policy, client and insurer; every
    instalment of their policies (the payment history); the results logged on any payment item
    of these instalments; their promises. Each is compiled once per process and read as rows,
    what the cards read of them as plain values (``InstalmentRow``…)."""
    subject_ids = sorted({item.subject_id for item in items})
    found, history_rows, result_rows, promise_rows = rows_together(
        (_INSTALMENTS, [subject_ids]), (_HISTORY, [subject_ids]), (_RESULTS, [subject_ids]),
        (_PROMISES, [subject_ids]),
    )  # fmt: skip
    instalments = {}
    n_own, n_policy = len(INSTALMENT_FIELDS), len(POLICY_FIELDS)
    n_client = len(_CLIENT_FIELDS)
    for row in found:
        own, of_policy = row[:n_own], row[n_own : n_own + n_policy]
        of_client = row[n_own + n_policy : n_own + n_policy + n_client]
        number, line, insurer_name, insurer_code, holder_id = of_policy
        client = client_from_row(holder_id, of_client)
        policy = PolicyRow(
            pk=own[1], id=own[1], number=number, line=line, holder=client, holder_id=holder_id,
            insurer=InsurerRow(name=insurer_name, code=insurer_code),
        )  # fmt: skip
        instalment = InstalmentRow(
            pk=own[0], policy=policy, call_phone=row[-2], call_whatsapp=row[-1],
            **dict(zip(INSTALMENT_FIELDS, own, strict=True)),
        )  # fmt: skip
        instalments[instalment.pk] = instalment
    today = timezone.localdate()
    history = defaultdict(list)
    for values in history_rows:
        row = dict(zip(HISTORY_FIELDS, values, strict=True))
        row["punctuality"] = punctuality(row, today)
        row["punctuality_label"] = HISTORY_LABELS[row["punctuality"]]
        history[row["policy_id"]].append(row)
    results = defaultdict(list)
    for values in result_rows:
        row = dict(zip(RESULT_FIELDS, values, strict=True))
        label = kinds.result_label(row["result"], kind=PAYMENT_KIND)
        results[row["item__subject_id"]].append({**row, "label": label})
    promises = defaultdict(list)
    for instalment_id, promised_on, status in promise_rows:
        promises[instalment_id].append(
            PromiseRow(instalment_id=instalment_id, promised_on=promised_on, status=status)
        )
    back = urlencode({"next": reverse("workqueue:queue")})
    pay_url, promise_url = pk_url("billing:payment_create"), pk_url("billing:item_promise")
    refuse_url = pk_url("billing:item_refuse")
    labels = {key: str(label) for key, label in HISTORY_LABELS.items()}
    language, write = get_language(), short_date_writer()

    def day(value) -> str:
        # A payment history writes a dozen days a card, the same ones page after page.
        return words(language, ("short-date", value), lambda: write(value))

    context = {}
    for item in items:
        instalment = instalments.get(item.subject_id)
        if instalment is None:
            continue
        policy = instalment.policy
        client = policy.holder
        open_ = instalment.status in (
            InstalmentStatus.PENDING, InstalmentStatus.PARTLY_PAID, InstalmentStatus.OVERDUE
        )  # fmt: skip
        past = [h for h in history[policy.pk] if h["due_on"] < today]
        phone, whatsapp = stored_call_links(instalment)
        context[item.pk] = {
            "instalment": instalment,
            "policy": policy,
            "client": client,
            "days_from_due": (today - instalment.due_on).days,
            "days_to_due": (instalment.due_on - today).days,
            "phone": phone,
            "whatsapp_url": whatsapp,
            "previous": results.get(instalment.pk, []),
            "history": history[policy.pk],
            "history_title": " · ".join(
                f"{h['number']}: {day(h['due_on'])} {labels[h['punctuality']]}"
                for h in history[policy.pk]
            ),
            "on_time": sum(1 for h in past if h["punctuality"] == "on_time"),
            "late": sum(1 for h in past if h["punctuality"] == "late"),
            "missed": sum(1 for h in past if h["punctuality"] == "missed"),
            "promises": promises.get(instalment.pk, []),
            "pay_url": (
                f"{pay_url(client.pk)}"
                f"?policy={policy.pk}&instalment={instalment.pk}&item={item.pk}&{back}"
                if open_
                else None
            ),
            "promise_url": (f"{promise_url(item.pk)}?{back}" if open_ else None),
            "refuse_url": f"{refuse_url(item.pk)}?{back}",
        }
    return context


def _ctx(name):
    return lambda item: item.ctx.get(name)


def _instalment(name):
    return lambda item: getattr(item.ctx["instalment"], name) if "instalment" in item.ctx else None


EXPORT_COLUMNS = (
    kinds.ExportColumn(
        "client", _("Client"), lambda i: i.ctx["client"].display_name if "client" in i.ctx else ""
    ),
    kinds.ExportColumn("phone", _("Phone"), lambda i: str(i.ctx.get("phone") or "")),
    kinds.ExportColumn(
        "policy", _("Policy"), lambda i: i.ctx["policy"].number if "policy" in i.ctx else ""
    ),
    kinds.ExportColumn(
        "instalment",
        _("Instalment"),
        lambda i: (
            f"{i.ctx['instalment'].number}/{i.ctx['instalment'].count}"
            if "instalment" in i.ctx
            else ""
        ),
    ),  # fmt: skip
    kinds.ExportColumn("due_on", _("Due on"), _instalment("due_on")),
    kinds.ExportColumn("amount_due", _("Amount owed"), _instalment("outstanding")),
    kinds.ExportColumn("currency", _("Currency"), _instalment("currency")),
    kinds.ExportColumn("days_from_due", _("Days after due"), _ctx("days_from_due")),
)


def register_kinds() -> None:
    from .cards import payment_card_html
    from .work import payment_handle_result

    kinds.register(
        kinds.WorkKind(
            name=PAYMENT_KIND,
            label=_("Payments due"),
            order=20,
            results=PAYMENT_RESULTS,
            result_handler=payment_handle_result,
            owners=payment_owners,
            handed_out=payment_handed_out,
            clients_of=payment_clients_of,
            subjects_of_clients=payment_subjects_of_clients,
            visible_to=payment_visible_to,
            context=payment_context,
            card_template="billing/_call_item.html",
            card_html=payment_card_html,
            maintainer_template="billing/_maintainer_item.html",
            export_columns=EXPORT_COLUMNS,
        )
    )
