"""The timeline's messages: an entry written by the system stores a message code and its
parameters (plain strings and numbers, result codes), and is rendered when it is read, in
the reader's language. Apps register their codes (in their AppConfig.ready); clients does
not import them."""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Message:
    code: str
    template: object  # a gettext_lazy string with %(name)s placeholders
    # params → the values the template shows (e.g. a result code → its translated label);
    # the key "result" (if returned) is also shown as the entry's result.
    resolve: Callable[[dict], dict] | None = None


_messages: dict[str, Message] = {}


def register(code: str, template, resolve: Callable[[dict], dict] | None = None) -> None:
    _messages[code] = Message(code=code, template=template, resolve=resolve)


def values(code: str, params: dict) -> dict | None:
    """The values shown for a message, in the active language; None for an unknown code."""
    message = _messages.get(code)
    if message is None:
        return None
    shown = dict(params or {})
    if message.resolve is not None:
        try:
            shown.update(message.resolve(shown))
        except (KeyError, TypeError, ValueError):
            return None
    return {key: str(value) for key, value in shown.items()}


def render(code: str, params: dict) -> str | None:
    """The message in the active language (any "note" typed by the user follows it as
    typed); None when the code is unknown (the caller falls back to the stored text)."""
    shown = values(code, params)
    if shown is None:
        return None
    try:
        text = str(_messages[code].template) % shown
    except (KeyError, TypeError, ValueError):
        return None
    if note := (params or {}).get("note"):
        text += " " + note
    return text
