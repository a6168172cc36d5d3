"""A policy, its insurer and its holder as a call card reads them, as plain values (issue 18: a
page of 50 cards in ≤ 20 ms of CPU; a model instance with its related instances cost some 0.1 ms
a card). The payment and renewal cards' contexts read them from one row of a compiled query
(``workqueue.rows.CompiledRows``) with ``POLICY_ROW_FIELDS`` and ``call_client_fields``."""

from types import SimpleNamespace

from django.utils.encoding import force_str
from django.utils.translation import get_language

from brokerage.core.markup import words
from clients.links import CALL_CLIENT_FIELDS

from .models import Policy


class Row(SimpleNamespace):
    """What a card, the maintainers' card and the export read of a model instance, read as
    plain values; ``_model`` names the model whose choice labels ``_label`` gives."""

    _model = None

    def _label(self, field: str):
        """``get_<field>_display()``: the choice's label in the active language, else the
        value (looked up once per language, field and value)."""
        value = getattr(self, field)
        key = (self._model, field, value)
        return words(get_language(), key, lambda: self._choice(field, value))

    def _choice(self, field: str, value):
        choices = dict(self._model._meta.get_field(field).flatchoices)
        return force_str(choices.get(value, value), strings_only=True)


class PolicyRow(Row):
    _model = Policy

    def get_line_display(self):
        return self._label("line")

    def __str__(self):
        return f"{self.insurer.code.upper()} {self.number}"


class InsurerRow(Row):
    def __str__(self):
        return self.name


class ClientRow(Row):
    def __str__(self):
        return self.display_name


# What a card reads of a policy reached through ``prefix`` (``values_list`` names), then of its
# holder (``call_client_fields(prefix + "holder__")``).
POLICY_ROW_FIELDS = ("id", "number", "line", "currency", "end_date", "insurer__name",
                     "insurer__code", "holder_id")  # fmt: skip


def policy_row_fields(prefix: str = "") -> list[str]:
    """``values_list``'s names of the policy reached through ``prefix`` and of its holder, in
    the order ``policy_from_row`` reads them."""
    return [prefix + name for name in POLICY_ROW_FIELDS] + [
        f"{prefix}holder__{name}" for name in CALL_CLIENT_FIELDS
    ]


POLICY_ROW_WIDTH = len(POLICY_ROW_FIELDS) + len(CALL_CLIENT_FIELDS)


def client_from_row(pk, values) -> ClientRow:
    """The client ``pk`` from the values of ``clients.links.call_client_fields``, in order."""
    return ClientRow(pk=pk, id=pk, **dict(zip(CALL_CLIENT_FIELDS, values, strict=True)))


def policy_from_row(values) -> PolicyRow:
    """The policy (with its insurer and its holder, ``policy.holder``) from the values of
    ``policy_row_fields``."""
    pk, number, line, currency, end_date, insurer_name, insurer_code, holder_id = values[:8]
    client = client_from_row(holder_id, values[8:])
    return PolicyRow(
        pk=pk, id=pk, number=number, line=line, currency=currency, end_date=end_date,
        insurer=InsurerRow(name=insurer_name, code=insurer_code), holder=client,
        holder_id=holder_id,
    )  # fmt: skip
