"""``format_html`` for the hot paths (issue 18: the call list writes some 4,000 values a page).

Django's ``format_html`` escapes each value through ``conditional_escape``, which is wrapped to
accept lazy strings; that wrapper costs more than the escaping. ``fmt`` does the same thing
(a value that knows its HTML, ``__html__``, is kept; any other is ``str()``-ed and escaped with
Django's rules, ``django.utils.html.escape``) without it, and marks the result safe."""

from html import escape as _escape

from django.utils.safestring import SafeString


def esc(value) -> str:
    """``conditional_escape(value)`` as a plain string."""
    if type(value) is int:  # an id, a count: nothing to escape (a call card writes dozens)
        return str(value)
    if hasattr(value, "__html__"):
        return value.__html__()
    return _escape(str(value))


def fmt(template: str, *args) -> SafeString:
    """``format_html(template, *args)``: positional arguments only."""
    return SafeString(template.format(*map(esc, args)))


# Words by language: a catalogue look-up costs some 3 µs, and a call list looks up the same
# few words on every card. Catalogues do not change while a process runs, so a word looked up
# once per language and process is the word gettext would return.
_WORDS: dict[tuple, str] = {}
_MESSAGES: dict[int, object] = {}


def words(language: str, key, build) -> str:
    """The text ``build()`` writes in ``language`` (the active one), written once per process:
    ``words(get_language(), "payment-labels", lambda: fmt(...gettext(...)...))``."""
    text = _WORDS.get((language, key))
    if text is None:
        if len(_WORDS) > 50_000:
            _WORDS.clear()
        text = _WORDS[(language, key)] = build()
    return text


def plural(language: str, message, count: int) -> str:
    """``message % {"counter": count}`` for a ``ngettext_lazy(singular, plural, "counter")``
    (extracted as the template's ``blocktranslate count counter=…`` was), once per language,
    message and count."""
    _MESSAGES.setdefault(id(message), message)  # kept alive, so that its id is never reused
    return words(language, (id(message), count), lambda: str(message % {"counter": count}))


def number(language: str, value, arg="2g") -> str:
    """``floatformat(value, arg)`` (the template filter: the language's separators), written
    once per language, format and value as written (``Decimal("2.50")`` and ``Decimal("2.5")``
    are two keys): the filter costs some 40 µs, and a call list writes the same amounts page
    after page."""
    from django.template.defaultfilters import floatformat

    key = ("floatformat", type(value).__name__, str(value), arg)
    return words(language, key, lambda: floatformat(value, arg))
