"""The grouped rows and drill-down links the claims and collections views share
(reports.groups): one code, each view pointing at its own list."""

import datetime
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

from django.urls import reverse

from reports import claims, collections
from reports.filters import ReportFilters
from reports.groups import drill_links, drill_url, group_rows, grouped_rows

FILTERS = ReportFilters(start=datetime.date(2026, 1, 1), end=datetime.date(2026, 3, 31), by="agent")


def _query(url: str) -> dict:
    parts = urlsplit(url)
    return parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()}


def test_it_points_each_view_at_its_own_list():
    for list_url in (claims.LIST, collections.LIST):
        path, query = _query(drill_url(list_url, FILTERS, by="agent", key=7, show="due"))
        assert path == reverse(list_url)
        assert query == {"start": "2026-01-01", "end": "2026-03-31", "agent": "7", "show": "due"}
    assert reverse(claims.LIST) != reverse(collections.LIST)


def test_it_leaves_the_group_out_of_the_totals_link():
    path, query = _query(drill_url(claims.LIST, FILTERS, by="team", whole=True, show="open"))
    assert "team" not in query
    assert query["show"] == "open"


def test_it_links_no_figure_of_a_group_a_filter_cannot_name():
    names = {"due": {"show": "due"}, "paid": {"show": "paid"}}
    assert drill_links(collections.LIST, FILTERS, "agent", None, False, names) == {}
    whole = drill_links(collections.LIST, FILTERS, "agent", None, True, names)
    assert set(whole) == {"due", "paid"}
    assert _query(whole["paid"])[1]["show"] == "paid"


def test_it_sorts_the_groups_by_name_the_one_without_a_key_last():
    part = {2: {"n": 1}, None: {"n": 5}, 1: {"n": 2}, 3: {"n": 4}}
    labels = {1: "beto", 2: "Ana", 3: ""}
    rows = group_rows(part, "agent", labels)
    assert [(k, label) for k, label, _ in rows] == [
        (2, "Ana"), (1, "beto"), (3, "—"), (None, "No agent"),
    ]  # fmt: skip


def test_it_sums_the_totals_and_keeps_the_overall_figures():
    part = {1: {"n": 2, "amount": Decimal("10.50"), "median": 4},
            2: {"n": 3, "amount": Decimal("1.25"), "median": 9}}  # fmt: skip
    rows, totals = grouped_rows(
        claims.LIST, FILTERS, part, by="agent", labels={1: "Ana", 2: "Beto"},
        values=lambda d: {**d, "double": d["n"] * 2}, drill={"n": {"show": "reported"}},
        summed=("n", "amount"), overall={"median": 6},
    )  # fmt: skip
    assert [r.label for r in rows] == ["Ana", "Beto"]
    assert rows[1].values["double"] == 6
    assert _query(rows[0].links["n"])[1]["agent"] == "1"
    assert totals.values == {"n": 5, "amount": Decimal("11.75"), "median": 6, "double": 10}
    assert "agent" not in _query(totals.links["n"])[1]
