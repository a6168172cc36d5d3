"""What the claims and collections views share in laying out their tables: a group's label,
the groups' rows sorted by label, the totals' figures, and the links from a figure to the list
behind it (each view names its own list's URL)."""

from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from .filters import ReportFilters
from .tables import Row


def group_label(by: str, key, labels: dict) -> str:
    """A group's name; a group without a key is the claims or instalments with no agent (or no
    team)."""
    if key is None:
        return {"agent": _("No agent"), "team": _("No team")}.get(by, "—")
    return labels.get(key) or "—"


def group_rows(part: dict, by: str, labels: dict) -> list:
    """(key, label, figures) sorted by label, the group without a key last."""
    return sorted(
        ((k, group_label(by, k, labels), v) for k, v in part.items()),
        key=lambda r: (r[0] is None, str(r[1]).casefold()),
    )


def group_total(part: dict, names) -> dict:
    """The figures in ``names`` summed over every group."""
    return {n: sum((v[n] for v in part.values()), 0) for n in names}


def drill_url(list_url: str, filters: ReportFilters, *, by: str, key=None, whole=False,
              **what) -> str:  # fmt: skip
    """The list behind a figure (``list_url``: the list's URL name): the report's filters, the
    row's group (``whole``: the totals' row) and what to list (``show`` and its details)."""
    query = {**filters.as_query(by=""), **what}
    if not whole:
        query[by] = key
    query = {k: v for k, v in query.items() if v not in ("", None)}
    return f"{reverse(list_url)}?{urlencode(query)}"


def drill_links(list_url: str, filters: ReportFilters, by: str, key, whole: bool,
                names: dict) -> dict:  # fmt: skip
    """Links for the columns in ``names`` (column -> drill parameters); none for a group
    that a filter cannot name (no agent, no team)."""
    if not whole and key is None:
        return {}
    return {col: drill_url(list_url, filters, by=by, key=key, whole=whole, **what)
            for col, what in names.items()}  # fmt: skip


def grouped_rows(
    list_url: str,
    filters: ReportFilters,
    part: dict,
    *,
    by: str,
    labels: dict,
    values,
    drill: dict,
    summed,
    overall: dict | None = None,
) -> tuple[list, Row]:
    """A grouped table's rows and its totals' row: each group's figures in ``part`` (key ->
    figures) as ``values`` shows them, linked to their lists by ``drill`` (column -> drill
    parameters); the totals sum the figures named in ``summed`` over every group, with
    ``overall`` for those that do not add up (medians)."""
    rows = [
        Row(label=label, values=values(d), key=k,
            links=drill_links(list_url, filters, by, k, False, drill))
        for k, label, d in group_rows(part, by, labels)
    ]  # fmt: skip
    totals = Row(label=_("Total"), values=values({**group_total(part, summed), **(overall or {})}),
                 links=drill_links(list_url, filters, by, None, True, drill))  # fmt: skip
    return rows, totals
