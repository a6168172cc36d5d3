"""How a person's name is written, in Spanish and in Chinese."""


def is_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def person_name(first: str, last: str) -> str:
    """Chinese names are written family name first with no space (李华); others as first name
    then last name (Ana López)."""
    first, last = first.strip(), last.strip()
    if is_cjk(first + last):
        return f"{last}{first}"
    return " ".join(part for part in (first, last) if part)
