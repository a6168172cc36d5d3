"""What an insurer's collection (paid/unpaid) report's rows mean (issue 15).

A row names a policy of the insurer (its number) and one of its instalments (its number,
"Recibo 2/4", "第2期", or its due date) and says whether the insurer received it: paid (how
much, when, the insurer's reference) or unpaid. A report without a status column says paid by
an amount paid or a payment date.

``classify`` reads the policies, instalments and payments a chunk of rows names in a fixed
number of queries (three) and gives each row a verdict:

- ``paid``: the instalment is open and the amount paid is what it still owes: ``apply``
  records the payment through ``billing.payments.payments_record_many`` (method "paid at the
  insurer", the report's reference, that instalment), the set-based twin of
  ``payment_record``: the chunk's payments, allocations and instalments with their history,
  and what its hooks close (payment items, promises, at-risk entries), in a fixed number of
  queries per chunk.
  Its token is derived from the insurer, the policy, the instalment and what the row says
  (reference, amount, date), so the same report imported twice records nothing the second
  time: the row then reads "already recorded".
- ``already``: the instalment is already paid with that amount (by this report before, or by a
  payment recorded in Cartera): nothing is written, and it is not an error.
- ``unpaid``: the insurer confirms the instalment unpaid; counted, nothing is written.

What does not agree with Cartera is a row error and is never applied: an unknown policy or
instalment, an amount paid that is not what the instalment owes (partial payments are the
office's to record, with the client), an instalment already paid with another amount, a
currency that is not the instalment's, a cancelled or waived instalment, an instalment the
insurer says is unpaid while Cartera has it paid. The other rows of the report are applied all
the same; a payment refused at commit (the instalment changed since the dry run) writes
nothing, so a row is written whole or not at all.

After the commit, ``finish`` compares the report with the insurer's previous collection
report (the instalments each one named, kept as ``imports.models.CollectionLine``): newly
paid, still unpaid, newly overdue.
"""

import re
import uuid
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone

from billing.models import Instalment, InstalmentStatus, Payment, PaymentMethod
from billing.payments import PaymentSpec, payments_record_many
from clients.search import compact
from policies.models import Policy

from .errors import RowProblem, render
from .expiry import _CURRENCY, _among, _total_word
from .fields import header_currency
from .parsing import is_blank, json_value, memoised, parse_amount, parse_date, parse_text

EARLIEST = date(1900, 1, 1)
SHOWN = 50  # instalments listed per line of the summary (all are counted)
TOKENS = uuid.UUID("5f0c3c2e-6d7a-4c57-9b8e-1c0ad7c1e915")  # the namespace of payment tokens

# What the engine's three counters hold for this kind (shown with the kind's own words).
COUNTS = {"paid": "created", "unpaid": "updated", "already": "unchanged"}
# Rows per chunk (a transaction, under the imports' lock, and a step of the progress bar): the
# chunk's payments are recorded set-based (payments_record_many), a fixed number of queries
# whatever the chunk's size, so a chunk holds as many rows as an expiry list's.
CHUNK = 5000


@dataclass
class Issue:
    row: int
    column: str
    value: str
    reason: str
    code: str = ""
    params: dict | None = None
    level: str = "error"


@dataclass(frozen=True)
class ReadContext:
    """Where a cell does not say: amounts without a currency are in the insurer's report
    currency (shown on the dry run; the instalment's own currency decides what is owed)."""

    currency: str

    @classmethod
    def of(cls, insurer) -> "ReadContext":
        return cls(insurer.report_currency)


@dataclass
class Record:
    row: int
    key: str
    number: str  # the policy number as the report writes it (spaces folded, upper case)
    number_key: str
    instalment: int | None
    due_on: date | None
    paid: bool
    amount: Decimal | None  # None: "paid" without an amount, i.e. what the instalment owes
    paid_on: date | None
    reference: str
    currency: str  # "" when the report does not say
    payer: str
    headers: dict = field(default_factory=dict, repr=False)  # {field: the report's header}
    warnings: list[Issue] = field(default_factory=list)


@dataclass
class Outcome:
    verdicts: dict[int, str] = field(default_factory=dict)  # row → paid / unpaid / already
    issues: list[Issue] = field(default_factory=list)  # conflicts: rows not applied
    payments: list[dict] = field(default_factory=list)  # what apply records, one per row
    lines: list[dict] = field(default_factory=list)  # the instalments the rows name
    changes: dict = field(default_factory=dict)  # (the engine's per-policy changes: none)


# --- Reading a row ----------------------------------------------------------------------------

PAID_WORDS = frozenset("""
    paid yes y si sí s true ok x ✓ ✔ √ pagado pagada pagados cobrado cobrada liquidado
    liquidada aplicado aplicada 已缴 已缴费 已付 已付款 已支付 已收 已收费 已收款 已交 是 缴费成功
""".split()) | {"paid in full", "al corriente", "pago aplicado"}  # fmt: skip
UNPAID_WORDS = frozenset("""
    unpaid no n false pending due overdue outstanding pendiente impagado impagada vencido
    vencida adeudo 未缴 未缴费 未付 未付款 未支付 未收 未收费 未交 否 欠费 逾期 待缴 待缴费
""".split()) | {  # fmt: skip
    "not paid", "no pagado", "no pagada", "por cobrar", "sin pago", "pendiente de pago",
    "en cobranza", "in collection",
}  # fmt: skip


def _status(value) -> tuple[bool, Decimal | None]:
    """(paid or not, the amount when the cell is one): a word in English, Spanish or
    Chinese, a yes/no, a 1/0 flag, or an amount (above zero: paid with it)."""
    if isinstance(value, bool):
        return value, None
    if not isinstance(value, int | float | Decimal):
        text = " ".join(parse_text(value).casefold().strip(" .:;!¡?¿").split())
        if text in PAID_WORDS:
            return True, None
        if text in UNPAID_WORDS:
            return False, None
        value = text
    try:
        amount = parse_amount(value)
    except ValueError:
        raise RowProblem("status_unknown", value=parse_text(value)[:100]) from None
    if amount in (0, 1):  # a flag, not an amount
        return amount == 1, None
    return True, amount


_FIRST_NUMBER = re.compile(r"\d+")
_DATE, _AMOUNT = memoised(parse_date), memoised(parse_amount)


def _instalment(value) -> int:
    """An instalment's number: 2, "2", "2/4", "2 de 4", "Recibo 2", "第2期"."""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        number = int(value) if value == int(value) else 0
    else:
        found = _FIRST_NUMBER.search(parse_text(value))
        number = int(found.group()) if found else 0
    if not 1 <= number <= 999:
        raise RowProblem("instalment_invalid", value=parse_text(value)[:100])
    return number


def _paid_on(value) -> date:
    paid_on = _DATE(value)
    if paid_on > timezone.localdate():
        raise RowProblem("paid_on_future", value=paid_on.isoformat())
    if paid_on < EARLIEST:
        raise RowProblem(
            "date_out_of_bounds", first=EARLIEST.isoformat(),
            last=timezone.localdate().isoformat(),
        )  # fmt: skip
    return paid_on


_STATUS, _INSTALMENT = memoised(_status), memoised(_instalment)


def parse_row(row: int, raw: dict, headers: dict, context: ReadContext):
    """One report row into a record, or the list of what is wrong with it."""
    issues: list[Issue] = []
    values: dict = {}

    def take(name, parser, required=False):
        value = raw.get(name)
        if is_blank(value):
            if required:
                issues.append(Issue(row, headers.get(name, name), "", render("missing"), "missing"))
            return None
        try:
            values[name] = parser(value)
        except (ValueError, ValidationError) as exc:
            reason = exc.messages[0] if isinstance(exc, ValidationError) else str(exc)
            code, params = (exc.code, exc.params) if isinstance(exc, RowProblem) else ("", None)
            issues.append(Issue(row, headers.get(name, name), parse_text(value)[:255], reason,
                                code, params))  # fmt: skip
        return values.get(name)

    number = take("policy_number", parse_text, required=True)
    instalment = take("instalment", _INSTALMENT)
    due_on = take("due_date", _DATE)
    amount = take("amount_paid", _AMOUNT)
    paid_on = take("paid_on", _paid_on)
    status = take("status", _STATUS)
    currency = take("currency", _CURRENCY) or ""
    reference = (take("reference", parse_text) or "")[:100]
    payer = (take("payer", parse_text) or "")[:255]
    if is_blank(raw.get("instalment")) and is_blank(raw.get("due_date")):
        column = headers.get("instalment") or headers.get("due_date") or "instalment"
        issues.append(Issue(row, column, "", render("instalment_or_due_missing"),
                            "instalment_or_due_missing"))  # fmt: skip
    if issues:
        return None, issues
    if status is not None:
        paid, status_amount = status
        if amount is None:
            amount = status_amount
    else:
        paid = bool(amount) or paid_on is not None
    if paid and amount is not None and amount <= 0:
        column = headers.get("amount_paid", "amount_paid")
        return None, [Issue(row, column, str(amount), render("paid_without_amount"),
                            "paid_without_amount")]  # fmt: skip
    number = " ".join(number.split()).upper()
    if not currency:
        currency = header_currency(headers.get("amount_paid")) or ""
    number_key = compact(number)
    which = str(instalment) if instalment is not None else f"@{due_on.isoformat()}"
    record = Record(
        row=row, key=f"{number_key}#{which}", number=number, number_key=number_key,
        instalment=instalment, due_on=due_on, paid=paid, amount=amount if paid else None,
        paid_on=paid_on if paid else None, reference=reference, currency=currency,
        payer=payer, headers=headers,
    )  # fmt: skip
    return record, []


class Totals:
    """A totals row at the bottom of the report ("Total", "Totales", "合计" where the policy
    number goes, or a row with amounts only: no policy, instalment, due date, payment date
    nor reference) is skipped."""

    NAMING = ("policy_number", "instalment", "due_date", "paid_on", "reference")

    def skip(self, raw: dict) -> bool:
        number = raw.get("policy_number")
        if not is_blank(number):
            return _total_word(number)
        return all(is_blank(raw.get(name)) for name in self.NAMING)


def duplicate_issue(record: Record, first_row: int, columns: dict) -> Issue:
    """A row naming the same instalment as an earlier row."""
    column = (
        columns.get("instalment") or columns.get("due_date") or columns.get("policy_number", "")
    )
    value = str(record.instalment) if record.instalment is not None else record.due_on.isoformat()
    params = {"row": first_row}
    return Issue(record.row, column, value, render("duplicate_instalment", params),
                 "duplicate_instalment", params)  # fmt: skip


def preview_row(record: Record) -> dict:
    return {
        "row": record.row, "number": record.number, "instalment": record.instalment,
        "due_on": json_value(record.due_on), "paid": record.paid,
        "amount": json_value(record.amount), "paid_on": json_value(record.paid_on),
        "reference": record.reference, "currency": record.currency, "payer": record.payer,
    }  # fmt: skip


# --- What the rows do -------------------------------------------------------------------------


def token_of(insurer_id: int, record: Record, instalment_id: int) -> uuid.UUID:
    """The payment's token: the same row of the same insurer's report (whichever upload it
    comes in) gives the same token, which payments_record_many records once."""
    amount = "owed" if record.amount is None else str(record.amount)
    paid_on = record.paid_on.isoformat() if record.paid_on else ""
    return uuid.uuid5(
        TOKENS,
        f"collections|{insurer_id}|{record.number_key}|{instalment_id}|{record.reference}|"
        f"{amount}|{paid_on}",
    )


def _money(amount: Decimal, currency: str) -> str:
    return f"{amount:,.2f} {currency}"


def classify(records: list[Record], insurer) -> Outcome:
    """What each row would do, read in three queries per chunk."""
    out = Outcome()
    policies = {
        p["number_key"]: p
        for p in Policy.objects.filter(
            insurer=insurer, number_key__in=_among({r.number_key for r in records})
        ).values("pk", "number", "number_key", "holder_id")
    }
    by_number: dict[tuple[int, int], dict] = {}
    by_due: dict[tuple[int, date], list[dict]] = {}
    if policies:
        for i in Instalment.objects.filter(
            policy_id__in=_among([p["pk"] for p in policies.values()], "bigint")
        ).values("pk", "policy_id", "number", "count", "due_on", "amount", "paid_amount",
                 "status", "currency"):  # fmt: skip
            by_number[(i["policy_id"], i["number"])] = i
            by_due.setdefault((i["policy_id"], i["due_on"]), []).append(i)
    found: list[tuple[Record, dict, dict]] = []
    for record in records:
        policy = policies.get(record.number_key)
        instalment = _instalment_of(out, record, policy, by_number, by_due)
        if instalment is not None:
            found.append((record, policy, instalment))
    tokens = {
        record.row: token_of(insurer.pk, record, instalment["pk"])
        for record, _policy, instalment in found
        if record.paid
    }
    recorded = set()
    if tokens:
        recorded = set(
            Payment.objects.filter(token__in=list(tokens.values())).values_list("token", flat=True)
        )
    first_row: dict[int, int] = {}
    today = timezone.localdate()
    for record, policy, instalment in found:
        if instalment["pk"] in first_row:
            out.issues.append(duplicate_issue(record, first_row[instalment["pk"]], record.headers))
            continue
        first_row[instalment["pk"]] = record.row
        verdict = _verdict(out, record, policy, instalment, tokens.get(record.row), recorded)
        if verdict is None:
            continue
        out.verdicts[record.row] = verdict
        paid = verdict != "unpaid"
        out.lines.append({
            "row": record.row, "instalment_id": instalment["pk"], "paid": paid,
            "overdue": not paid and instalment["due_on"] < today,
        })  # fmt: skip
        if verdict == "paid":
            owed = instalment["amount"] - instalment["paid_amount"]
            out.payments.append({
                "row": record.row, "client_id": policy["holder_id"],
                "instalment_id": instalment["pk"], "amount": owed,
                "currency": instalment["currency"], "paid_on": record.paid_on or today,
                "reference": record.reference, "token": tokens[record.row],
                "column": record.headers.get("amount_paid", ""),
            })  # fmt: skip
    return out


def _issue(out: Outcome, record: Record, column: str, cell, code: str, **params) -> None:
    """A row's conflict: the column and the cell it is about, the code and its parameters."""
    params = {k: v if isinstance(v, int | str) else str(v) for k, v in params.items()}
    out.issues.append(Issue(record.row, column, str(cell)[:255], render(code, params), code,
                            params))  # fmt: skip


def _instalment_of(out, record, policy, by_number, by_due) -> dict | None:
    """The instalment the row names, or None with the row's error."""
    columns = record.headers
    if policy is None:
        _issue(out, record, columns.get("policy_number", ""), record.number, "policy_unknown",
               number=record.number)  # fmt: skip
        return None
    if record.instalment is not None:
        instalment = by_number.get((policy["pk"], record.instalment))
        if instalment is None:
            _issue(out, record, columns.get("instalment", ""), record.instalment,
                   "instalment_unknown", number=policy["number"],
                   instalment=record.instalment)  # fmt: skip
            return None
        if record.due_on is not None and record.due_on != instalment["due_on"]:
            _issue(out, record, columns.get("due_date", ""), record.due_on.isoformat(),
                   "instalment_due_mismatch", number=policy["number"],
                   instalment=record.instalment, expected=instalment["due_on"].isoformat(),
                   value=record.due_on.isoformat())  # fmt: skip
            return None
        return instalment
    candidates = by_due.get((policy["pk"], record.due_on), [])
    if len(candidates) > 1:
        _issue(out, record, columns.get("due_date", ""), record.due_on.isoformat(),
               "due_ambiguous", number=policy["number"],
               value=record.due_on.isoformat())  # fmt: skip
        return None
    if not candidates:
        _issue(out, record, columns.get("due_date", ""), record.due_on.isoformat(),
               "instalment_unknown", number=policy["number"],
               instalment=record.due_on.isoformat())  # fmt: skip
        return None
    return candidates[0]


def _label(instalment: dict) -> str:
    return f"{instalment['number']}/{instalment['count']}"


def _verdict(out, record, policy, instalment, token, recorded) -> str | None:
    """paid / already / unpaid, or None with the row's conflict."""
    columns = record.headers
    number, which = policy["number"], _label(instalment)
    currency = instalment["currency"]
    if record.currency and record.currency != currency:
        _issue(out, record, columns.get("currency", ""), record.currency, "currency_mismatch",
               value=record.currency, expected=currency, number=number,
               instalment=which)  # fmt: skip
        return None
    status = instalment["status"]
    if not record.paid:
        if status == InstalmentStatus.PAID:
            _issue(out, record, columns.get("status", ""), "", "unpaid_but_paid", number=number,
                   instalment=which,
                   recorded=_money(instalment["paid_amount"], currency))  # fmt: skip
            return None
        return "unpaid"
    if token in recorded:
        return "already"
    amount_column = columns.get("amount_paid", "")
    shown = "" if record.amount is None else _money(record.amount, currency)
    if status == InstalmentStatus.PAID:
        if record.amount is None or record.amount == instalment["paid_amount"]:
            return "already"
        _issue(out, record, amount_column, shown, "already_paid_other", number=number,
               instalment=which, recorded=_money(instalment["paid_amount"], currency),
               paid=shown)  # fmt: skip
        return None
    if status in (InstalmentStatus.CANCELLED, InstalmentStatus.WAIVED):
        _issue(out, record, columns.get("instalment", ""), which, f"instalment_{status}",
               number=number, instalment=which)  # fmt: skip
        return None
    owed = instalment["amount"] - instalment["paid_amount"]
    if record.amount is not None and record.amount != owed:
        _issue(out, record, amount_column, shown, "amount_not_outstanding", number=number,
               instalment=which, owed=_money(owed, currency), paid=shown)  # fmt: skip
        return None
    if owed <= 0:
        return "already"
    return "paid"


def apply(out: Outcome, *, by, job) -> None:
    """Record the chunk's payments set-based through ``payments_record_many`` (a fixed number
    of queries per chunk; a row it refuses, say an instalment paid in the office since the dry
    run, becomes a row error, writes nothing, and the others are recorded all the same), then
    keep the instalments the rows named."""
    from .models import CollectionLine

    specs = [
        PaymentSpec(
            client=plan["client_id"],
            instalment=plan["instalment_id"],
            amount=plan["amount"],
            currency=plan["currency"],
            method=PaymentMethod.AT_INSURER,
            paid_on=plan["paid_on"],
            reference=plan["reference"],
            token=plan["token"],
        )
        for plan in out.payments
    ]
    refused: set[int] = set()
    for plan, recorded in zip(out.payments, payments_record_many(specs=specs, by=by), strict=True):
        if recorded.error is None:
            continue
        reason = recorded.reason[:400]
        out.verdicts.pop(plan["row"], None)
        out.issues.append(
            Issue(plan["row"], plan["column"], str(plan["amount"]),
                  render("payment_refused", {"reason": reason}), "payment_refused",
                  {"reason": reason})
        )  # fmt: skip
        refused.add(plan["row"])
    CollectionLine.objects.bulk_create(
        [
            CollectionLine(job=job, instalment_id=line["instalment_id"], row=line["row"],
                           paid=line["paid"], overdue=line["overdue"])
            for line in out.lines
            if line["row"] not in refused
        ],
        ignore_conflicts=True,  # a resumed chunk keeps the lines it wrote
    )  # fmt: skip


def finish(job) -> dict:
    """What changed since the insurer's previous collection report: the instalments newly
    paid (paid in this one, not in the previous), still unpaid (unpaid in both) and newly
    overdue (unpaid and past due in this one, not overdue in the previous), each counted with
    the first ones listed as "POLICY n/N". Set-based: a few queries whatever the report's
    size."""
    from .models import CollectionLine, ImportJob, JobStatus

    previous = (
        ImportJob.objects.filter(
            insurer=job.insurer, kind=job.kind, status=JobStatus.DONE, finished_at__isnull=False
        )
        .exclude(pk=job.pk)
        .order_by("-finished_at", "-pk")
        .only("pk", "original_name", "finished_at")
        .first()
    )
    summary = {"previous": previous.pk if previous else None}
    if previous is None:
        return summary
    summary["previous_name"] = previous.original_name
    summary["previous_at"] = previous.finished_at.isoformat()
    mine = CollectionLine.objects.filter(job=job)
    before = CollectionLine.objects.filter(job=previous)
    sides = {
        "newly_paid": mine.filter(paid=True).exclude(
            instalment_id__in=before.filter(paid=True).values("instalment_id")
        ),
        "still_unpaid": mine.filter(
            paid=False, instalment_id__in=before.filter(paid=False).values("instalment_id")
        ),
        "newly_overdue": mine.filter(overdue=True).exclude(
            instalment_id__in=before.filter(overdue=True).values("instalment_id")
        ),
    }
    for name, lines in sides.items():
        summary[f"{name}_count"] = lines.count()
        summary[name] = [
            f"{number} {n}/{count}"
            for number, n, count in lines.order_by("row").values_list(
                "instalment__policy__number", "instalment__number", "instalment__count"
            )[:SHOWN]
        ]
    return summary
