"""What can be wrong with a report row, as a code and its parameters.

A row error is stored as ``code`` + ``params`` and rendered when it is read, in the reader's
language (``RowError.text``); the parsers raise ``RowProblem``, a ``ValueError`` whose text is
the rendered template in the current language.
"""

from django.utils.translation import gettext_lazy as _

TEMPLATES = {
    "date_not_a_date": _("Not a date: %(value)s."),
    "date_empty": _("The date is empty."),
    "date_not_real": _("Not a real date: %(value)s."),
    "date_unknown_shape": _("Not a date: %(value)s (use 2026-12-01, 01/12/2026 or 2026年12月1日)."),
    "amount_not_an_amount": _("Not an amount: %(value)s."),
    "amount_negative": _("The amount cannot be negative: %(value)s."),
    "amount_too_large": _("The amount is too large: %(value)s."),
    "amount_empty": _("The amount is empty."),
    "phone_empty": _("The phone is empty."),
    "phone_not_a_phone": _("Not a phone number: %(value)s."),
    "phone_invalid": _("Not a valid phone number: %(value)s."),
    "line_unknown": _("Unknown line of business: %(value)s."),
    "currency_unknown": _("Unknown currency: %(value)s."),
    "year_invalid": _("Not a vehicle year: %(value)s."),
    "email_invalid": _("Not an e-mail address: %(value)s."),
    # The same words as the VIN check (policies.validators) and the policy's dates
    # (policies.models.policy_date_problems), which forms show.
    "vin_length": _("A VIN has 17 characters; this one has %(count)d."),
    "vin_letter": _(
        "Character %(position)d is “%(char)s”: the letters I, O and Q are never used"
        " in a VIN (did you mean 1 or 0?)."
    ),
    "vin_character": _("Character %(position)d is “%(char)s”, which cannot appear in a VIN."),
    "vin_check_digit": _(
        "The check digit (9th character) is “%(got)s” but should be “%(expected)s”:"
        " a character of this VIN is wrong. Check it against the vehicle registration."
    ),
    "date_out_of_bounds": _("The date must be between %(first)s and %(last)s."),
    "end_not_after_start": _("The end date must be after the start date."),
    "term_too_long": _("A policy cannot run for more than %(years)d years."),
    "missing": _("This value is missing."),
    "duplicate_policy": _("The same policy as row %(row)d."),
    # Collection reports (imports.collections): a row that cannot be read, or that does not
    # agree with the instalments Cartera holds (reported, never applied).
    "duplicate_instalment": _("The same instalment as row %(row)d."),
    "instalment_or_due_missing": _("Neither the instalment number nor its due date is given."),
    "instalment_invalid": _("Not an instalment number: %(value)s."),
    "status_unknown": _("Not a payment status: %(value)s (use paid or unpaid)."),
    "paid_on_future": _("The payment date %(value)s is in the future."),
    "paid_without_amount": _("The row says paid but the amount paid is zero."),
    "policy_unknown": _("No policy %(number)s of this insurer in Cartera."),
    "instalment_unknown": _("Policy %(number)s has no instalment %(instalment)s."),
    "instalment_due_mismatch": _(
        "Instalment %(instalment)s of policy %(number)s falls due on %(expected)s, not on "
        "%(value)s."
    ),
    "due_ambiguous": _("Policy %(number)s has several instalments due on %(value)s."),
    "amount_not_outstanding": _(
        "Paid %(paid)s but instalment %(instalment)s of policy %(number)s owes %(owed)s: "
        "not recorded."
    ),
    "already_paid_other": _(
        "Instalment %(instalment)s of policy %(number)s is already paid with %(recorded)s, "
        "not %(paid)s: not recorded."
    ),
    "currency_mismatch": _(
        "The row is in %(value)s but instalment %(instalment)s of policy %(number)s is owed in "
        "%(expected)s: not recorded."
    ),
    "instalment_cancelled": _(
        "Instalment %(instalment)s of policy %(number)s is cancelled: the payment is not recorded."
    ),
    "instalment_waived": _(
        "Instalment %(instalment)s of policy %(number)s is waived: the payment is not recorded."
    ),
    "unpaid_but_paid": _(
        "The insurer says instalment %(instalment)s of policy %(number)s is unpaid; Cartera has "
        "it paid (%(recorded)s)."
    ),
    "payment_refused": _("The payment was not recorded: %(reason)s"),
    # Warnings on the agent column: the row is imported and its work waits for the distribution.
    "agent_unknown": _("No active agent is called “%(value)s”: the distribution hands it out."),
    "agent_ambiguous": _(
        "Several active agents are called “%(value)s”: the distribution hands it out."
    ),
}


def render(code: str, params: dict | None = None, fallback: str = "") -> str:
    """The error's text in the active language; an unknown code (or none) gives ``fallback``."""
    template = TEMPLATES.get(code)
    if template is None:
        return fallback
    try:
        return str(template) % (params or {}) if params else str(template)
    except (KeyError, TypeError, ValueError):
        return fallback or str(template)


class RowProblem(ValueError):
    """A cell's value cannot be read: a code from ``TEMPLATES`` and its parameters (plain
    JSON values)."""

    def __init__(self, code: str, **params):
        self.code = code
        self.params = {k: v if isinstance(v, int | str) else str(v) for k, v in params.items()}
        super().__init__(code)

    def __str__(self) -> str:
        return render(self.code, self.params)
