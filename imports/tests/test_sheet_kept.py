"""Issue 14: the shell command loads a workbook's sheet once at most. Calamine loads a whole
sheet before its first row: the header and sample come from the sheet's XML as it is read
(imports.sheet_stream), with no load at all, and the rows imported from the stream, then from
calamine, loaded beside (a sheet the stream reads to its end is never loaded). A sheet loaded
(the stream left off, or the header read from calamine) is kept in memory
(reader.sheets_kept), and read again only from the same file as it was."""

import io
import os

import pytest
from django.core.management import call_command

from brokerage.accounts.tests.factories import UserFactory
from imports import reader, services
from imports.reader import open_table, read_table, sheets_forget, sheets_kept
from imports.tests.conftest import row, workbook
from policies.models import Policy

pytestmark = pytest.mark.django_db


class _Counted:
    """A calamine workbook whose sheet loads are written down in a file (the import's parser
    process loads its sheet in a process of its own)."""

    log = None

    def __init__(self, book):
        self._book = book

    def __getattr__(self, name):
        return getattr(self._book, name)

    def get_sheet_by_name(self, name):
        with open(_Counted.log, "a") as log:
            log.write(f"{name}\n")
        return self._book.get_sheet_by_name(name)


class _Loads:
    def __init__(self, path):
        self.path = path

    def __eq__(self, other):
        return self.path.read_text().splitlines() == other if self.path.exists() else other == []

    def __repr__(self):
        return repr(self.path.read_text().splitlines() if self.path.exists() else [])


@pytest.fixture
def calamine_only(monkeypatch):
    """A workbook the stream does not read (a cell it leaves to calamine from the first)."""

    def unsure(*args, **kwargs):
        raise reader.sheet_stream.Unsure("off")

    monkeypatch.setattr(reader.sheet_stream, "Workbook", unsure)


@pytest.fixture
def loads(monkeypatch, tmp_path):
    opened = reader._workbook
    _Counted.log = tmp_path / "loads.txt"
    monkeypatch.setattr(reader, "_workbook", lambda source: _Counted(opened(source)))
    return _Loads(_Counted.log)


def _watched(function, log):
    def watched(*args, **kwargs):
        with open(log, "a") as out:
            out.write("parser\n")  # in the parser process: written down in a file
        return function(*args, **kwargs)

    return watched


def _numbers(path) -> list[str]:
    _table, rows = open_table(str(path), "r.xlsx")
    return [cells[0] for _n, cells in rows]


def test_inside_the_sheet_is_loaded_once_for_the_sample_and_the_rows(
    tmp_path, loads, calamine_only
):
    path = tmp_path / "r.xlsx"
    path.write_bytes(workbook([row(n) for n in range(1, 31)]))
    with sheets_kept():
        sample = read_table(str(path), "r.xlsx", limit=5)
        assert [cells[0] for _n, cells in sample.rows] == [f"HDI-{n:05d}" for n in range(1, 6)]
        assert _numbers(path) == [f"HDI-{n:05d}" for n in range(1, 31)]  # from the first row
        assert _numbers(path) == [f"HDI-{n:05d}" for n in range(1, 31)]
    assert loads == ["Sheet"]
    _numbers(path)  # outside: loaded again, and not kept
    _numbers(path)
    assert loads == ["Sheet"] * 3


def test_streamed_the_sample_loads_nothing_and_the_rows_load_the_sheet_once(tmp_path, loads):
    path = tmp_path / "r.xlsx"
    path.write_bytes(workbook([row(n) for n in range(1, 301)]))
    with sheets_kept():
        sample = read_table(str(path), "r.xlsx", limit=5)
        assert [cells[0] for _n, cells in sample.rows] == [f"HDI-{n:05d}" for n in range(1, 6)]
        assert loads == []  # the header and sample: streamed
        assert _numbers(path) == [f"HDI-{n:05d}" for n in range(1, 301)]
        assert loads == ["Sheet"]  # beside the stream, once the header was found
        assert _numbers(path) == [f"HDI-{n:05d}" for n in range(1, 301)]
    assert loads == ["Sheet"]  # kept


def test_a_sheet_streamed_to_its_end_before_its_header_is_searched_is_never_loaded(
    tmp_path, loads
):
    path = tmp_path / "r.xlsx"
    path.write_bytes(workbook([row(n) for n in range(1, 20)]))
    assert _numbers(path) == [f"HDI-{n:05d}" for n in range(1, 20)]
    assert loads == []


def test_forgotten_or_rewritten_the_file_is_loaded_again(tmp_path, loads, calamine_only):
    path = tmp_path / "r.xlsx"
    path.write_bytes(workbook([row(n) for n in range(1, 4)]))
    with sheets_kept():
        _numbers(path)
        sheets_forget()
        _numbers(path)
        assert loads == ["Sheet", "Sheet"]
        path.write_bytes(workbook([row(n) for n in range(7, 12)]))  # another report there
        stat = path.stat()
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
        assert _numbers(path) == [f"HDI-{n:05d}" for n in range(7, 12)]
    assert loads == ["Sheet"] * 3


@pytest.mark.parametrize("streamed", [True, False], ids=["streamed", "calamine only"])
@pytest.mark.parametrize("in_child", [True, False], ids=["parser process", "one process"])
def test_the_command_reads_the_sheet_once_and_imports_every_row(
    hdi, tmp_path, loads, monkeypatch, in_child, streamed
):
    if not streamed:
        monkeypatch.setattr(reader.sheet_stream, "Workbook", _unsure)
    maint = UserFactory(roles=["maintainer"])
    monkeypatch.setattr(services, "PARSE_IN_CHILD", in_child)
    forks = tmp_path / "forks.txt"
    monkeypatch.setattr(services, "_parser_process", _watched(services._parser_process, forks))
    path = tmp_path / "hdi.xlsx"
    path.write_bytes(workbook([row(n) for n in range(1, 61)]))
    out = io.StringIO()
    call_command("import_report", str(path), "--insurer", "hdi", "--user", maint.username,
                 stdout=out)  # fmt: skip
    assert out.getvalue().strip().splitlines()[-1] == "created=60 updated=0 unchanged=0 errors=0"
    assert Policy.objects.count() == 60
    assert loads == ["Sheet"]  # once: beside the stream past the header, or for the sample
    assert forks.exists() == in_child
    assert reader._kept is None  # nothing kept once the command is done


def _unsure(*args, **kwargs):
    raise reader.sheet_stream.Unsure("off")
