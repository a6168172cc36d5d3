"""What the simulated users read from Cartera's pages: the CSRF token, the call list's cards
(each card's htmx result form: its URL, CSRF token, submission token and result buttons, and
the client file it links to), links and a form's current values.

Plain ``html.parser`` (no Locust, no Django): the locustfile uses it under load and
``bench/load/test_pages.py`` runs it against the call list the test client renders, so a
template change that breaks the load test fails the test suite.
"""

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Card:
    """One item of the call list, as its htmx form posts a result."""

    item: str
    post_url: str = ""
    csrf: str = ""
    token: str = ""
    results: list[str] = field(default_factory=list)
    client_url: str = ""


class _Parser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.csrf = ""
        self.cards: list[Card] = []
        self.links: list[str] = []
        self.forms: list[dict] = []  # {"action", "attrs", "fields": {name: value}}
        self._card: Card | None = None
        self._card_depth = 0
        self._depth = 0
        self._result_form = False
        self._form: dict | None = None
        self._select: str | None = None
        self._first_option: str | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "div":
            self._depth += 1
            if self._card is None and "call-item" in a.get("class", "").split():
                self._card = Card(item=a.get("data-item", ""))
                self._card_depth = self._depth
                self.cards.append(self._card)
        elif tag == "a" and a.get("href"):
            self.links.append(a["href"])
            if self._card is not None and a.get("data-testid") == "item-client":
                self._card.client_url = a["href"]
        elif tag == "form":
            self._form = {"action": a.get("action", ""), "attrs": a, "fields": {}}
            self.forms.append(self._form)
            if self._card is not None and a.get("data-testid") == "result-buttons":
                self._result_form = True
                self._card.post_url = a.get("hx-post") or a.get("action", "")
        elif tag == "input":
            self._input(a)
        elif tag == "button" and self._result_form and a.get("name") == "result":
            self._card.results.append(a.get("value", ""))
        elif tag == "select" and self._form is not None:
            self._select = a.get("name")
            self._first_option = None
            self._form["fields"].setdefault(self._select, "")
        elif tag == "option" and self._select:
            if self._first_option is None:
                self._first_option = a.get("value", "")
            if "selected" in a:
                self._form["fields"][self._select] = a.get("value", "")
                self._first_option = ""  # a selected option: not the first one by default

    handle_startendtag = handle_starttag

    def _input(self, a):
        name, value = a.get("name", ""), a.get("value", "")
        if name == "csrfmiddlewaretoken" and not self.csrf:
            self.csrf = value
        if self._result_form:
            if name == "csrfmiddlewaretoken":
                self._card.csrf = value
            elif name == "token":
                self._card.token = value
        if self._form is not None and name and a.get("type") not in ("checkbox", "radio"):
            self._form["fields"][name] = value

    def handle_endtag(self, tag):
        if tag == "div":
            if self._card is not None and self._depth == self._card_depth:
                self._card = None
            self._depth -= 1
        elif tag == "form":
            self._form = None
            self._result_form = False
        elif tag == "select":
            if self._select and self._first_option and self._form is not None:
                self._form["fields"][self._select] = self._first_option  # none selected
            self._select = None


def parse(html: str) -> _Parser:
    parser = _Parser()
    parser.feed(html)
    parser.close()
    return parser


def csrf_token(html: str) -> str:
    """The first form's CSRF token (``csrfmiddlewaretoken``), or "" when the page has none."""
    return parse(html).csrf


def call_cards(html: str) -> list[Card]:
    """The call list's cards that offer one-click results (a result form with buttons)."""
    return [c for c in parse(html).cards if c.post_url and c.results]


def links(html: str, prefix: str) -> list[str]:
    """The page's links starting with ``prefix`` (e.g. "/clients/"), in order, deduplicated."""
    return list(dict.fromkeys(h for h in parse(html).links if h.startswith(prefix)))


def form_values(html: str, testid: str) -> dict:
    """The current values of the form marked ``data-testid=testid`` (the selected option of
    each select, the value of each input), as the browser would post them; {} without it."""
    for form in parse(html).forms:
        if form["attrs"].get("data-testid") == testid:
            return dict(form["fields"])
    return {}


def select_options(html: str, name: str) -> list[str]:
    """The non-empty option values of the select called ``name``."""

    class _Options(HTMLParser):
        def __init__(self):
            super().__init__()
            self.inside, self.values = False, []

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if tag == "select":
                self.inside = a.get("name") == name
            elif tag == "option" and self.inside and a.get("value"):
                self.values.append(a["value"])

        def handle_endtag(self, tag):
            if tag == "select":
                self.inside = False

    parser = _Options()
    parser.feed(html)
    return parser.values
