"""Instalments and a year of payment history for ``manage.py seed_demo``.

``seed_instalments`` plans every demo policy (one statement, ``billing.services.
instalments_plan_missing``), the same way imported policies are planned, so the benchmark book
of a million policies is planned in one pass.

``seed_payment_history`` then pays the instalments already due as a brokerage's clients do, so
that the dashboards and call lists have realistic figures from the first morning:

- Each client pays in their own way (most of them reliably, some often late, a few badly) and
  mostly by their usual method (cash, card, bank transfer, direct debit, at the insurer), with
  the reference such a payment carries (a card authorisation, a SPEI tracking key, a receipt).
- An instalment due is paid on time (on its due date or a few days before), late (a day to six
  weeks after), in part (the rest still owed, or paid weeks later once it is old) or not at
  all. An instalment missed more than ``MISSED_DAYS`` ago was paid late in the end (the book
  holds no ancient debts); a late payment whose day has not come yet is still owed today. A few
  instalments due in the next ``EARLY_DAYS`` days are already paid, in full or in part.
- Each payment settles one instalment of the policy's holder and is recorded by the policy's
  agent; the instalment's paid amount is the sum of its allocations and its status follows
  ``billing.payments._status_after``'s rule: paid once fully paid (paid on the day of its last
  payment), otherwise overdue when due before today, partly paid when something is paid on it,
  else pending.
- Promises to pay: on some instalments paid late (kept, or broken and paid later) and on some
  still owed (open, or broken when the promised day has passed).
- Every active policy with an instalment unpaid past its insurer's grace period
  (``Insurer.grace_days``) is on the managers' at-risk list (open, source "grace").

Everything is set-based: a fixed number of statements whatever the size of the book (temporary
tables, ``INSERT … SELECT``, one ``UPDATE … FROM``), with history rows for payments, the
instalments they change and the risks, as ``instalments_plan_missing`` writes them. The random
draws are a hash of each row's id and a salt taken from ``ctx.rng``: the same seed gives the
same history. The step does nothing on a book that already has payments or promises (the demo's
history is written once; ``seed_demo`` itself only loads an empty database).
"""

from datetime import timedelta
from time import monotonic

from django.db import connection
from django.utils import timezone

from brokerage.core.demo import DemoContext
from clients.demo import demo_today
from policies.models import Currency, PolicyStatus

from .models import (
    Allocation,
    CancellationRisk,
    Instalment,
    Payment,
    PaymentMethod,
    PaymentPromise,
    PromiseStatus,
    RiskSource,
    RiskStatus,
)
from .services import instalments_plan_missing

EARLY_DAYS = 10  # instalments due this soon may already be paid (early payers)
MISSED_DAYS = 60  # an instalment missed longer ago than this was paid late in the end
PARTIAL_DAYS = 120  # the rest of a part-paid instalment older than this was paid later
REASON = "demo"

# Payers: (share of clients, {outcome: weight}) — outcomes of an instalment due.
PAYERS = [
    (70, {"on_time": 90, "late": 7, "partial": 2, "missed": 1}),
    (22, {"on_time": 62, "late": 25, "partial": 7, "missed": 6}),
    (8, {"on_time": 30, "late": 35, "partial": 15, "missed": 20}),
]
# A client's usual method, by the currency they pay in.
METHODS = {
    Currency.MXN: [
        (PaymentMethod.TRANSFER, 30),
        (PaymentMethod.CARD, 25),
        (PaymentMethod.DIRECT_DEBIT, 20),
        (PaymentMethod.CASH, 15),
        (PaymentMethod.AT_INSURER, 10),
    ],
    Currency.CNY: [
        (PaymentMethod.TRANSFER, 35),
        (PaymentMethod.DIRECT_DEBIT, 25),
        (PaymentMethod.CARD, 20),
        (PaymentMethod.AT_INSURER, 15),
        (PaymentMethod.CASH, 5),
    ],
}
USUAL_METHOD_SHARE = 0.8  # payments made by the client's usual method
PROMISE_ON_LATE_SHARE = 0.4  # late payments that had a promise first
PROMISE_KEPT_SHARE = 0.65  # of those, kept
PROMISE_ON_OWED_SHARE = 0.5  # instalments still owed with a promise
NOTES = {
    Currency.MXN: [
        "Paga con la quincena",
        "Deposita el viernes",
        "Espera su aguinaldo",
        "Pagará en la sucursal de la aseguradora",
        "",
        "",
    ],
    Currency.CNY: ["发工资后付款", "周五转账", "月底前付清", "到保险公司柜台缴费", "", ""],
}

# Outcomes and methods are drawn with U(key, n): a uniform number in [0, 1) from a hash of the
# row's id, the step's salt and the draw's number n (so that draws are independent).
_U = "((hashint8extended(({key})::bigint, %(salt)s + {n}) & 2147483647)::float8 / 2147483648.0)"


def _u(key: str, n: int) -> str:
    return _U.format(key=key, n=n)


def _weighted(draw: str, pairs) -> str:
    """A CASE picking the item of ``pairs`` (item, weight) that ``draw`` (in [0, 1)) falls on."""
    total = sum(weight for _, weight in pairs)
    cases, upto = [], 0
    for item, weight in pairs[:-1]:
        upto += weight
        cases.append(f"WHEN {draw} < {upto / total!r} THEN '{item}'")
    return f"CASE {' '.join(cases)} ELSE '{pairs[-1][0]}' END"


def _outcome_sql() -> str:
    payer = "o.u_payer"
    total = sum(share for share, _ in PAYERS)
    picks = [_weighted("o.u_outcome", list(weights.items())) for _, weights in PAYERS]
    cases, upto = [], 0
    for (share, _), pick in zip(PAYERS[:-1], picks, strict=False):
        upto += share
        cases.append(f"WHEN {payer} < {upto / total!r} THEN {pick}")
    return f"CASE {' '.join(cases)} ELSE {picks[-1]} END"


def _method_sql(draw_usual: str, draw_other: str) -> str:
    """The payment's method: the client's usual one mostly, another one otherwise."""
    usual = {c: _weighted(draw_usual, pairs) for c, pairs in METHODS.items()}
    other = {c: _weighted(draw_other, pairs) for c, pairs in METHODS.items()}
    by_currency = lambda picks: (  # noqa: E731
        f"CASE o.currency WHEN '{Currency.CNY}' THEN {picks[Currency.CNY]} "
        f"ELSE {picks[Currency.MXN]} END"
    )
    return (
        f"CASE WHEN o.u_which < {USUAL_METHOD_SHARE!r} THEN {by_currency(usual)} "
        f"ELSE {by_currency(other)} END"
    )


_DROP = "DROP TABLE IF EXISTS demo_payment_outcome, demo_payment_part"
_ANALYZE_TEMP = "ANALYZE demo_payment_outcome, demo_payment_part"

# One row per instalment paid or owed: who holds it, how its holder pays and what happened.
_OUTCOMES = """
CREATE TEMPORARY TABLE demo_payment_outcome AS
SELECT o.*, {outcome} AS drawn, {method} AS method
FROM (
    SELECT o.*, {u_payer} AS u_payer, {u_outcome} AS u_outcome, {u_usual} AS u_usual,
           {u_other} AS u_other, {u_which} AS u_which
    FROM (
        SELECT i.id, i.policy_id, i.number, i.due_on, i.amount, i.currency,
               p.holder_id, p.agent_id, p.number AS policy_number, p.status AS policy_status,
               ins.code AS insurer_code, ins.grace_days,
               -- What the draws hash: the same for the same book, whatever the ids it got.
               (p.id - (SELECT min(id) FROM policies_policy)) * 1000 + i.number AS key,
               p.holder_id - (SELECT min(id) FROM clients_client) AS payer_key
        FROM billing_instalment i
        JOIN policies_policy p ON p.id = i.policy_id
        JOIN policies_insurer ins ON ins.id = p.insurer_id
        WHERE i.status = 'pending' AND i.paid_amount = 0 AND i.amount > 0
          AND i.due_on <= %(early)s
          AND NOT EXISTS (SELECT 1 FROM billing_allocation a WHERE a.instalment_id = i.id)
        OFFSET 0
    ) o
    OFFSET 0  -- each draw hashed once: the subqueries are not flattened into the CASEs
) o
"""

# One row per payment (a part): its amount, day and method; parts whose day has not come yet
# are left out (that money is still owed today).
_PARTS = """
CREATE TEMPORARY TABLE demo_payment_part AS
SELECT nextval((SELECT pg_get_serial_sequence('billing_payment', 'id')::regclass)) AS payment_id,
       q.*
FROM (
    SELECT x.*
    FROM (
        SELECT o.id AS instalment_id, o.holder_id, o.agent_id, o.currency, o.policy_number,
               o.number, o.insurer_code, k.part, k.amount, k.paid_on,
               CASE WHEN k.method = 'direct_debit' AND NOT k.on_time THEN 'transfer'
                    ELSE k.method END AS method,
               {u_ref} AS u_ref, {u_card} AS u_card, {u_minutes} AS u_minutes
        FROM (
            SELECT o.*,
                   CASE WHEN o.drawn = 'missed' AND o.due_on < %(missed_since)s THEN 'late_long'
                        ELSE o.drawn END AS kind,
                   GREATEST(0.01, LEAST(o.amount - 0.01,
                       round(o.amount * (0.3 + 0.4 * {u_share})::numeric, 2))) AS share,
                   {u_days} AS u_days, {u_days2} AS u_days2
            FROM demo_payment_outcome o
            OFFSET 0
        ) o
        CROSS JOIN LATERAL (
            VALUES
                (1,
                 CASE WHEN o.kind = 'partial' AND o.amount >= 0.02 THEN o.share ELSE o.amount END,
                 CASE o.kind
                     WHEN 'on_time' THEN CASE WHEN o.method = 'direct_debit' THEN o.due_on
                                              ELSE o.due_on - floor(o.u_days ^ 2 * 12)::int END
                     WHEN 'late' THEN o.due_on + 1 + floor(o.u_days ^ 2 * 44)::int
                     WHEN 'late_long' THEN o.due_on + 30 + floor(o.u_days * 45)::int
                     WHEN 'partial' THEN o.due_on - 3 + floor(o.u_days * 14)::int
                 END,
                 o.kind = 'on_time' OR (o.kind = 'partial' AND o.amount < 0.02), o.method),
                -- The rest of an old part-paid instalment, weeks later.
                (2, o.amount - o.share,
                 CASE WHEN o.kind = 'partial' AND o.amount >= 0.02
                       AND o.due_on < %(partial_since)s
                      THEN o.due_on + 20 + floor(o.u_days2 * 40)::int END,
                 false, o.method)
        ) AS k(part, amount, paid_on, on_time, method)
    ) x
    WHERE x.paid_on IS NOT NULL AND x.paid_on <= %(today)s
    ORDER BY x.instalment_id, x.part
) q
"""

# The reference a payment by each method carries.
_REFERENCE = """
CASE p.method
    WHEN 'card' THEN 'AUT ' || lpad((floor(p.u_ref * 1000000))::int::text, 6, '0')
                     || ' ****' || lpad((floor(p.u_card * 10000))::int::text, 4, '0')
    WHEN 'transfer' THEN CASE p.currency
        WHEN 'MXN' THEN 'SPEI ' || to_char(p.paid_on, 'YYYYMMDD')
                        || lpad((floor(p.u_ref * 100000000))::bigint::text, 8, '0')
        ELSE to_char(p.paid_on, 'YYYYMMDD')
             || lpad((floor(p.u_ref * 1000000000))::bigint::text, 10, '0') END
    WHEN 'direct_debit' THEN 'DOM ' || p.policy_number || '/' || p.number
    WHEN 'at_insurer' THEN upper(p.insurer_code) || '-'
                           || lpad((floor(p.u_ref * 100000000))::bigint::text, 8, '0')
    WHEN 'cash' THEN 'REC ' || lpad((floor(p.u_ref * 1000000))::int::text, 6, '0')
    ELSE ''
END
"""

_PAYMENTS = """
WITH inserted AS (
    INSERT INTO billing_payment
        (id, client_id, amount, currency, method, reference, paid_on, recorded_by_id,
         recorded_at, token)
    SELECT p.payment_id, p.holder_id, p.amount, p.currency, p.method, {reference}, p.paid_on,
           p.agent_id,
           LEAST(%(now)s, (p.paid_on + make_interval(mins => 540 + floor(p.u_minutes * 540)::int))
                          ::timestamp AT TIME ZONE %(tz)s),
           NULL
    FROM demo_payment_part p
    ORDER BY p.payment_id
    RETURNING *
)
INSERT INTO billing_historicalpayment
    ({columns}, history_date, history_type, history_change_reason, history_user_id)
SELECT {columns}, inserted.recorded_at, '+', %(reason)s, inserted.recorded_by_id FROM inserted
"""

_ALLOCATIONS = """
INSERT INTO billing_allocation (payment_id, instalment_id, amount)
SELECT p.payment_id, p.instalment_id, p.amount FROM demo_payment_part p ORDER BY p.payment_id
"""

# What each instalment is after its payments (billing.payments._status_after's rule, with
# "overdue" for an open instalment due before today, as the morning run marks it).
_INSTALMENTS = """
WITH paid AS (
    SELECT instalment_id, sum(amount) AS paid, max(paid_on) AS last_paid_on
    FROM demo_payment_part GROUP BY instalment_id
),
updated AS (
    UPDATE billing_instalment i
    SET paid_amount = COALESCE(paid.paid, 0),
        status = CASE WHEN COALESCE(paid.paid, 0) >= i.amount THEN 'paid'
                      WHEN i.due_on < %(today)s THEN 'overdue'
                      WHEN COALESCE(paid.paid, 0) > 0 THEN 'partly_paid'
                      ELSE 'pending' END,
        paid_on = CASE WHEN COALESCE(paid.paid, 0) >= i.amount THEN paid.last_paid_on END
    FROM demo_payment_outcome o
    LEFT JOIN paid ON paid.instalment_id = o.id
    WHERE i.id = o.id AND (paid.instalment_id IS NOT NULL OR o.due_on < %(today)s)
    RETURNING i.*, o.agent_id AS demo_agent_id
)
INSERT INTO billing_historicalinstalment
    ({columns}, history_date, history_type, history_change_reason, history_user_id)
SELECT {columns}, %(now)s, '~', %(reason)s, updated.demo_agent_id FROM updated
"""

# Promises on late payments (made after the due date, before the payment: kept when paid by
# the promised day, broken otherwise) and on instalments still owed (open until the promised
# day, broken after it).
_PROMISES = """
INSERT INTO billing_paymentpromise
    (instalment_id, promised_on, status, made_by_id, made_at, settled_on, note)
SELECT c.id, c.promised_on,
       CASE WHEN c.kept THEN %(kept)s WHEN c.promised_on >= %(today)s THEN %(open)s
            ELSE %(broken)s END,
       c.agent_id,
       ((c.made_on + make_interval(mins => 540 + floor(c.u_minutes * 540)::int))::timestamp
           AT TIME ZONE %(tz)s),
       CASE WHEN c.kept THEN c.paid_on
            WHEN c.promised_on < %(today)s THEN c.promised_on + 1 END,
       CASE c.currency WHEN 'CNY' THEN (%(notes_cny)s::text[])[1 + floor(c.u_note * %(n_cny)s)::int]
                       ELSE (%(notes_mxn)s::text[])[1 + floor(c.u_note * %(n_mxn)s)::int] END
FROM (
    SELECT l.*,
           CASE WHEN l.kept THEN l.paid_on + floor(l.u_promise * 3)::int
                WHEN l.paid_on IS NOT NULL
                    THEN l.made_on + 1 + floor(l.u_promise * (l.paid_on - l.made_on - 1))::int
                ELSE l.made_on + 2 + floor(l.u_promise * 8)::int END AS promised_on
    FROM (
        SELECT i.id, o.agent_id, o.currency, i.paid_on, {u_minutes} AS u_minutes,
               {u_note} AS u_note, {u_promise} AS u_promise,
               CASE WHEN i.status = 'paid'
                    THEN i.due_on + 1 + floor({u_made} * LEAST(i.paid_on - i.due_on - 2, 5))::int
                    ELSE i.due_on + floor({u_made} * (%(today)s - i.due_on))::int END AS made_on,
               i.status = 'paid'
                   AND ({u_kept} < %(kept_share)s OR i.paid_on - i.due_on < 5) AS kept
        FROM billing_instalment i
        JOIN demo_payment_outcome o ON o.id = i.id
        WHERE (i.status = 'paid' AND i.paid_on > i.due_on + 2 AND {u_pick} < %(on_late)s)
           OR (i.status = 'overdue' AND {u_pick} < %(on_owed)s)
    ) l
) c
ORDER BY c.id
"""

# One open risk per active policy: its oldest instalment unpaid past the insurer's grace.
_RISKS = """
WITH inserted AS (
    INSERT INTO billing_cancellationrisk
        (policy_id, instalment_id, source, opened_on, status, decided_by_id, decided_at, note)
    SELECT r.policy_id, r.id, %(grace)s, r.due_on + r.grace_days + 1, %(risk_open)s, NULL, NULL,
           ''
    FROM (
        SELECT DISTINCT ON (o.policy_id) o.policy_id, o.id, o.due_on, o.grace_days
        FROM demo_payment_outcome o
        JOIN billing_instalment i ON i.id = o.id
        WHERE i.status IN ('pending', 'partly_paid', 'overdue')
          AND o.policy_status = %(active)s
          AND o.due_on + o.grace_days < %(today)s
          AND NOT EXISTS (
              SELECT 1 FROM billing_cancellationrisk k
              WHERE k.policy_id = o.policy_id AND k.status = %(risk_open)s
          )
        ORDER BY o.policy_id, o.due_on, o.number
    ) r
    ORDER BY r.policy_id
    RETURNING *
)
INSERT INTO billing_historicalcancellationrisk
    ({columns}, history_date, history_type, history_change_reason, history_user_id)
SELECT {columns}, %(now)s, '+', %(reason)s, NULL FROM inserted
"""

# What was written, for the step's line: payments and the instalments' outcomes.
_COUNTS = """
SELECT
    (SELECT count(*) FROM demo_payment_part),
    (SELECT count(*) FROM demo_payment_outcome o JOIN billing_instalment i ON i.id = o.id
     WHERE i.status = 'paid' AND i.paid_on <= i.due_on),
    (SELECT count(*) FROM demo_payment_outcome o JOIN billing_instalment i ON i.id = o.id
     WHERE i.status = 'paid' AND i.paid_on > i.due_on),
    (SELECT count(*) FROM demo_payment_outcome o JOIN billing_instalment i ON i.id = o.id
     WHERE i.status IN ('overdue', 'partly_paid') AND i.paid_amount > 0),
    (SELECT count(*) FROM demo_payment_outcome o JOIN billing_instalment i ON i.id = o.id
     WHERE i.status = 'overdue' AND i.paid_amount = 0),
    (SELECT count(*) FROM billing_paymentpromise),
    (SELECT count(*) FROM billing_cancellationrisk WHERE status = %(risk_open)s)
"""


def _columns(model) -> str:
    quote = connection.ops.quote_name
    return ", ".join(quote(f.column) for f in model._meta.concrete_fields)


def _statements() -> list[str]:
    draws = {
        "u_share": _u("o.key", 2),
        "u_days": _u("o.key", 3),
        "u_days2": _u("o.key", 4),
        "u_ref": _u("o.key * 2 + k.part", 7),
        "u_card": _u("o.payer_key", 8),
        "u_minutes": _u("o.key * 2 + k.part", 9),
    }
    outcomes = _OUTCOMES.format(
        outcome=_outcome_sql(), method=_method_sql("o.u_usual", "o.u_other"),
        u_outcome=_u("o.key", 1), u_payer=_u("o.payer_key", 0), u_usual=_u("o.payer_key", 10),
        u_other=_u("o.key", 11), u_which=_u("o.key", 5),
    )  # fmt: skip
    parts = _PARTS.format(
        **{k: draws[k] for k in ("u_share", "u_days", "u_days2", "u_ref", "u_card", "u_minutes")},
    )
    promises = _PROMISES.format(
        u_minutes=_u("o.key", 20), u_note=_u("o.key", 21), u_promise=_u("o.key", 22),
        u_made=_u("o.key", 23), u_kept=_u("o.key", 24), u_pick=_u("o.key", 25),
    )  # fmt: skip
    return [
        outcomes,
        parts,
        _ANALYZE_TEMP,  # temporary tables have no statistics until told; the joins need them
        _PAYMENTS.format(reference=_REFERENCE, columns=_columns(Payment)),
        _ALLOCATIONS,
        _INSTALMENTS.format(columns=_columns(Instalment)),
        promises,
        _RISKS.format(columns=_columns(CancellationRisk)),
    ]


def seed_instalments(ctx: DemoContext) -> None:
    started = monotonic()
    written = instalments_plan_missing(reason=REASON)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {connection.ops.quote_name(Instalment._meta.db_table)}")
    ctx.write(f"instalments: {written} planned in {monotonic() - started:.1f} s")


def seed_payment_history(ctx: DemoContext) -> None:
    """Payments, promises to pay and policies at risk for the demo's instalments already due
    (see the module's docstring): a fixed number of statements whatever the size."""
    started = monotonic()
    salt = ctx.rng.randrange(2**31)  # drawn even when skipped: later steps see the same rng
    if Payment.objects.exists() or PaymentPromise.objects.exists():
        ctx.write("payment history: the book already has payments; none added")
        return
    today = demo_today(ctx)
    params = {
        "salt": salt,
        "today": today,
        "early": today + timedelta(days=EARLY_DAYS),
        "missed_since": today - timedelta(days=MISSED_DAYS),
        "partial_since": today - timedelta(days=PARTIAL_DAYS),
        "tz": timezone.get_current_timezone_name(),
        "now": timezone.now(),
        "reason": REASON,
        "kept": PromiseStatus.KEPT.value,
        "open": PromiseStatus.OPEN.value,
        "broken": PromiseStatus.BROKEN.value,
        "kept_share": PROMISE_KEPT_SHARE,
        "on_late": PROMISE_ON_LATE_SHARE,
        "on_owed": PROMISE_ON_OWED_SHARE,
        "notes_mxn": NOTES[Currency.MXN],
        "notes_cny": NOTES[Currency.CNY],
        "n_mxn": len(NOTES[Currency.MXN]),
        "n_cny": len(NOTES[Currency.CNY]),
        "grace": RiskSource.GRACE.value,
        "risk_open": RiskStatus.OPEN.value,
        "active": PolicyStatus.ACTIVE.value,
    }
    tables = ", ".join(
        connection.ops.quote_name(m._meta.db_table)
        for m in (Payment, Allocation, Instalment, PaymentPromise, CancellationRisk)
    )
    with connection.cursor() as cursor:
        cursor.execute(_DROP)
        for statement in _statements():
            cursor.execute(statement, _used(statement, params))
        cursor.execute(_COUNTS, _used(_COUNTS, params))
        payments, on_time, late, partial, missed, promises, risks = cursor.fetchone()
        cursor.execute(_DROP)
        cursor.execute(f"ANALYZE {tables}")
    ctx.write(
        f"payment history: {payments} payments ({on_time} instalments paid on time, {late} "
        f"late, {partial} part-paid, {missed} missed), {promises} promises to pay, {risks} "
        f"policies at risk in {monotonic() - started:.1f} s"
    )


def _used(statement: str, params: dict) -> dict:
    """The parameters a statement names (None for none)."""
    return {k: v for k, v in params.items() if f"%({k})s" in statement} or None
