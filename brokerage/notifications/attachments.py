"""Files attached to the outbox's e-mails. A message names its attachments in its context
(``context["attachments"]``: a list of ``{"source": ..., "id": ...}``), never the bytes: the
app that keeps the file registers a loader for its source (in its AppConfig.ready), and the
e-mail backend loads the files when it sends the message, on whichever worker that is (the
files live in Django's storage, not on one node's disk)."""

from collections.abc import Callable

# loader(id) -> (file name, content, MIME type)
Loader = Callable[[int], tuple[str, bytes, str]]

_loaders: dict[str, Loader] = {}


def register(source: str, loader: Loader) -> None:
    _loaders[source] = loader


def message_attachments(message) -> list[tuple[str, bytes, str]]:
    """The files of a message, loaded now; an unknown source is an error (the message
    fails and shows why in the outbox rather than going out without its attachment)."""
    files = []
    for spec in (message.context or {}).get("attachments", []):
        loader = _loaders.get(spec.get("source", ""))
        if loader is None:
            raise LookupError(f"No loader for attachments of {spec.get('source')!r}.")
        files.append(loader(spec["id"]))
    return files
