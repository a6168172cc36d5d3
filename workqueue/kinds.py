"""The kinds of work the queue carries. The queue knows no domain app: renewals, collections
and claims register a kind here (in their AppConfig.ready) with a label and a result handler."""

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class WorkKind:
    name: str
    label: str
    # Lower runs first in the call list when priorities tie.
    order: int = 100
    # Called as handler(item=..., result=..., by=..., **details) when an agent logs a result.
    result_handler: Callable | None = field(default=None, compare=False)
    # owners(subject_ids) -> {subject_id: user_id}: the owner agent of each subject's client,
    # in one query. Distribution gives an item whose client has an owner to that owner.
    owners: Callable | None = field(default=None, compare=False)
    # handed_out(assignments={subject_id: agent_id}, by=...): called after distribution shared
    # subjects with agents, e.g. to make the agent the owner of a lead's client.
    handed_out: Callable | None = field(default=None, compare=False)
    # after_result(item=..., result=..., by=...) -> URL or None: where the agent goes next
    # (e.g. "interested" opens the renewal quotation).
    after_result: Callable | None = field(default=None, compare=False)
    # context(items) -> {item_id: dict}: what the call list shows for each item (client,
    # policy, …), loaded in a fixed number of queries for the whole page.
    context: Callable | None = field(default=None, compare=False)
    # The template of one item in the call list, and the results offered on it.
    item_template: str = "workqueue/_item.html"
    # The template of one item in the maintainers' queue.
    maintainer_template: str = "workqueue/_maintainer_item.html"
    results: tuple[str, ...] = ()


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


def all_kinds() -> list[WorkKind]:
    return sorted(_KINDS.values(), key=lambda k: (k.order, k.name))
