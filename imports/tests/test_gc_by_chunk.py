"""Issue 14: an import runs Python's cyclic garbage collector between chunks, not by allocation
counts (which made it walk each chunk's records while they were in use, and every object alive
since the start, 1,500 times in a 100,000-row import), and gives it back as it found it."""

import gc
import io
import weakref

import pytest
from django.core.management import call_command

from imports import expiry, services
from imports.tests.conftest import row, workbook
from policies.models import Policy

pytestmark = pytest.mark.django_db


class _Node:
    """An object in a reference cycle: only the cyclic collector frees it."""

    def __init__(self):
        self.me = self


@pytest.fixture
def watched(monkeypatch):
    """Collections that start while a chunk is classified or written, and whether the cycles
    made by each chunk are gone by the time the next chunk is classified."""
    seen = {"inside": False, "collections": [], "cycles": [], "alive_at_next_chunk": []}

    def on_collection(phase, info):
        if phase == "start" and seen["inside"]:
            seen["collections"].append(info["generation"])

    def inside(function, *, makes_cycle=False):
        def run(*args, **kwargs):
            if makes_cycle:
                seen["alive_at_next_chunk"] += [ref() is not None for ref in seen["cycles"]]
                seen["cycles"] = [weakref.ref(_Node())]
            seen["inside"] = True
            try:
                return function(*args, **kwargs)
            finally:
                seen["inside"] = False

        return run

    monkeypatch.setattr(expiry, "classify", inside(expiry.classify, makes_cycle=True))
    monkeypatch.setattr(expiry, "apply", inside(expiry.apply))
    thresholds = gc.get_threshold()
    gc.set_threshold(50, 10, 10)  # by counts, any chunk's queries would start collections
    gc.callbacks.append(on_collection)
    yield seen
    gc.callbacks.remove(on_collection)
    gc.set_threshold(*thresholds)


def _import(tmp_path, maint, rows):
    path = tmp_path / "hdi.xlsx"
    path.write_bytes(workbook(rows))
    out = io.StringIO()
    call_command("import_report", str(path), "--insurer", "hdi", "--user", maint.username,
                 stdout=out)  # fmt: skip
    return out.getvalue().strip().splitlines()[-1]


def test_no_collection_while_a_chunk_is_classified_or_written(
    hdi, maint, tmp_path, monkeypatch, watched
):
    monkeypatch.setattr(services, "CHUNK", 4)
    monkeypatch.setattr(services, "PARSE_IN_CHILD", False)
    monkeypatch.setattr(services, "GC_EVERY_CHUNKS", 2)
    assert gc.isenabled()
    assert _import(tmp_path, maint, [row(n) for n in range(1, 21)]) == (
        "created=20 updated=0 unchanged=0 errors=0"
    )
    assert Policy.objects.count() == 20
    assert watched["collections"] == []
    # The cycles the chunks made are collected after every second chunk is written (here),
    # before the next one: chunk 1's is still there at chunk 2, chunk 2's is gone at chunk 3.
    assert watched["alive_at_next_chunk"] == [True, False, True, False]
    # The collector as it was: on, and nothing left frozen.
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_an_import_that_fails_gives_the_collector_back(hdi, maint, tmp_path, monkeypatch):
    monkeypatch.setattr(services, "CHUNK", 4)
    monkeypatch.setattr(services, "PARSE_IN_CHILD", False)

    def broken(out, *, by):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(expiry, "apply", broken)
    with pytest.raises(RuntimeError, match="the disk is full"):
        _import(tmp_path, maint, [row(n) for n in range(1, 6)])
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0
