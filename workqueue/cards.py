"""The parts every call-list card shares, written in Python (issue 18: a page of 50 cards in
≤ 20 ms of CPU). Django's template engine costs some 0.3 ms to draw one card's result buttons
and 0.1 ms its call-back time and previous results; these functions write the same HTML, every
value escaped by ``format_html``'s rules (``brokerage.core.markup.fmt``) and every word
translated in the active language, in a tenth of that. The card templates call them through
``workqueue_tags`` (``card_results``, ``card_history``)"""

import os

from django.utils import timezone
from django.utils.formats import time_format
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from brokerage.core.dates import short_date
from brokerage.core.markup import esc, fmt, words
from brokerage.core.reversing import pk_url

# A result's button is the same on every card but for the item: written once per result and
# language (its label translated), then reused (labels and styles are fixed at start-up).
_BUTTONS: dict[tuple, tuple] = {}


def _button(result, language) -> str:
    key = (id(result), language)
    cached = _BUTTONS.get(key)
    if cached is None or cached[0] is not result:  # the result is kept: its id is not reused
        html = fmt(
            '<button class="btn btn-sm btn-{}" name="result" value="{}" data-result="{}">{}'
            "</button>",
            result.style,
            result.code,
            result.code,
            result.label,
        )
        cached = _BUTTONS[key] = (result, html)
    return cached[1]


def _link(result, url, language) -> str:
    key = (id(result), language, "link")
    cached = _BUTTONS.get(key)
    if cached is None or cached[0] is not result:
        head = fmt('<a class="btn btn-sm btn-{}" href="', result.style)
        tail = fmt('" data-result="{}">{}</a>', result.code, result.label)
        cached = _BUTTONS[key] = (result, head, tail)
    return f"{cached[1]}{esc(url)}{cached[2]}"


# Submission tokens: random version-4 UUIDs as ``str(uuid.uuid4())`` writes them (the form's
# UUIDField reads them), cut from one read of the system's random source per 64 tokens instead
# of one read and one UUID object per token (a page of 50 cards writes 100). Each is used once;
# a process forked after the pool was filled (its pid differs) refills its own.
_POOL = 64
_tokens: list[str] = []
_tokens_pid = [0]


def submission_token() -> str:
    """A new random token naming one rendering of a card's form (122 random bits)."""
    try:
        if _tokens_pid[0] == os.getpid():
            return _tokens.pop()
    except IndexError:
        pass
    hexes = os.urandom(16 * _POOL).hex()
    fresh = [
        f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:32]}"
        for h in (hexes[n : n + 32] for n in range(0, len(hexes), 32))
    ]
    _tokens[:] = fresh[1:]
    _tokens_pid[0] = os.getpid()
    return fresh[0]


# A fragment stamped on every card, cut once at its marks (the page's fifty cards each join
# the pieces instead of searching the whole fragment twice).
_PIECES: dict[str, list] = {}


def stamp(fragment, pk) -> SafeString:
    """A fragment written once per page for every card (workqueue.selectors.callback_form),
    stamped with this card's item id and a submission token of its own."""
    from .selectors import STAMP_PK, STAMP_TOKEN

    # The page's own fragment is the key: its hash is kept on it, not recomputed on a copy.
    text = fragment if isinstance(fragment, str) else str(fragment)
    pieces = _PIECES.get(text)
    if pieces is None:
        if len(_PIECES) > 100:
            _PIECES.clear()
        pieces = _PIECES[text] = [part.split(STAMP_TOKEN) for part in text.split(str(STAMP_PK))]
    token = submission_token()
    text = str(int(pk)).join(token.join(part) for part in pieces)
    return SafeString(text)  # (safe: written by us)


# The last CSRF token and its input, the same on all of a page's cards: one tuple, read and
# replaced whole, so that a thread never pairs one request's token with another's input.
_last_csrf: tuple = (None, "")


def _csrf_input(csrf_token) -> str:
    global _last_csrf  # noqa: PLW0603 (one tuple replaced whole)
    last = _last_csrf
    if last[0] != csrf_token:
        last = _last_csrf = (
            csrf_token,
            fmt('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', csrf_token),
        )
    return last[1]


def results_html(item, *, csrf_token=None, callback_form=None) -> SafeString:
    """The results the item's kind offers (``item.offered``, from
    workqueue.selectors.attach_context): one-click posts (htmx swaps the item; a plain POST is
    the fallback) with a submission token of their own, links to the pages that record a result
    with what it needs, and the page's call-back form stamped for the item."""
    result_url = pk_url("workqueue:result")(item.pk)
    parts = [
        fmt(
            '<form method="post" action="{0}" class="d-flex flex-wrap gap-1 mt-2" hx-post="{0}" '
            'hx-target="#item-{1}" hx-swap="outerHTML" data-testid="result-buttons">',
            result_url,
            item.pk,
        )
    ]
    if csrf_token and csrf_token != "NOTPROVIDED":  # noqa: S105 (Django's "no token" mark)
        parts.append(_csrf_input(csrf_token))
    parts.append(f'<input type="hidden" name="token" value="{submission_token()}">')
    language = get_language()
    for offer in item.offered:
        if offer["url"]:
            parts.append(_link(offer["result"], offer["url"], language))
        else:
            parts.append(_button(offer["result"], language))
    parts.append("</form>")
    if callback_form and item.kind_info.takes_call_backs:
        parts.append(stamp(callback_form, item.pk))
    return SafeString("\n".join(parts))  # (safe: each part escaped above)


def _history_labels() -> dict:
    return {"now": _("Call back now"), "at": _("Call back at")}


def history_html(item) -> SafeString:
    """The item's call-back time (prominent: the agent calls at that time) and the results
    logged before (``item.ctx["previous"]``: at, label, note), on every kind's card."""
    parts = []
    if item.callback_at:
        at = timezone.localtime(item.callback_at)
        when = time_format(at, "TIME_FORMAT")
        if not getattr(item, "callback_today", False):
            when = f"{short_date(at)} {when}"
        labels = words(get_language(), "card-history", _history_labels)
        if getattr(item, "callback_due", False):
            badge = fmt(
                '<span class="badge text-bg-danger fs-6">{} · {}</span>', labels["now"], when
            )
        else:
            badge = fmt('<span class="badge text-bg-info fs-6">{} {}</span>', labels["at"], when)
        parts.append(fmt('<div class="mt-1 mb-1" data-testid="callback-time">{}</div>', badge))
    previous = item.ctx.get("previous") if isinstance(getattr(item, "ctx", None), dict) else None
    if previous:
        last = len(previous) - 1
        rows = [
            '<li class="list-inline-item" title="{}">{} {}{}</li>'.format(
                esc(prev.get("note") or ""),
                short_date(prev["at"]),
                esc(prev["label"]),
                "" if n == last else " ·",
            )
            for n, prev in enumerate(previous)
        ]
        parts.append(
            '<ul class="list-inline small text-body-secondary mb-0 mt-1" '
            f'data-testid="previous-results">{"".join(rows)}</ul>'
        )
    return SafeString("\n".join(parts))  # (safe: each value escaped above)


def card_open_html(item, kind: str = "", classes: str = "") -> str:
    """The opening tag of every call card written in Python (its ``kind`` in ``data-kind``
    where the card carries one, and the card's own ``classes`` after the list's); the card
    closes it."""
    return fmt(
        '<div class="list-group-item call-item{2}" id="item-{0}" data-item="{0}" '
        'data-testid="call-item"{1}>',
        item.pk,
        fmt(' data-kind="{}"', kind) if kind else "",
        f" {classes}" if classes else "",
    )


def alerts_html(feedback="", error="") -> str:
    """What a result just did (or why it was refused), at the top of the card htmx swapped."""
    out = ""
    if feedback:
        out += fmt(
            '<div class="alert alert-success py-1 px-2 small mb-2" role="status" '
            'data-testid="item-feedback">{}</div>',
            feedback,
        )
    if error:
        out += fmt(
            '<div class="alert alert-danger py-1 px-2 small mb-2" role="alert" '
            'data-testid="item-error">{}</div>',
            error,
        )
    return out


def csp_nonce(context) -> str:
    """The page's CSP nonce, for a card that writes a script (``WorkKind.card_script``)."""
    return context.get("csp_nonce") or getattr(context.get("request"), "csp_nonce", "")


def card_parts(context) -> dict:
    """What a card written in Python takes from its template's context: the result's feedback
    or error (after an htmx result), the CSRF token and the page's call-back form."""
    return {
        "feedback": context.get("feedback") or "",
        "error": context.get("error") or "",
        "csrf_token": context.get("csrf_token"),
        "callback_form": context.get("callback_form"),
    }
