"""The service request's and the life-policy service case's card of the call list, written in
Python (issue 18: a page of 50 cards in ≤ 20 ms of CPU; the template engine took 0.3 ms a
card, and a busy agent's first page holds some thirty of them): the same HTML the template
wrote, every value escaped (``brokerage.core.markup.fmt``) and every word translated in the
agent's language with the template's own message ids (so the translations stand), the fixed
words looked up once per language."""

from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from brokerage.core.dates import short_date
from brokerage.core.markup import esc, words
from clients.links import call_contact_html
from workqueue.cards import alerts_html, card_open_html, history_html, results_html


def _labels() -> dict:
    return {
        "request_page": esc(_("Work the request on its page")),
        "case_page": esc(_("Work the case on its page")),
        "request_title": _("Service request %(request)s: %(kind)s, %(client)s, %(policy)s"),
        "case_title": _("Service case %(case)s (%(class)s): %(client)s"),
        "due": _("due %(date)s"),
    }


PAGE_LINK = '<a href="{}" data-testid="item-page">{}</a>'


def _choice(language: str, instance, field: str) -> str:
    """A choice field's label in the active language, looked up once per language and value."""
    value = getattr(instance, field)
    return words(
        language,
        (type(instance).__name__, field, value),
        lambda: str(getattr(instance, f"get_{field}_display")()),
    )


def item_title_html(item, language: str | None = None) -> str:
    """The card's title in the reader's language (servicing/_item_title.html): the stored
    title is in the language of whoever opened the item."""
    language = language or get_language()
    ctx = item.ctx
    request, case = ctx.get("request"), ctx.get("case")
    if request:
        return words(language, "service-card", _labels)["request_title"] % {
            "request": esc(request.reference),
            "kind": esc(_choice(language, request, "kind")),
            "client": esc(ctx["client"].display_name),
            "policy": esc(ctx["policy"]),
        }
    if case:
        return words(language, "service-card", _labels)["case_title"] % {
            "case": esc(case.reference),
            "class": esc(_choice(language, case, "case_class").lower()),
            "client": esc(ctx["client"].display_name),
        }
    return esc(item.title)


def service_card_html(item, *, feedback="", error="", csrf_token=None, callback_form=None):
    """A service request or a life-policy service case on the call list: who to call, what it
    is, the page it is worked on (which closes it), the call-back time and the results."""
    ctx = item.ctx
    language = get_language()
    parts = [
        card_open_html(item, item.kind),
        alerts_html(feedback, error),
        f'<div class="fw-semibold" data-testid="item-title">{item_title_html(item, language)}'
        "</div>",
    ]
    if ctx.get("client"):
        labels = words(language, "service-card", _labels)
        request = ctx.get("request")
        if request:
            due = labels["due"] % {"date": esc(short_date(request.due_on))}
            what = "{} · {} · {}".format(
                PAGE_LINK.format(esc(ctx["page_url"]), labels["request_page"]),
                esc(_choice(language, request, "status")),
                due,
            )
        else:
            what = "{} · {}".format(
                PAGE_LINK.format(esc(ctx["page_url"]), labels["case_page"]),
                esc(_choice(language, ctx["case"], "case_class")),
            )
        parts += [
            call_contact_html(ctx["client"], ctx.get("phone"), ctx.get("whatsapp_url")),
            f'<div class="small text-body-secondary">{what}</div>',
            history_html(item),
            results_html(item, csrf_token=csrf_token, callback_form=callback_form),
        ]
    parts.append("</div>")
    return SafeString("\n".join(parts))  # (safe: each value escaped above)
