from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from policies.selectors import active_insurers

from .fields import FIELDS_BY_KIND


class UploadForm(forms.Form):
    insurer = forms.ModelChoiceField(label=_("Insurer"), queryset=active_insurers())
    file = forms.FileField(
        label=_("Report"),
        help_text=_("An .xlsx, .xls or .csv file exported from the insurer's system."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is %(mb)d MB; the limit is %(limit)d MB.")
                % {"mb": upload.size // 2**20, "limit": settings.IMPORT_MAX_BYTES // 2**20}
            )
        return upload


class MappingForm(forms.Form):
    """One select per Cartera field, offering the file's headers."""

    def __init__(self, *args, job, headers, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _("— not in this file —"))] + [(h, h) for h in headers if h]
        for field in FIELDS_BY_KIND[job.kind]:
            self.fields[field.name] = forms.ChoiceField(
                label=field.label,
                choices=choices,
                required=field.required,
                initial=job.columns.get(field.name, ""),
                widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
            )

    def clean(self):
        data = super().clean()
        used: dict[str, str] = {}
        for name, header in list(data.items()):
            if not header:
                continue
            if header in used:
                self.add_error(
                    name,
                    _("“%(header)s” already fills %(other)s.")
                    % {"header": header, "other": self.fields[used[header]].label},
                )
            used[header] = name
        return data
