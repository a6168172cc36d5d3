"""What the maintainers have to fix beyond the items of their queue: an app above the queue
registers a counter (the clients: files whose contact is to fix, flagged by an import before
any touch falls due), and the maintainers' page shows each count with a link to the list that
holds them. The queue knows none of these words: each counter brings its own text."""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ToFix:
    key: str
    count: int
    # The sentence shown with the count, in the reader's language (e.g. "3 clients ...").
    text: str
    url: str


# counter(user) -> ToFix: one query at most, whatever the number of rows it counts.
_COUNTERS: list[Callable] = []


def register(counter: Callable) -> None:
    if counter not in _COUNTERS:
        _COUNTERS.append(counter)


def to_fix_for(*, user) -> list[ToFix]:
    """Every registered count the user has something in."""
    return [found for counter in _COUNTERS if (found := counter(user=user)).count]
