"""A workbook sheet's rows read from its XML as they come, exactly as calamine reads them.

python-calamine loads a whole sheet before it gives its first row (1.2 s for 100,000 rows),
and then gives the rows from memory. This reader gives the first rows at once, from the
sheet's XML streamed out of the archive, so that:

- the request that stores an upload (and the shell command) finds the header and the sample
  rows in a few milliseconds, without loading the sheet at all;
- the import's parser process starts with these rows while calamine loads the sheet beside
  (calamine lets the GIL go while it loads), then goes on with calamine's rows from where the
  stream stopped (``imports.reader._Sheet``).

The rows must be the ones calamine gives, cell for cell: what reaches the import does not
depend on which of the two read it. So this reader reads only what it knows calamine reads
the same way, following calamine's xlsx reader (``calamine/src/xlsx``, 0.36) and
python-calamine's conversion of its cells to Python: shared and inline strings (rich text
runs joined, phonetic runs left out, surrounding whitespace trimmed unless preserved,
``_xHHHH_`` escapes), numbers (as ``float``; with a date or duration number format, as
``date``, ``datetime``, ``time`` or ``timedelta``, in the 1900 or the 1904 date system),
booleans, formulas' cached values, and the standard error values (an empty cell in Python).
At anything else (an ISO date cell, a number it does not recognise, a string index past the
shared strings, a cell placed out of its row) it raises ``Unsure``, and the caller takes the
rest from calamine. ``imports/tests/test_sheet_stream.py`` compares the two on generated
workbooks of every kind of cell.

Rows are numbered from 1 and their cells start at column A (python-calamine's rows start at
row 1 too, but at the sheet's first used column: ``imports.reader`` shifts them the same
way). A row's cells end at its last value (calamine pads every row to the sheet's width with
empty strings), an empty row is [].
"""

import datetime
import math
import posixpath
import re
import zipfile
from xml.etree import ElementTree
from xml.etree.ElementTree import XMLPullParser

_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_C, _ROW, _V, _IS, _F, _T, _RPH, _SI = (
    _NS + name for name in ("c", "row", "v", "is", "f", "t", "rPh", "si")
)
_SHEET_DATA, _DIMENSION = _NS + "sheetData", _NS + "dimension"
_PRESERVE = "{http://www.w3.org/XML/1998/namespace}space"
_READ = 1 << 16
# A number as calamine's float parser reads it (Python's float() also reads "1_0", " 1",
# "inf", "nan": such a cell is left to calamine).
_NUMBER = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_CELL_REF = re.compile(r"([A-Z]{1,3})(\d+)")
# calamine's _x00HH_ escapes (Rust's hex parse also takes a sign: "_x00+D_" is "\r").
_ESCAPE = re.compile(r"_x00(\+[0-9A-Fa-f]|[0-9A-Fa-f]{2})_")
# Error values: python-calamine gives an empty cell for each.
_ERRORS = frozenset(
    ("#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!", "#GETTING_DATA")
)
_OTHER, _DATETIME, _TIMEDELTA = 0, 1, 2
_BUILTIN_DATETIME = frozenset(("14", "15", "16", "17", "18", "19", "20", "21", "22", "45", "47"))
_EPOCH = datetime.datetime(1899, 12, 30)  # noqa: DTZ001 - a cell's date and time have no zone
_MS_PER_DAY = 86_400_000.0
_1900_1904 = 1462.0


class Unsure(Exception):
    """A cell this reader does not read exactly as calamine does: calamine reads the rest."""


def custom_format(code: str) -> int:
    """calamine's ``detect_custom_number_format``: whether a number format shows a date or a
    time (_DATETIME), an elapsed time ([h]:mm, _TIMEDELTA), or a plain number (_OTHER)."""
    escaped = is_quote = hms = ap = False
    brackets, prev = 0, " "
    for s in code:
        if escaped:
            escaped = False
        elif s in "_\\*":
            escaped = True
        elif is_quote:
            if s == '"':
                is_quote = False
        elif s == '"':
            is_quote = True
        elif s == ";":
            return _OTHER
        elif s == "[":
            brackets = min(brackets + 1, 255)
        elif s == "]" and brackets == 1 and hms:
            return _TIMEDELTA
        elif s == "]":
            brackets = max(brackets - 1, 0)
        elif s in "aA" and not ap and brackets == 0:
            ap = True
        elif s in "pm/PM" and ap and brackets == 0:
            return _DATETIME
        elif s in "dmhysDMHYS" and not ap and brackets == 0:
            return _DATETIME
        elif not (hms and _same_letter(s, prev)):
            hms = prev == "[" and s in "mhsMHS"
        prev = s
    return _OTHER


def _same_letter(a: str, b: str) -> bool:
    """Rust's ``eq_ignore_ascii_case`` of two characters."""
    return a == b or (a.isascii() and b.isascii() and a.lower() == b.lower())


def _round(value: float) -> int:
    """Rust's ``f64::round``: halves away from zero (Python's round() goes to even)."""
    return int(math.copysign(math.floor(abs(value) + 0.5), value))


def excel_value(value: float, kind: int, is_1904: bool):
    """A number cell with a date or duration format, as python-calamine gives it: a duration
    as ``timedelta``; a serial day below 1 as ``time``, a whole one as ``date``, else as
    ``datetime`` (days since 1899-12-30, Excel's phantom 1900-02-29 kept); out of range, the
    number itself. Beyond Python's years 1 to 9999 (where python-calamine gives a time of day
    or the number), ``Unsure``."""
    try:
        if kind == _TIMEDELTA:
            return datetime.timedelta(milliseconds=_round(value * _MS_PER_DAY))
        days = value + _1900_1904 if is_1904 else value
        days = days if days >= 60.0 else days + 1.0
        moment = _EPOCH + datetime.timedelta(milliseconds=_round(days * _MS_PER_DAY))
    except (OverflowError, ValueError) as exc:
        raise Unsure("date out of range") from exc
    if value < 1.0:
        return moment.time()
    if value == float(int(value)):
        return moment.date()
    return moment


def _text(element) -> str:
    """A string item (``<si>`` or ``<is>``) as calamine reads it."""
    if len(element) == 1:  # one plain <t>, as most are
        t = element[0]
        if t.tag == _T and not len(t):
            text = t.text or ""
            if t.get(_PRESERVE) != "preserve":
                text = text.strip(" \t\r\n")
            return _unescape(text) if "_x00" in text else text
    runs = list(element.iter(_T))
    if not runs:
        return ""
    if any(len(t) for t in runs):
        raise Unsure("markup inside a text run")
    phonetic = {id(t) for ph in element.iter(_RPH) for t in ph.iter(_T)}
    parts = []
    for t in runs:
        if id(t) in phonetic:
            continue
        text = t.text or ""  # line ends normalised by the XML parser, as by calamine's
        if t.get(_PRESERVE) != "preserve":
            text = text.strip(" \t\r\n")
        parts.append(_unescape(text))
    return "".join(parts)


def _unescape(text: str) -> str:
    if "_x00" not in text:
        return text
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)


def _column(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number - 1


class _Strings:
    """The shared strings, read from their XML only as far as the cells need them."""

    def __init__(self, archive, member: str | None):
        self.items: list[str] = []
        self._archive, self._member, self._events = archive, member, None

    def get(self, index: int) -> str:
        while index >= len(self.items):
            if not self._more():
                raise Unsure("string index past the shared strings")
        return self.items[index]

    def _more(self) -> bool:
        if self._member is None:
            return False
        if self._events is None:
            self._events = _elements(self._archive.open(self._member), _SI)
        element = next(self._events, None)
        if element is None:
            self._member = None
            return False
        self.items.append(_text(element))
        element.clear()
        return True


def _chunks(handle):
    """The XML's bytes, a block at a time. No part of a workbook declares a DTD: one that does
    is left to calamine, which expands no entity."""
    first = True
    while True:
        data = handle.read(_READ)
        if not data:
            return
        if first and (b"<!DOCTYPE" in data or b"<!ENTITY" in data):
            raise Unsure("a DTD")
        first = False
        yield data


def _elements(handle, tag: str):
    """The ``tag`` elements of an XML stream, each complete when given (then cleared)."""
    parser = XMLPullParser(events=("end",))
    with handle:
        for data in _chunks(handle):
            parser.feed(data)
            for _event, element in parser.read_events():
                if element.tag == tag:
                    yield element
                    element.clear()
        parser.close()


def small_xml(archive, member: str):
    """A small XML member of the workbook (its list of sheets, their relationships, its
    styles), parsed. No workbook declares a DTD: one that does, or is larger than such a part
    ever is, is refused (ValueError), so the parser never expands entities."""
    if archive.getinfo(member).file_size > 2**22:
        raise ValueError(member)
    data = archive.read(member)
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise ValueError(member)
    return ElementTree.fromstring(data)  # noqa: S314 - small, and without a DTD (see above)


def workbook_parts(archive):
    """(the parsed workbook part, {sheet name: its member in the archive, or None}, the shared
    strings' member or None), from the workbook's relationships. Raises KeyError (a part
    missing), ValueError (one refused by ``small_xml``) or ElementTree.ParseError."""
    book = small_xml(archive, "xl/workbook.xml")
    rels = small_xml(archive, "xl/_rels/workbook.xml.rels")
    targets, strings = {}, None
    for rel in rels.iter(f"{_PKG_REL_NS}Relationship"):
        target = rel.get("Target", "")
        member = target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
        targets[rel.get("Id")] = posixpath.normpath(member)
        if rel.get("Type", "").endswith("/sharedStrings"):
            strings = targets[rel.get("Id")]
    names = set(archive.namelist())
    if strings is None and "xl/sharedStrings.xml" in names:
        strings = "xl/sharedStrings.xml"
    sheets = {
        sheet.get("name"): targets.get(sheet.get(f"{_REL_NS}id"))
        for sheet in book.iter(f"{_NS}sheet")
    }
    return book, sheets, strings if strings in names else None


class Workbook:
    """What the stream needs of a workbook: where each sheet's XML is, its shared strings,
    its cell formats and its date system. Raises ``Unsure`` when any of it is not where a
    workbook keeps it (calamine then reads the sheet, and says what is wrong)."""

    def __init__(self, archive: zipfile.ZipFile):
        try:
            book, self.sheets, strings = workbook_parts(archive)
            has_styles = "xl/styles.xml" in archive.namelist()
            styles = small_xml(archive, "xl/styles.xml") if has_styles else None
        except (KeyError, ValueError, SyntaxError) as exc:
            raise Unsure("workbook parts") from exc
        self.archive = archive
        properties = book.find(f"{_NS}workbookPr")
        self.is_1904 = properties is not None and properties.get("date1904") in ("1", "true")
        self.strings = _Strings(archive, strings)
        self.formats = _formats(styles)
        self.last_rows: dict[str, int] = {}  # a sheet's last row, as its XML declares it

    def rows(self, sheet: str):
        """The sheet's rows as (row number, cells), from row 1."""
        member = self.sheets.get(sheet)
        if member is None or member not in self.archive.namelist():
            raise Unsure("no such sheet")
        return _rows(self, sheet, self.archive.open(member))


def _formats(styles) -> list[int]:
    """Each cell style's kind of number (calamine's ``read_styles``)."""
    if styles is None:
        return []
    custom = {
        fmt.get("numFmtId"): fmt.get("formatCode")
        for fmt in styles.iter(f"{_NS}numFmt")
        if fmt.get("numFmtId") is not None and fmt.get("formatCode") is not None
    }
    out = []
    xfs = styles.find(f"{_NS}cellXfs")
    for xf in xfs.iter(f"{_NS}xf") if xfs is not None else ():
        number_format = xf.get("numFmtId")
        if number_format is None:
            out.append(_OTHER)
        elif number_format in custom:
            out.append(custom_format(custom[number_format]))
        elif number_format in _BUILTIN_DATETIME:
            out.append(_DATETIME)
        else:
            out.append(_TIMEDELTA if number_format == "46" else _OTHER)
    return out


_EMPTY = object()  # calamine's Empty: no value, not counted for the sheet's first row


def _cell(book: Workbook, c):
    """One ``<c>`` element's value, as python-calamine gives it (or _EMPTY). As calamine's
    ``read_value``, each child gives the value in turn (a formula ``<f>`` none): the last one
    counts."""
    kind, value = c.get("t"), _EMPTY
    if kind == "inlineStr" and len(c) == 1 and c[0].tag == _IS:
        return _text(c[0])
    for child in c:
        if child.tag == _IS:
            value = _text(child)
        elif child.tag == _V:
            value = _EMPTY if kind in ("inlineStr", "is") else _value(book, c, kind, child.text)
        elif child.tag == _F:
            value = _EMPTY
        else:
            raise Unsure("cell content")
    return value


def _value(book: Workbook, c, kind: str | None, text: str | None):
    """A ``<v>``'s value (calamine's ``read_v``, then python-calamine's conversion)."""
    text = text or ""
    if kind == "str":
        return _unescape(text)
    if not text:
        return _EMPTY
    if kind == "s":
        if not text.isdigit():
            raise Unsure("string index")
        return book.strings.get(int(text))
    if kind == "b":
        return text != "0"
    if kind == "e":
        if text in _ERRORS:
            return ""
        raise Unsure("error value")
    if kind not in (None, "n"):
        raise Unsure(f"cell type {kind}")
    if not _NUMBER.fullmatch(text):
        raise Unsure("number")
    number = float(text)
    style = c.get("s")
    if style is None:
        return number
    if not style.isdigit():
        raise Unsure("style")
    index = int(style)
    number_kind = book.formats[index] if index < len(book.formats) else _OTHER
    if number_kind == _OTHER:
        return number
    return excel_value(number, number_kind, book.is_1904)


def _rows(book: Workbook, sheet: str, handle):
    """(row number, cells) of every row from the first (an empty one as []), cells from
    column A."""
    parser = XMLPullParser(events=("end",))
    next_row = 1
    with handle:
        for data in _chunks(handle):
            parser.feed(data)
            for _event, element in parser.read_events():
                tag = element.tag
                if tag != _ROW:
                    if tag == _SHEET_DATA:
                        return
                    if not tag.startswith(_NS):  # another schema (Strict OOXML): not read here
                        raise Unsure("namespace")
                    if tag == _DIMENSION:
                        last = _CELL_REF.fullmatch(element.get("ref", "").rpartition(":")[2])
                        if last is not None:
                            book.last_rows[sheet] = int(last.group(2))
                    continue
                number = element.get("r")
                if number is not None:
                    if not number.isdigit() or int(number) < next_row:
                        raise Unsure("row number")
                    number = int(number)
                else:
                    number = next_row
                cells, column, suffix = [], 0, str(number)
                for c in element:
                    if c.tag != _C:
                        continue
                    ref = c.get("r")
                    if ref is not None:
                        letters = ref[: -len(suffix)] if ref.endswith(suffix) else ""
                        if not letters.isalpha() or not letters.isupper() or len(letters) > 3:
                            raise Unsure("cell reference")
                        column = _column(letters)
                    if column < len(cells):
                        raise Unsure("cell out of order")
                    value = _cell(book, c)
                    if value is not _EMPTY:
                        if column > len(cells):
                            cells.extend([""] * (column - len(cells)))
                        cells.append(value)
                    column += 1
                element.clear()
                for empty in range(next_row, number):
                    yield empty, []
                next_row = number + 1
                yield number, cells
        parser.close()
