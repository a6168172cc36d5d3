import re

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from policies.selectors import active_insurers

from .fields import (
    COMBINED_COLUMNS,
    FIELDS_BY_KIND,
    REQUIRED_ONE_OF,
    choose_columns,
    suggest_columns,
)
from .models import ReportKind


class UploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Report"),
        choices=ReportKind.choices,
        initial=ReportKind.EXPIRY,
        required=False,  # an upload that does not say is an expiry report, as before
        help_text=_(
            "An expiry report lists policies about to expire; a collection report says which "
            "instalments the insurer received (paid) or not (unpaid)."
        ),
    )
    insurer = forms.ModelChoiceField(label=_("Insurer"), queryset=active_insurers())
    file = forms.FileField(
        label=_("File"),
        help_text=_("An .xlsx, .xls or .csv file exported from the insurer's system."),
    )

    def clean_kind(self):
        return self.cleaned_data.get("kind") or ReportKind.EXPIRY

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is %(mb)d MB; the limit is %(limit)d MB.")
                % {"mb": upload.size // 2**20, "limit": settings.IMPORT_MAX_BYTES // 2**20}
            )
        return upload


def _as_posted(header: str) -> str:
    """A header as a browser posts it back from an option's value: every line break as CRLF
    (HTML's form encoding)."""
    return re.sub(r"\r\n|\r|\n", "\r\n", header)


class HeaderChoiceField(forms.ChoiceField):
    """A choice of the file's headers that knows each one as posted back: "Fecha de↵término"
    comes back "Fecha de\r\ntérmino", and would be "not one of the available choices"."""

    def _header(self, value):
        headers = {_as_posted(header): header for header, _label in self.choices if header}
        return headers.get(_as_posted(value), value)

    def to_python(self, value):
        return self._header(super().to_python(value))

    def prepare_value(self, value):
        """The header selected again when the page comes back with an error elsewhere."""
        return self._header(value) if isinstance(value, str) and value else value


class MappingForm(forms.Form):
    """One select per Cartera field, offering the file's headers. The job's columns (the
    insurer's saved mapping, or the suggestions made with confidence from the headers) come
    selected; a field left empty says which of the other headers comes closest, if any."""

    def __init__(self, *args, job, headers, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = job.kind
        choices = [("", _("— not in this file —"))] + [(h, h) for h in headers if h]
        # As the shell import chooses: the saved columns this file has, completed with the
        # suggestions made with confidence when they leave a required field without a column
        # (a saved "Nombre del asegurado" written with a non-breaking space, say).
        columns = choose_columns(headers, job.kind, saved=job.columns).columns
        used = set(columns.values())
        hints = {
            f: s
            for f, s in suggest_columns([h for h in headers if h not in used], job.kind).items()
            if f not in columns
        }
        for field in FIELDS_BY_KIND[job.kind]:
            hint = hints.get(field.name)
            self.fields[field.name] = HeaderChoiceField(
                label=field.label,
                choices=choices,
                required=field.required,
                initial=columns.get(field.name, ""),
                help_text=(
                    _("Closest header: “%(header)s” (%(score)d%%).")
                    % {"header": hint.header, "score": hint.score}
                    if hint
                    else ""
                ),
                widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
            )

    def _may_share(self, first: str, second: str) -> bool:
        """Fields one column can fill together (make and model in "品牌车型")."""
        return any(
            first in names and second in names for names in COMBINED_COLUMNS.get(self.kind, {})
        )

    def clean(self):
        data = super().clean()
        for group in REQUIRED_ONE_OF.get(self.kind, ()):
            if not any(data.get(name) for name in group):
                first, second = (self.fields[name].label for name in group)
                self.add_error(
                    group[0],
                    _("Choose a column for “%(first)s” or for “%(second)s”.")
                    % {"first": first, "second": second},
                )
        used: dict[str, str] = {}
        for name, header in list(data.items()):
            if not header:
                continue
            if header in used and self._may_share(used[header], name):
                continue
            if header in used:
                self.add_error(
                    name,
                    _("“%(header)s” already fills %(other)s.")
                    % {"header": header, "other": self.fields[used[header]].label},
                )
            used[header] = name
        return data
