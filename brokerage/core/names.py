"""How a person's name is written, in Spanish and in Chinese."""

import re

_CJK = re.compile("[\u4e00-\u9fff]")


def is_cjk(text: str) -> bool:
    """Whether the text has a CJK ideograph (one regular expression search, not a Python loop
    over the characters: an import names 100,000 clients)."""
    return _CJK.search(text) is not None


def person_name(first: str, last: str) -> str:
    """Chinese names are written family name first with no space (李华); others as first name
    then last name (Ana López)."""
    first, last = first.strip(), last.strip()
    if is_cjk(first + last):
        return f"{last}{first}"
    return " ".join(part for part in (first, last) if part)
