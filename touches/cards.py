"""The service touch's card of the call list, written in Python (issue 18: a page of 50 cards in
≤ 20 ms of CPU): the same HTML the template wrote, every value escaped
(``brokerage.core.markup.fmt``) and every word translated in the agent's language with the
template's own message ids (so the translations stand), the fixed words looked up once per
language."""

from django.template.defaultfilters import time as time_filter
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, ngettext_lazy, pgettext
from django.utils.translation import gettext as _

from brokerage.core.dates import short_date
from brokerage.core.markup import esc, fmt, plural, words
from brokerage.core.reversing import pk_url
from clients.links import call_contact_html
from workqueue.cards import alerts_html, card_open_html, history_html, results_html

DT = '<dt class="col-6 fw-normal text-body-secondary">{}</dt>'
IN_DAYS = ngettext_lazy("in %(counter)s day", "in %(counter)s days", "counter")
ATTEMPTS = ngettext_lazy("%(counter)s attempt", "%(counter)s attempts", "counter")


def _labels() -> dict:
    """The card's fixed words in the active language, as the template's {% translate %} wrote
    them: the catalogue's text as it is (trusted, not escaped)."""
    return {
        "scripts": {
            "thank_you": _(
                "Thank the client for choosing us, check the policy arrived and offer help "
                "with anything about it."
            ),
            "plate_endorsement": _(
                "Ask for the vehicle's plate number: once the client has it, record it and "
                "have the insurer endorse the policy."
            ),
            "return_visit": _(
                "Check the client received the policy documents, ask how satisfied they are "
                "and for suggestions, and confirm their phone, e-mail and address."
            ),
            "inspection_due": _("Remind the client of the vehicle's annual inspection."),
            "licence_due": _("Remind the client that their driver's licence expires soon."),
            "birthday": _("Wish the client a happy birthday."),
        },
        "holiday": _("Send the client our greetings for %(holiday)s."),
        "touch": DT.format(_("Touch")),
        "vehicle": DT.format(_("Vehicle")),
        "inspection": DT.format(_("Inspection")),
        "licence": DT.format(_("Licence expires")),
        "reachable": DT.format(_("Reachable")),
        "due": DT.format(pgettext("work item due on", "Due")),
        "client_file": _("Client file"),
    }


def _script(item, labels) -> str:
    if item.kind == "holiday":
        return labels["holiday"] % {"holiday": esc(item.ctx.get("holiday", ""))}
    return labels["scripts"].get(item.kind, "")


def _rows(item, ctx, client, labels, language) -> list[str]:
    touch, vehicle = ctx["touch"], ctx.get("vehicle")
    rows = [
        labels["touch"],
        fmt('<dd class="col-6 mb-0" data-testid="touch-kind">{}</dd>', touch.get_kind_display()),
    ]
    if vehicle:
        plate = fmt(" · {}", vehicle.plate) if vehicle.plate else ""
        rows += [
            labels["vehicle"],
            fmt(
                '<dd class="col-6 mb-0" data-testid="touch-vehicle">{} {} {}{}</dd>',
                vehicle.make,
                vehicle.model,
                vehicle.year,
                mark_safe(plate),  # noqa: S308 (escaped above)
            ),
        ]
    if ctx.get("date"):
        rows += [
            labels["inspection" if item.kind == "inspection_due" else "licence"],
            fmt(
                '<dd class="col-6 mb-0" data-testid="touch-date">{} '
                '<span class="badge text-bg-light border">{}</span></dd>',
                short_date(ctx["date"]),
                plural(language, IN_DAYS, ctx["days_to"]),
            ),
        ]
    if client.contact_from and client.contact_to:
        rows += [
            labels["reachable"],
            fmt(
                '<dd class="col-6 mb-0" data-testid="touch-window">{}–{}</dd>',
                time_filter(client.contact_from, "H:i"),
                time_filter(client.contact_to, "H:i"),
            ),
        ]
    attempts = fmt(" · {}", plural(language, ATTEMPTS, item.attempts)) if item.attempts else ""
    rows += [
        labels["due"],
        fmt(
            '<dd class="col-6 mb-0">{}{}</dd>',
            short_date(item.due_on),
            mark_safe(attempts),  # noqa: S308 (escaped above)
        ),
    ]
    return rows


def touch_card_html(item, *, feedback="", error="", csrf_token=None, callback_form=None):
    """A service touch: who to call, what about (the policy, the vehicle and its date, the
    occasion), what to say, the client's profile and contact window, and the touch's
    results."""
    ctx = item.ctx
    parts = [
        card_open_html(item, item.kind),
        alerts_html(feedback, error),
    ]
    if ctx.get("touch"):
        language = get_language()
        labels = words(language, "touch-card", _labels)
        client, policy = ctx["client"], ctx.get("policy")
        head = [call_contact_html(client, ctx.get("phone"), ctx.get("whatsapp_url"))]
        if policy:
            head.append(
                fmt(
                    '<div class="small text-body-secondary"><a href="{}">{}</a> · {} · {}</div>',
                    pk_url("policies:detail")(policy.pk),
                    policy.number,
                    policy.insurer,
                    policy.get_line_display(),
                )
            )
        head.append(
            f'<div class="small mt-1" data-testid="touch-script">{_script(item, labels)}</div>'
        )
        if client.occupation or client.hobbies:
            profile = " · ".join(esc(text) for text in (client.occupation, client.hobbies) if text)
            head.append(
                f'<div class="small text-body-secondary" data-testid="touch-profile">{profile}'
                "</div>"
            )
        parts += [
            '<div class="d-flex flex-wrap align-items-start gap-3"><div class="me-auto">',
            "\n".join(head),
            '</div><dl class="row small mb-0 text-nowrap" style="min-width: 16rem">',
            "".join(_rows(item, ctx, client, labels, language)),
            "</dl></div>",
            history_html(item),
            results_html(item, csrf_token=csrf_token, callback_form=callback_form),
            fmt(
                '<a class="small" href="{}">{}</a>',
                pk_url("clients:detail")(client.pk),
                mark_safe(labels["client_file"]),  # noqa: S308 (the catalogue's, as {% translate %})
            ),
        ]
    else:
        parts.append(fmt('<div class="fw-semibold">{}</div>', item.title))
    parts.append("</div>")
    return mark_safe("\n".join(parts))  # noqa: S308 (each value escaped above)
