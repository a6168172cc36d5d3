"""What every dashboard view hands to the page, the .xlsx export and the PDF: a table of
figures (the chart draws the same numbers), each figure optionally linked to the list behind
it. The views build tables; this module knows nothing of insurance."""

from dataclasses import dataclass, field
from decimal import Decimal

from brokerage.core.exports import INTEGER_FORMAT, NUMBER_FORMAT, Figure, money, percent

INT, MONEY, PCT, TEXT, NUMBER = "int", "money", "pct", "text", "number"


@dataclass
class Column:
    key: str
    label: str
    kind: str = INT
    # The formula or definition written under the header ("renewed ÷ due").
    formula: str = ""
    # Whether the chart draws this column.
    chart: bool = False


@dataclass(frozen=True)
class Pending:
    """A figure read after the page: its cell shows a placeholder with this id, which the
    table's ``deferred_url`` fragment replaces (an out-of-band swap)."""

    dom_id: str


@dataclass
class Row:
    label: str
    values: dict
    # Column key -> URL of the list behind that figure.
    links: dict = field(default_factory=dict)
    key: object = None

    def cells(self, columns: list[Column]) -> list[tuple[Column, object, str]]:
        return [(c, self.values.get(c.key), self.links.get(c.key, "")) for c in columns]


@dataclass
class Table:
    slug: str
    title: str
    group_label: str
    columns: list[Column]
    rows: list[Row]
    totals: Row | None = None
    # "bar" or "line"; the chart plots the columns marked chart=True against the row labels.
    chart: str = "bar"
    empty: str = ""
    note: str = ""
    # Tables of the same view shown one after another (e.g. lost by reason, then by insurer).
    subtitle: str = ""
    # A fragment loaded right after the page that fills the Pending cells.
    deferred_url: str = ""

    @property
    def lines(self) -> list[tuple[Row, list]]:
        """(row, cells) for the template: each cell is (column, value, link)."""
        return [(row, row.cells(self.columns)) for row in self.rows]

    @property
    def total_cells(self) -> list:
        return self.totals.cells(self.columns) if self.totals else []

    def chart_data(self) -> dict | None:
        series = [c for c in self.columns if c.chart]
        if not series or not self.rows:
            return None
        return {
            "type": self.chart,
            "labels": [r.label for r in self.rows],
            "datasets": [
                {
                    "label": c.label,
                    "data": [_plain(r.values.get(c.key)) for r in self.rows],
                    "percent": c.kind == PCT,
                    "integer": c.kind == INT,  # a count: the chart's axis ticks whole numbers
                }
                for c in series
            ],
        }

    def sheet_rows(self) -> list[list]:
        """The table as spreadsheet rows: a header, the rows, the totals (numbers stay numbers,
        each with the format of its column: a percentage as a fraction shown with %)."""
        out = [[self.group_label, *(c.label for c in self.columns)]]
        for row in [*self.rows, *([self.totals] if self.totals else [])]:
            out.append([row.label, *(_sheet_cell(c, row.values.get(c.key)) for c in self.columns)])
        return out


_SHEET_FIGURES = {
    PCT: percent,
    MONEY: money,
    INT: lambda v: Figure(v, INTEGER_FORMAT),
    NUMBER: lambda v: Figure(v, NUMBER_FORMAT),
}


def _sheet_cell(column: Column, value):
    if value is None or isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return value
    figure = _SHEET_FIGURES.get(column.kind)
    return figure(value) if figure else value


def _plain(value):
    if isinstance(value, Decimal):
        return float(value)  # for the chart script only; the table shows the Decimal
    return value


def pct(part, whole) -> Decimal | None:
    """part ÷ whole as a percentage to one decimal; None when there is nothing to divide by."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"))
