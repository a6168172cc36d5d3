"""One way to read a list's or a report's filters from its URL, with its validation.

A list declares its parameters once, as a django-filter ``FilterSet``: each parameter's name,
its form field (which says what a valid value is) and how it narrows the queryset. A report
declares its parameters as a Django form. ``read_form`` validates the bound form: a value that
is not understood is set aside (its label is named, for the page to say so) and the parameter
keeps its default. A bad URL gives the page with a message, never an error.

The fields below refuse what Python would half-accept: ``"²".isdigit()`` is true but
``int("²")`` fails; a NUL byte cannot reach PostgreSQL; a primary key has at most 63 bits; a
day lies between ``FIRST_DAY`` and ``LAST_DAY`` so that a range can be moved by a few years
without leaving the calendar."""

from dataclasses import fields
from datetime import date

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext, gettext_lazy

PK_MAX = 2**63 - 1  # BigAutoField
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2999, 12, 31)


class PkField(forms.IntegerField):
    """A primary key: a whole number from 1 to PK_MAX, one of ``allowed`` when it is given;
    ``also`` are words taken as they are (e.g. ``none``: "without one")."""

    def __init__(self, *, allowed=None, also=(), **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(min_value=1, max_value=PK_MAX, **kwargs)
        self.allowed = allowed
        self.also = tuple(also)

    def to_python(self, value):
        if isinstance(value, str) and value in self.also:
            return value
        return super().to_python(value)

    def run_validators(self, value):
        if value in self.also:
            return
        super().run_validators(value)
        if self.allowed is not None and value not in self.empty_values:
            if value not in self.allowed:
                raise ValidationError(
                    gettext_lazy(
                        "Select a valid choice. That choice is not one of the available choices."
                    ),
                    code="invalid_choice",
                )


class DayField(forms.DateField):
    """A day written as the URL writes it, YYYY-MM-DD (whatever the reader's language), from
    FIRST_DAY to LAST_DAY."""

    input_formats = ["%Y-%m-%d"]

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(input_formats=self.input_formats, **kwargs)
        self.validators += [MinValueValidator(FIRST_DAY), MaxValueValidator(LAST_DAY)]


class TextField(forms.CharField):
    """Free text (a search): stripped and cut to ``length`` characters, its inner spaces
    collapsed to one when ``collapse``; a NUL byte makes it invalid."""

    def __init__(self, *, length, collapse=False, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.length, self.collapse = length, collapse

    def to_python(self, value):
        value = super().to_python(value)
        if self.collapse:
            value = " ".join(value.split())
        return value[: self.length]


class FlagField(forms.Field):
    """A check box: on when the URL says ``1``, off otherwise (never invalid)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value):
        return value == "1"


class PkFilter(django_filters.Filter):
    field_class = PkField


class DayFilter(django_filters.Filter):
    field_class = DayField


class TextFilter(django_filters.Filter):
    field_class = TextField


class FlagFilter(django_filters.Filter):
    field_class = FlagField


class ListFilterSet(django_filters.FilterSet):
    """A list's filters. ``read`` validates the URL's parameters; ``narrow`` applies values
    read before (defaults included) to the queryset, in the order the filters are declared."""

    def read(self) -> tuple[dict, list[str]]:
        return read_form(self.form)

    def narrow(self, values: dict):
        qs = self.queryset
        for name, filter_ in self.filters.items():
            if name in values:
                qs = filter_.filter(qs, values[name])
        return qs


def read_form(form) -> tuple[dict, list[str]]:
    """The form's valid values that are not empty, and the labels of its fields whose value
    was not understood (in the order of the fields)."""
    form.is_valid()
    values, ignored = {}, []
    for name, field in form.fields.items():
        if name in form.errors:
            ignored.append(str(field.label or name))
            continue
        value = form.cleaned_data.get(name)
        if value not in (None, ""):
            values[name] = value
    return values, ignored


def filter_values(filters) -> dict:
    """A dataclass of filters as the values ``ListFilterSet.narrow`` takes (its defaults
    included, its ``ignored`` left out)."""
    return {f.name: getattr(filters, f.name) for f in fields(filters) if f.name != "ignored"}


def ignored_message(labels) -> str:
    """What a list says of the parameters it ignored."""
    return gettext("Some filters were not understood and were ignored: %(names)s.") % {
        "names": ", ".join(labels)
    }


def shown(value, length=40) -> str:
    """A value from the URL as a message may show it: printable characters only, cut short."""
    text = "".join(c if c.isprintable() else "\N{REPLACEMENT CHARACTER}" for c in str(value))
    return text if len(text) <= length else text[: length - 1] + "…"
