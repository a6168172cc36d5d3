"""Translations a test adds to a language's catalog for its own run (monkeypatch undoes them):
a string given a new context (pgettext) has no translation until a translator writes it, so a
test shows the context is asked for by writing the translation it would get."""

from django.utils.translation import trans_real
from django.utils.translation.trans_real import CONTEXT_SEPARATOR


def translate_as(monkeypatch, language: str, entries: dict[tuple[str, str], str]) -> None:
    """``entries``: (context, msgid) -> the translation, for ``language`` during the test."""
    catalog = trans_real.translation(language)._catalog._catalogs[0]
    for (context, msgid), text in entries.items():
        monkeypatch.setitem(catalog, f"{context}{CONTEXT_SEPARATOR}{msgid}", text)
