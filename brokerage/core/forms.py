"""Small forms posted from a detail page (log a call, upload a document, add a quote): run the
service, say how it went in a flash message, and let the view redirect back."""

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.utils.translation import pgettext


def form_errors_text(form) -> str:
    parts = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        text = " ".join(errors)
        # One sentence per field, so that Chinese joins them with full-width punctuation.
        if label:
            text = pgettext("a form field and its errors", "%(field)s: %(errors)s") % {
                "field": label,
                "errors": text,
            }
        parts.append(text)
    return pgettext("between the errors of two form fields", "; ").join(parts)


def run_posted_form(
    request, form, action: Callable[[dict], object], *, done: str, failed: str
) -> bool:
    """``action(cleaned_data)`` calls the service. ``failed`` holds ``%(errors)s``."""
    if not form.is_valid():
        messages.error(request, failed % {"errors": form_errors_text(form)})
        return False
    try:
        action(form.cleaned_data)
    except ValidationError as exc:
        messages.error(request, failed % {"errors": " ".join(exc.messages)})
        return False
    messages.success(request, done)
    return True


def apply_service_errors(form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form's fields (or on the form as a whole)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)
