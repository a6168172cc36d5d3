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
