"""The claim's first-contact card of the call list (the 10-minute countdown), written in Python
(issue 18: a page of 50 cards in ≤ 20 ms of CPU; the template engine, with the countdown's own
template included, took some 0.5 ms a card): the same HTML the template wrote, every value
escaped (``brokerage.core.markup.fmt``) and every word translated in the agent's language with
the template's own message ids (so the translations stand), the fixed words looked up once per
language."""

from django.utils import timezone
from django.utils.formats import date_format, time_format
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from brokerage.core.markup import esc, fmt, words
from brokerage.core.reversing import pk_url
from claims.templatetags.claims_tags import clock
from clients.links import call_contact_html, phone_text
from workqueue.cards import alerts_html, card_open_html, history_html, results_html

# The countdown's script: one interval per page, whatever the number of cards (the first card's
# script starts it, the others' return at once).
COUNTDOWN_SCRIPT = """(function () {
  if (window.carteraClaimCountdown) return;
  window.carteraClaimCountdown = true;
  function tick() {
    document.querySelectorAll("[data-deadline]").forEach(function (el) {
      var left = Math.round((Date.parse(el.dataset.deadline) - Date.now()) / 1000);
      var late = left < 0, s = Math.abs(left);
      el.querySelector("[data-clock]").textContent = Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
      el.querySelector("[data-left]").hidden = late;
      el.querySelector("[data-late]").hidden = !late;
      el.classList.toggle("text-bg-danger", late);
      el.classList.toggle("text-bg-warning", !late);
    });
  }
  tick();
  setInterval(tick, 1000);
})();"""  # noqa: E501


def _labels() -> dict:
    dt = '<dt class="col-sm-3 fw-normal text-body-secondary">{}</dt>'
    return {
        "claim": _("Claim %(claim)s"),
        "what": fmt(dt, _("What happened")),
        "reported_by": fmt(dt, _("Reported by")),
        "description": fmt(dt, _("Description")),
        "injured": fmt(' <span class="badge text-bg-danger">{}</span>', _("People injured")),
        "by": _("Contact the client by %(at)s"),
        "within": esc(_("Contact within")),
        "late_by": esc(_("Contact late by")),
        "after": _("Contacted after %(after)s"),
    }


def countdown_html(claim, csp_nonce="", labels=None) -> str:
    """The time left to contact the client (or how late it is), written by the server and kept
    ticking by a few lines of script; once contacted, how long it took."""
    labels = labels or words(get_language(), "claim-card", _labels)
    if claim.first_contact_at is None and claim.is_open:
        left = int((claim.contact_due_at - timezone.now()).total_seconds())
        late = left < 0
        minutes, seconds = divmod(abs(left), 60)
        title = labels["by"] % {
            "at": esc(time_format(timezone.localtime(claim.contact_due_at), "H:i:s"))
        }
        return fmt(
            '<span class="badge {} fs-6" data-deadline="{}" data-testid="claim-countdown" '
            'title="{}">\n  <span data-left {}>{}</span><span data-late {}>{}</span>\n'
            "  <span data-clock>{}</span>\n</span>\n"
            '<script nonce="{}">\n{}\n</script>',
            "text-bg-danger" if late else "text-bg-warning",
            claim.contact_due_at.isoformat(),
            mark_safe(title),  # noqa: S308 (its value escaped above)
            "hidden" if late else "",
            mark_safe(labels["within"]),  # noqa: S308 (escaped in _labels)
            "" if late else "hidden",
            mark_safe(labels["late_by"]),  # noqa: S308 (escaped in _labels)
            f"{minutes}:{seconds:02d}",
            csp_nonce or "",
            mark_safe(COUNTDOWN_SCRIPT),  # noqa: S308 (our script)
        )
    if claim.first_contact_at:
        return fmt(
            '<span class="badge {}" data-testid="claim-contacted">{}</span>',
            "text-bg-success" if claim.contacted_in_time else "text-bg-secondary",
            mark_safe(labels["after"] % {"after": esc(clock(claim.time_to_first_contact))}),  # noqa: S308
        )
    return ""


def _when(value) -> str:
    return date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")


def _details(claim, labels) -> str:
    what = fmt(
        '<dd class="col-sm-9 mb-0" data-testid="item-claim-kind">{}{} · {} · {}</dd>',
        claim.get_kind_display(),
        mark_safe(labels["injured"] if claim.injured else ""),  # noqa: S308 (escaped in _labels)
        _when(claim.occurred_at),
        claim.place,
    )
    reporter = esc(claim.reporter_name)
    phone = phone_text(claim.reporter_phone)
    if phone:
        reporter += fmt(' · <a href="tel:{0}">{0}</a>', phone)
    if claim.reporter_email:
        reporter += fmt(' · <a href="mailto:{0}">{0}</a>', claim.reporter_email)
    reported = fmt(
        '<dd class="col-sm-9 mb-0">{} · {}</dd>',
        mark_safe(reporter),  # noqa: S308 (escaped above)
        _when(claim.reported_at),
    )
    description = ""
    if claim.description:
        description = labels["description"] + fmt(
            '<dd class="col-sm-9 mb-0">{}</dd>', Truncator(claim.description).chars(200)
        )
    return f"{labels['what']}\n{what}\n{labels['reported_by']}\n{reported}\n{description}"


def claim_card_html(
    item, *, feedback="", error="", csrf_token=None, callback_form=None, csp_nonce=""
):
    """A claim's 10-minute first contact: the client and how to reach them, the countdown, what
    happened and the results."""
    ctx = item.ctx
    claim = ctx.get("claim")
    if claim:
        labels = words(get_language(), "claim-card", _labels)
        policy = ctx["policy"]
        head = fmt(
            '<div class="d-flex flex-wrap align-items-start gap-3">\n<div class="me-auto">\n{}\n'
            '<div class="small text-body-secondary">\n'
            '<a href="{}" data-testid="item-claim">{}</a>\n· <a href="{}">{}</a> · {}\n'
            '</div>\n</div>\n<div class="text-end">{}</div>\n</div>',
            call_contact_html(ctx["client"], ctx.get("phone"), ctx.get("whatsapp_url")),
            ctx["claim_url"],
            mark_safe(labels["claim"] % {"claim": esc(claim.reference)}),  # noqa: S308
            pk_url("policies:detail")(policy.pk),
            policy.number,
            policy.insurer,
            mark_safe(countdown_html(claim, csp_nonce, labels)),  # noqa: S308 (escaped there)
        )
        body = fmt(
            '{}\n<dl class="row small mb-0 mt-2">\n{}\n</dl>\n{}\n{}',
            head,
            mark_safe(_details(claim, labels)),  # noqa: S308 (escaped in _details)
            history_html(item),
            results_html(item, csrf_token=csrf_token, callback_form=callback_form),
        )
    else:
        body = fmt('<div class="fw-semibold">{}</div>', item.title)
    return fmt(
        "{0}\n{1}{2}\n</div>",
        card_open_html(item, "claim_contact", "border-start border-4 border-danger"),
        mark_safe(alerts_html(feedback, error)),  # noqa: S308 (escaped in alerts_html)
        body,
    )
