"""A language's name as a sentence writes it, in the reader's language."""

from django.utils.translation import get_language, get_language_info

# Languages that write the names of languages as common nouns, lower-case in mid-sentence
# ("clientes nuevos en inglés"), whereas Django's translated names are capitalised, as for a
# list or a menu ("Inglés"). English and German capitalise them; Chinese has no case.
LOWER_CASE_NAMES = frozenset(
    {"es", "pt", "fr", "it", "ca", "gl", "ro", "pl", "cs", "sk", "sl", "hr", "sr", "bg", "ru",
     "uk", "be", "lt", "lv", "et", "fi", "hu", "sv", "da", "nb", "nn", "no", "is"}
)  # fmt: skip


def language_name_in_sentence(code: str, language: str | None = None) -> str:
    """The name of language ``code`` in the active language (or ``language``'s casing rule),
    as written in the middle of a sentence; the code itself for a language Django does not
    know."""
    try:
        name = str(get_language_info(code)["name_translated"])
    except KeyError:
        return code or ""
    reader = (language or get_language() or "en").split("-")[0].lower()
    if reader in LOWER_CASE_NAMES and name[:1].isupper():
        return name[:1].lower() + name[1:]
    return name
