"""Issue 14: a sheet's rows streamed from its XML are the rows calamine gives, cell for cell
(imports.sheet_stream), so that what an import reads does not depend on which read it. The
workbooks are written here by hand, XML and all, with every kind of cell a report has (and
the ones writers rarely use), in both date systems; each is read by both and compared."""

import datetime
import io
import zipfile
from xml.sax.saxutils import escape, quoteattr

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from imports import reader, sheet_stream
from imports.reader import open_table, read_table

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
XML = '<?xml version="1.0" encoding="UTF-8"?>'
PKG = "http://schemas.openxmlformats.org/package/2006"
PKG_CT = "application/vnd.openxmlformats-package"
CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
# Cell styles (the s attribute): their number formats, built-in (by id) or custom.
FORMATS = [
    ("0", None), ("14", None), ("22", None), ("20", None), ("21", None), ("46", None),
    ("45", None), ("2", None), ("4", None), ("49", None),
    ("164", "dd/mm/yyyy"), ("165", "0.00"), ("166", "[h]:mm:ss"), ("167", '"Día "0'),
    ("168", "yyyy-mm-dd hh:mm"), ("169", "#,##0.00 [$MXN]"), ("170", "h:mm AM/PM"),
    ("171", "mm:ss.0"), ("172", '[$-409]d-mmm-yy;@'), ("173", "0%"), ("174", "@"),
    ("175", "[Red]0.00"), ("176", '_("$"* #,##0.00_)'),
]  # fmt: skip


def xlsx(rows_xml: str, *, strings=(), date1904=False, extra_sheet=False, dimension=None) -> bytes:
    """A workbook whose first sheet's <sheetData> is ``rows_xml``, with these shared string
    items (raw <si> contents) and the styles above."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        parts = [("workbook.xml", "sheet.main"), ("worksheets/sheet1.xml", "worksheet"),
                 ("worksheets/sheet2.xml", "worksheet"), ("styles.xml", "styles"),
                 ("sharedStrings.xml", "sharedStrings")]  # fmt: skip
        z.writestr("[Content_Types].xml", (
            f'{XML}<Types xmlns="{PKG}/content-types">'
            f'<Default Extension="rels" ContentType="{PKG_CT}.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            + "".join(f'<Override PartName="/xl/{name}" ContentType="{CT}.{what}+xml"/>'
                      for name, what in parts)
            + "</Types>"
        ))  # fmt: skip
        z.writestr("_rels/.rels", (
            f'{XML}<Relationships xmlns="{PKG}/relationships">'
            f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>"
        ))  # fmt: skip
        sheets = '<sheet name="Datos" sheetId="1" r:id="rId1"/>'
        if extra_sheet:
            sheets += '<sheet name="Notas" sheetId="2" r:id="rId4"/>'
        z.writestr("xl/workbook.xml", (
            f'{XML}<workbook xmlns="{NS}" xmlns:r="{REL}">'
            + ('<workbookPr date1904="1"/>' if date1904 else "<workbookPr/>")
            + f"<sheets>{sheets}</sheets></workbook>"
        ))  # fmt: skip
        rels = [("rId1", "worksheet", "worksheets/sheet1.xml"), ("rId2", "styles", "styles.xml"),
                ("rId3", "sharedStrings", "sharedStrings.xml"),
                ("rId4", "worksheet", "worksheets/sheet2.xml")]  # fmt: skip
        z.writestr("xl/_rels/workbook.xml.rels", (
            f'{XML}<Relationships xmlns="{PKG}/relationships">'
            + "".join(f'<Relationship Id="{i}" Type="{REL}/{kind}" Target="{target}"/>'
                      for i, kind, target in rels)
            + "</Relationships>"
        ))  # fmt: skip
        custom = "".join(
            f"<numFmt numFmtId={quoteattr(i)} formatCode={quoteattr(code)}/>"
            for i, code in FORMATS if code
        )  # fmt: skip
        xfs = "".join(f'<xf numFmtId="{i}" fontId="0" fillId="0"/>' for i, _ in FORMATS)
        z.writestr("xl/styles.xml", (
            f'{XML}<styleSheet xmlns="{NS}"><numFmts>{custom}</numFmts>'
            '<cellStyleXfs count="1"><xf numFmtId="14"/></cellStyleXfs>'
            f"<cellXfs>{xfs}</cellXfs></styleSheet>"
        ))  # fmt: skip
        items = "".join(f"<si>{item}</si>" for item in strings)
        z.writestr("xl/sharedStrings.xml", (
            f'{XML}<sst xmlns="{NS}">{items}</sst>'
        ))  # fmt: skip
        dim = f'<dimension ref="{dimension}"/>' if dimension else ""
        z.writestr("xl/worksheets/sheet1.xml", (
            f'{XML}<worksheet xmlns="{NS}">{dim}'
            f"<sheetData>{rows_xml}</sheetData></worksheet>"
        ))  # fmt: skip
        z.writestr("xl/worksheets/sheet2.xml", (
            f'{XML}<worksheet xmlns="{NS}"><sheetData><row r="1">'
            '<c r="A1" t="inlineStr"><is><t>nota</t></is></c></row></sheetData></worksheet>'
        ))  # fmt: skip
    return out.getvalue()


def _trimmed(cells: list) -> list:
    cells = list(cells)
    while cells and cells[-1] == "":
        cells.pop()
    return cells


def calamine_rows(data: bytes, sheet: str = "Datos") -> list:
    """(row number, cells from column A) as calamine reads them: python-calamine's rows start
    at row 1 (the empty ones above the first used row included), their cells at the first used
    column."""
    loaded = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name(sheet)
    if loaded.start is None:
        return []
    col0 = loaded.start[1]
    return [(1 + i, _trimmed([""] * col0 + cells)) for i, cells in enumerate(loaded.iter_rows())]


def streamed_rows(data: bytes, sheet: str = "Datos") -> tuple[list, bool]:
    """(the rows the stream gave, whether it read the sheet to its end)."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    rows = []
    try:
        for number, cells in sheet_stream.Workbook(archive).rows(sheet):
            rows.append((number, _trimmed(cells)))
    except sheet_stream.Unsure:
        return rows, False
    return rows, True


def same(a: list, b: list) -> bool:
    """Equal, and of the same types (True is not 1.0, a date is not a datetime)."""
    return a == b and all(
        [type(x) for x in ca] == [type(y) for y in cb]
        for (_na, ca), (_nb, cb) in zip(a, b, strict=True)
    )


def check(data: bytes, *, must_finish: bool = True) -> list:
    expected = calamine_rows(data)
    got, finished = streamed_rows(data)
    if must_finish:
        assert finished
    common = min(len(got), len(expected))
    assert same(got[:common], expected[:common]), (got, expected)
    if finished:
        # Past calamine's last row the stream gives only empty rows.
        assert len(got) >= len(expected)
        assert all(cells == [] for _n, cells in got[common:])
    return got


# --- Cells a report has --------------------------------------------------------------------

text = st.text(
    alphabet=st.characters(
        codec="utf-8", exclude_categories=("Cs", "Cc"), include_characters="\t\n"
    ),
    max_size=12,
) | st.sampled_from([
    "  Póliza  ", "保险费（人民币）", "_x000D_", "a_x000a_b", "_x00e9_", "_x00zz_", "\u00a0x\u00a0",
    "Núm.\n", "\tTab", "&<>\"'", "", " ", "²", "9999-12-31",
])  # fmt: skip
numbers = st.one_of(
    # Within Python's dates as days (years 1 to 9999), in both date systems (the 1904
    # system counts 1,462 days more: 2,957,003 is 9999-12-31 there).
    st.integers(-10**5, 2_900_000).map(str),
    st.floats(-1e5, 2.9e6, allow_nan=False, allow_infinity=False).map(repr),
    st.sampled_from(["0", "1", "0.5", "59", "60", "61", "60.5", "1e3", "2.5E-3", "45291",
                     "45291.75", "-1", "0.999999999", "2957003", ".5", "7.", "-0"]),
)  # fmt: skip


@st.composite
def cell(draw, strings: list, ref: str):
    kind = draw(st.sampled_from(["s", "inline", "rich", "n", "str", "b", "e", "f", "empty"]))
    style = draw(st.none() | st.integers(0, len(FORMATS) + 2))
    s = f' s="{style}"' if style is not None else ""
    if kind == "s":
        strings.append(_t(draw(text), draw(st.booleans())))
        return f'<c r="{ref}" t="s"{s}><v>{len(strings) - 1}</v></c>'
    if kind == "inline":
        return f'<c r="{ref}" t="inlineStr"{s}><is>{_t(draw(text), draw(st.booleans()))}</is></c>'
    if kind == "rich":
        runs = "".join(f"<r><rPr><b/></rPr>{_t(draw(text), draw(st.booleans()))}</r>"
                       for _ in range(draw(st.integers(1, 3))))  # fmt: skip
        phonetic = '<rPh sb="0" eb="1"><t>ふりがな</t></rPh>' if draw(st.booleans()) else ""
        strings.append(runs + phonetic)
        return f'<c r="{ref}" t="s"{s}><v>{len(strings) - 1}</v></c>'
    if kind == "n":
        t = draw(st.sampled_from(["", ' t="n"']))
        return f'<c r="{ref}"{t}{s}><v>{draw(numbers)}</v></c>'
    if kind == "str":
        return f'<c r="{ref}" t="str"{s}><f>A1&amp;"x"</f><v>{escape(draw(text))}</v></c>'
    if kind == "b":
        return f'<c r="{ref}" t="b"{s}><v>{draw(st.sampled_from(["0", "1"]))}</v></c>'
    if kind == "e":
        error = draw(st.sampled_from(["#N/A", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?"]))
        return f'<c r="{ref}" t="e"{s}><f>1/0</f><v>{error}</v></c>'
    if kind == "f":
        return f'<c r="{ref}"{s}><f>SUM(A1:A2)</f><v>{draw(numbers)}</v></c>'
    return f'<c r="{ref}"{s}/>' if draw(st.booleans()) else f'<c r="{ref}"{s}><v></v></c>'


def _t(value: str, preserve: bool) -> str:
    space = ' xml:space="preserve"' if preserve else ""
    return f"<t{space}>{escape(value)}</t>"


def _letters(column: int) -> str:
    out = ""
    column += 1
    while column:
        column, rest = divmod(column - 1, 26)
        out = chr(65 + rest) + out
    return out


@st.composite
def sheets(draw):
    strings: list = []
    rows_xml, row = [], draw(st.integers(1, 4))
    for _ in range(draw(st.integers(1, 8))):
        cells, column = [], draw(st.integers(0, 3))
        for _ in range(draw(st.integers(0, 6))):
            cells.append(draw(cell(strings, f"{_letters(column)}{row}")))
            column += draw(st.integers(1, 3))
        rows_xml.append(f'<row r="{row}">{"".join(cells)}</row>')
        row += draw(st.integers(1, 3))
    return "".join(rows_xml), strings, draw(st.booleans())


# The same 400 examples on every run (CI does not depend on chance); 6,000 random ones were
# run once by hand, all equal.
@settings(
    max_examples=400, derandomize=True, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)  # fmt: skip
@given(sheets())
def test_every_kind_of_cell_reads_as_calamine_reads_it(sheet):
    rows_xml, strings, date1904 = sheet
    check(xlsx(rows_xml, strings=strings, date1904=date1904))


@pytest.mark.parametrize("date1904", [False, True], ids=["1900", "1904"])
def test_dates_times_and_durations_in_every_format(date1904):
    values = ["0", "0.25", "1", "59", "60", "61", "45291", "45291.5", "45291.999999",
              "2957003", "2957003.9999999", "-0.5", "-1", "36.25", "1e6", "1e-9"]  # fmt: skip
    rows = []
    for r, value in enumerate(values, start=1):
        cells = "".join(
            f'<c r="{_letters(i)}{r}" s="{i}"><v>{value}</v></c>' for i in range(len(FORMATS))
        )
        rows.append(f'<row r="{r}">{cells}</row>')
    got = check(xlsx("".join(rows), date1904=date1904))
    kinds = {type(cell) for _n, cells in got for cell in cells}
    assert {datetime.date, datetime.datetime, datetime.time, datetime.timedelta, float} <= kinds


def test_a_report_as_excel_writes_it_shared_strings_and_a_title_above_the_header():
    strings = ["Reporte de vencimientos", "No. de Póliza", "Asegurado", "Fin de vigencia",
               "Prima", "HDI-1", "Cliente <1> & Cía", "HDI-2", "  Pérez  "]  # fmt: skip
    rows = (
        '<row r="2"><c r="B2" t="s"><v>0</v></c></row>'
        '<row r="4"><c r="B4" t="s"><v>1</v></c><c r="C4" t="s"><v>2</v></c>'
        '<c r="D4" t="s"><v>3</v></c><c r="E4" t="s"><v>4</v></c></row>'
        '<row r="5"><c r="B5" t="s"><v>5</v></c><c r="C5" t="s"><v>6</v></c>'
        '<c r="D5" s="10"><v>46357</v></c><c r="E5" s="11"><v>12500.5</v></c></row>'
        '<row r="6"><c r="B6" t="s"><v>7</v></c><c r="C6" t="s"><v>8</v></c>'
        '<c r="D6" s="1"><v>46358</v></c><c r="E6"><f>E5*2</f><v>25001</v></c></row>'
    )
    data = xlsx(rows, strings=[f"<t>{escape(s)}</t>" for s in strings], dimension="B2:E6")
    got = check(data)
    assert got[:2] == [(1, []), (2, ["", "Reporte de vencimientos"])]
    assert got[-1] == (6, ["", "HDI-2", "Pérez", datetime.date(2026, 12, 2), 25001.0])
    # Numbered as in the sheet, read from the stream or from calamine alike.
    table, rows = open_table(data, "r.xlsx")
    assert (table.header_row, table.size_hint) == (4, 2)
    assert [n for n, _cells in rows] == [5, 6]


def test_rows_are_numbered_as_in_the_sheet_below_empty_ones(monkeypatch):
    """python-calamine gives the empty rows above a sheet's first used row too: numbered from
    the sheet's first used row, the header and every error were as many rows too low."""
    monkeypatch.setattr(reader.sheet_stream, "Workbook", _no_stream)
    data = xlsx(
        '<row r="3"><c r="C3" t="inlineStr"><is><t>Póliza</t></is></c>'
        '<c r="D3" t="inlineStr"><is><t>Asegurado</t></is></c></row>'
        '<row r="4"><c r="C4" t="inlineStr"><is><t>HDI-1</t></is></c></row>'
    )
    table, rows = open_table(data, "r.xlsx")
    assert (table.header_row, table.headers, table.size_hint) == (
        3,
        ["", "", "Póliza", "Asegurado"],
        1,
    )
    assert list(rows) == [(4, ["", "", "HDI-1", ""])]


@pytest.mark.parametrize(
    "cell",
    [
        '<c r="A2" t="d"><v>2026-12-31</v></c>',  # an ISO date cell
        '<c r="A2"><v>1_000</v></c>',  # Python reads it, calamine does not
        '<c r="A2" t="s"><v>99</v></c>',  # past the shared strings
        '<c r="A2" t="e"><v>#SPILL!</v></c>',
        '<c r="A2" t="z"><v>1</v></c>',
        '<c r="A2"><v>1</v><extLst/></c>',
        '<c r="B3"><v>1</v></c>',  # a cell placed in another row
        '<c r="A2" s="1"><v>2958466</v></c>',  # a date past 9999-12-31
        '<c r="A2" s="1"><v>-1e7</v></c>',  # a time of a day before year 1
    ],
    ids=[
        "iso date",
        "underscore",
        "string index",
        "spill",
        "type",
        "extension",
        "misplaced",
        "year 10000",
        "year -25000",
    ],  # fmt: skip
)
def test_what_it_does_not_read_as_calamine_does_it_leaves_to_calamine(cell):
    data = xlsx(f'<row r="1"><c r="A1"><v>1</v></c></row><row r="2">{cell}</row>')
    got, finished = streamed_rows(data)
    assert not finished and got == [(1, [1.0])]


# --- Through the reader: the stream, then calamine ------------------------------------------


def _report(rows: int) -> bytes:
    strings = ["Póliza", "Asegurado", "Fin de vigencia", "Prima"]
    body = ['<row r="1"><c r="C1" t="inlineStr"><is><t>Reporte</t></is></c></row>',
            '<row r="3">' + "".join(f'<c r="{_letters(2 + i)}3" t="s"><v>{i}</v></c>'
                                    for i in range(4)) + "</row>"]  # fmt: skip
    for n in range(rows):
        r = 4 + n
        strings += [f"HDI-{n:05d}", f"Cliente {n}"]
        body.append(
            f'<row r="{r}"><c r="C{r}" t="s"><v>{len(strings) - 2}</v></c>'
            f'<c r="D{r}" t="s"><v>{len(strings) - 1}</v></c>'
            f'<c r="E{r}" s="10"><v>{46000 + n % 300}</v></c>'
            f'<c r="F{r}"><v>{1000 + n}.5</v></c></row>'
        )
    return xlsx("".join(body), strings=[f"<t>{s}</t>" for s in strings])


class _LoadedAt:
    """calamine's load, done (for the reader) once this many rows have been streamed."""

    def __init__(self, after: int, monkeypatch):
        self.after, self.loads, real = after, [], reader._Loading
        test = self

        class Loading(real):
            def __init__(self, sheet):
                super().__init__(sheet)
                self.result()  # loaded now; the reader is told after ``after`` rows more
                test.loads.append(sheet.name)
                self.done = _Countdown(test.after)

        monkeypatch.setattr(reader, "_Loading", Loading)


class _Countdown:
    def __init__(self, left: int):
        self.left = left

    def is_set(self) -> bool:
        self.left -= 1
        return self.left < 0


@pytest.mark.parametrize("after", [0, 1, 57, 10_000])
def test_the_rows_go_on_from_calamine_where_the_stream_stopped(monkeypatch, after):
    data = _report(400)
    monkeypatch.setattr(reader.sheet_stream, "Workbook", _no_stream)
    table, rows = open_table(data, "r.xlsx")
    only_calamine = [(n, _trimmed(cells)) for n, cells in rows]
    monkeypatch.undo()
    loaded = _LoadedAt(after, monkeypatch)
    table_2, rows = open_table(data, "r.xlsx")
    both = [(n, _trimmed(cells)) for n, cells in rows]
    assert (
        (table_2.header_row, table_2.headers)
        == (table.header_row, table.headers)
        == (3, ["", "", "Póliza", "Asegurado", "Fin de vigencia", "Prima"])
    )
    assert same(both, only_calamine) and len(both) == 400
    assert both[-1] == (
        403,
        ["", "", "HDI-00399", "Cliente 399", datetime.date(2026, 3, 18), 1399.5],
    )
    assert loaded.loads == ["Datos"]


def _no_stream(*args, **kwargs):
    raise sheet_stream.Unsure("off")


def test_the_head_is_read_without_loading_the_sheet(monkeypatch):
    data = _report(5000)
    loads = []
    real = reader._Sheet._load
    monkeypatch.setattr(
        reader._Sheet, "_load", lambda self, key=None: loads.append(1) or real(self, key)
    )
    table = read_table(data, "r.xlsx", limit=5)
    assert [cells[2] for _n, cells in table.rows] == [f"HDI-{n:05d}" for n in range(5)]
    assert loads == []  # the sample came from the stream alone
    table, rows = open_table(data, "r.xlsx")
    assert sum(1 for _ in rows) == 5000 and loads == [1]  # the import's rows: loaded once


def test_a_head_the_stream_cannot_finish_goes_on_from_calamine(monkeypatch):
    rows = "".join(f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>Póliza {r}</t></is></c></row>'
                   for r in range(1, 4))  # fmt: skip
    data = xlsx(
        rows + '<row r="4"><c r="A4" t="d"><v>2026-12-31</v></c></row>'
        '<row r="5"><c r="A5" t="inlineStr"><is><t>Póliza 5</t></is></c></row>'
    )
    got = [cells for cells in reader._workbook_sheets(data, "xlsx")[0].rows(whole=False)]
    assert got == [["Póliza 1"], ["Póliza 2"], ["Póliza 3"],
                   [datetime.date(2026, 12, 31)], ["Póliza 5"]]  # fmt: skip


# --- The import's progress: its size, told once it is known ---------------------------------


def _without_dimension(rows: int) -> bytes:
    """A report as openpyxl's write-only mode saves it: no <dimension> declared."""
    from openpyxl import Workbook

    from imports.tests.conftest import HEADER, row

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Vencimientos")
    sheet.append(["Reporte de vencimientos"])
    sheet.append(HEADER)
    for n in range(1, rows + 1):
        sheet.append(row(n))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize("dimension", [True, False], ids=["declared", "not declared"])
def test_the_import_learns_the_size_of_a_sheet_from_its_xml_or_once_calamine_has_it(
    hdi, maint, monkeypatch, dimension
):
    from imports import services
    from imports.keys import KeyStore
    from imports.services import job_create
    from imports.tests.conftest import row, workbook

    rows = 260
    data = workbook([row(n) for n in range(1, rows + 1)]) if dimension else _without_dimension(rows)
    job, table = job_create(insurer=hdi, by=maint, name="r.xlsx", data=data)
    assert table.size_hint == (rows if dimension else None)  # the sample: from the stream
    monkeypatch.setattr(reader, "STREAM_AHEAD", 100)  # calamine takes over within the chunk
    monkeypatch.setattr(services, "CHUNK", 50)
    monkeypatch.setattr(services, "FIRST_CHUNK", 50)
    counted = []
    monkeypatch.setattr(services, "_count_rows", lambda job: counted.append(job) or 0)
    sizes, read = [], 0
    with KeyStore() as seen:
        for records, issues, _read in services._chunks(job, seen, on_size=sizes.append):
            read += len(records) + len(issues)
    assert read == rows
    # Told once: declared, before the rows; else once calamine has loaded the sheet (never
    # counted by reading the file again).
    assert sizes == [rows] and counted == []


def test_from_an_open_file_calamine_reads_the_rows_after_the_header_s(monkeypatch, tmp_path):
    """A report in S3 is read from one open file: the stream gives the rows the header is
    looked for in, then calamine loads the sheet (not beside: the stream would read the
    same file) and gives the rest."""
    path = tmp_path / "r.xlsx"
    path.write_bytes(_report(200))
    table, rows = open_table(str(path), "r.xlsx")
    from_path = [(n, _trimmed(cells)) for n, cells in rows]
    loads, threads = [], []
    real = reader._Sheet._load
    monkeypatch.setattr(reader._Sheet, "_load", lambda s, key=None: loads.append(1) or real(s, key))
    monkeypatch.setattr(reader, "_Loading", lambda sheet: threads.append(sheet))
    with path.open("rb") as handle:
        table_2, rows = open_table(handle, "r.xlsx")
        from_file = [(n, _trimmed(cells)) for n, cells in rows]
    assert table_2.header_row == table.header_row == 3
    assert same(from_file, from_path) and len(from_file) == 200
    assert loads == [1] and threads == []


def _rewritten(data: bytes, change) -> bytes:
    """The workbook with each member's bytes passed through ``change(name, content)``."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        parts = {name: change(name, z.read(name)) for name in z.namelist()}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, content in parts.items():
            z.writestr(name, content)
    return out.getvalue()


def test_a_part_that_declares_a_dtd_is_left_to_calamine():
    data = xlsx('<row r="1"><c r="A1" t="inlineStr"><is><t>Póliza</t></is></c></row>')
    doctype = b'<!DOCTYPE worksheet [<!ENTITY x "Poliza">]>'
    data = _rewritten(
        data,
        lambda name, content: content.replace(b"?>", b"?>" + doctype, 1)
        if name == "xl/worksheets/sheet1.xml"
        else content,
    )
    assert streamed_rows(data) == ([], False)


def test_a_sheet_in_another_schema_is_left_to_calamine_at_once():
    """Strict OOXML names its elements in another namespace: the stream does not read the
    whole sheet looking for rows it cannot see."""
    strict = _rewritten(
        xlsx('<row r="1"><c r="A1"><v>1</v></c></row>'),
        lambda name, content: content.replace(
            NS.encode(), b"http://purl.oclc.org/ooxml/spreadsheetml/main"
        )
        if name == "xl/worksheets/sheet1.xml"
        else content,
    )
    assert streamed_rows(strict) == ([], False)
