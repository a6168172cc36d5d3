"""The kinds of work the queue carries, each with its own vocabulary.

The queue knows no domain app. A pipeline (renewals, collections, claims, service touches)
registers a kind in its AppConfig.ready, and the kind declares everything the queue needs to
show and log its work:

- ``results``: the results offered on its card, in order (``Result``: code, label, whether it
  ends the item, whether it is a failed attempt that counts toward "contact inaccurate",
  whether it counts as a contact, and whether it is recorded on a page of its own);
- ``result_handler``: what a logged result means for the kind's subject (timeline, outcome),
  run inside the result's transaction;
- ``after_result``: where the agent goes next (e.g. "interested" opens the quotation), also
  run inside the result's transaction, so that a result and what it opens commit together;
- ``context``: what the card shows for a page of items, loaded in a fixed number of queries;
- ``card_template`` and ``maintainer_template``: the card in the call list and in the
  maintainers' queue; ``card_html``, when a kind writes its card in Python (the call list
  draws fifty), the function its card template calls, which the call list calls directly;
- ``export_columns``: the columns of the call-list export;
- ``owners`` and ``handed_out``: whose client an item is, and what a hand-out means (e.g. the
  agent becomes the owner of a lead's client so that they can open it).
- ``clients_of``, ``subjects_of_clients`` and ``visible_to``: which client a subject belongs
  to and back, and whose client a user may open, so that all of a client's open items go to
  one agent (distribution), follow the client to a new owner (reassignment), and are worked
  only by someone who can open the client.

Only ``workqueue.services`` writes work items and results; a kind never writes the queue's
tables.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.functional import Promise


@dataclass(frozen=True)
class Result:
    code: str
    label: str | Promise
    # Ends the item (the work is done).
    final: bool = False
    # A failed attempt to reach the client: three make the contact inaccurate.
    failed: bool = False
    # Counts as a contact result (the agent's first contact, on-time work). Every result an
    # agent logs does; the maintainers' entries do not.
    contact: bool = True
    # A call-back: needs a time, keeps the item open until then.
    needs_time: bool = False
    # Recorded on a page of its own (with what the result needs: a new policy, a competitor):
    # the card links to ``item.ctx[page]``, and a one-click post of it is refused.
    page: str | None = None
    # Offered only when ``item.ctx[when]`` is true (e.g. "vehicle sold" on auto policies).
    when: str | None = None
    # The button's Bootstrap style on the card.
    style: str = "outline-secondary"

    def __str__(self):
        return str(self.label)


@dataclass(frozen=True)
class ExportColumn:
    """A column of the call-list export. Columns of several kinds with the same ``key`` share
    one column of the sheet."""

    key: str
    header: str | Promise
    value: Callable = field(compare=False)


@dataclass(frozen=True)
class WorkKind:
    name: str
    label: str | Promise
    # Lower runs first in the call list when priorities tie.
    order: int = 100
    results: tuple[Result, ...] = ()
    # handler(item=..., result=..., by=..., note=..., details=..., failed_attempts=...)
    result_handler: Callable | None = field(default=None, compare=False)
    # owners(subject_ids) -> {subject_id: user_id}: the owner agent of each subject's client,
    # in one query. Distribution gives an item whose client has an owner to that owner.
    owners: Callable | None = field(default=None, compare=False)
    # handed_out(assignments={subject_id: agent_id}, by=...): after distribution shared
    # subjects with agents.
    handed_out: Callable | None = field(default=None, compare=False)
    # clients_of(subject_ids) -> {subject_id: client_id}: the client of each subject, in one
    # query. Distribution hands all of one client's items to one agent in one step.
    clients_of: Callable | None = field(default=None, compare=False)
    # subjects_of_clients(client_ids) -> {client_id: [subject_ids]}: the subjects of these
    # clients, in one query. A reassigned client's open items follow it to its new owner.
    subjects_of_clients: Callable | None = field(default=None, compare=False)
    # visible_to(user, subject_ids) -> set of subject_ids whose client the user may open. A
    # result is refused on an item whose client the agent can no longer see.
    visible_to: Callable | None = field(default=None, compare=False)
    # after_result(item=..., result=..., by=...) -> URL or None.
    after_result: Callable | None = field(default=None, compare=False)
    # context(items) -> {item_id: dict}
    context: Callable | None = field(default=None, compare=False)
    # lock_subject(subject_id): take the subject's row locks before the queue locks the item,
    # in the one order the kind's own services use (renewals: the case's open items by id,
    # then the case), so that results on two items of one subject never deadlock.
    lock_subject: Callable | None = field(default=None, compare=False)
    card_template: str = "workqueue/_item.html"
    # card_html(item, *, feedback, error, csrf_token, callback_form) -> the card's HTML: the
    # same as card_template's (which calls it), without a template include per card.
    card_html: Callable | None = field(default=None, compare=False)
    # The card written by card_html carries a script of its own (the claim's countdown): it is
    # also given the page's CSP nonce (``csp_nonce=``).
    card_script: bool = False
    maintainer_template: str = "workqueue/_maintainer_item.html"
    export_columns: tuple[ExportColumn, ...] = ()

    def result(self, code: str) -> Result | None:
        return next((r for r in self.results if r.code == code), None)

    @property
    def one_click_results(self) -> tuple[Result, ...]:
        return tuple(r for r in self.results if not r.needs_time and r.page is None)

    @property
    def takes_call_backs(self) -> bool:
        return any(r.needs_time for r in self.results)


_KINDS: dict[str, WorkKind] = {}


def register(kind: WorkKind) -> WorkKind:
    existing = _KINDS.get(kind.name)
    if existing is not None and existing != kind:
        raise ValueError(f"Work kind {kind.name!r} is already registered differently.")
    _KINDS[kind.name] = kind
    return kind


def get(name: str) -> WorkKind:
    try:
        return _KINDS[name]
    except KeyError:
        return WorkKind(name=name, label=name)


def registered() -> list[WorkKind]:
    return sorted(_KINDS.values(), key=lambda k: (k.order, k.name))


def result_label(code: str, kind: str | None = None):
    """The label of a result code: the kind's own word first, then any kind's, then the
    maintainers' entries; the code itself when nobody knows it (an old, retired result)."""
    from .results import GENERIC, MAINTAINER_ENTRIES

    if kind is not None and (found := get(kind).result(code)) is not None:
        return found.label
    for result in GENERIC:
        if result.code == code:
            return result.label
    for each in registered():
        if (found := each.result(code)) is not None:
            return found.label
    return MAINTAINER_ENTRIES.get(code, code)


def contact_codes() -> list[str]:
    """Every registered result that counts as a contact, in the kinds' order (the generic
    ones first), each once."""
    from .results import GENERIC

    codes: list[str] = []
    for result in (*GENERIC, *(r for k in registered() for r in k.results)):
        if result.contact and result.code not in codes:
            codes.append(result.code)
    return codes
