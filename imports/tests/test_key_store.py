"""Issue 14: the policy keys seen while a report is read are recorded and checked in one
statement a chunk (``KeyStore.record``): a key seen in an earlier chunk, or earlier in the same
chunk, is an error naming the row that had it first, whatever the key's characters."""

import pytest

from imports import keys, services
from imports.keys import KeyStore
from imports.models import RowError
from imports.services import commit
from imports.tests.conftest import row, workbook
from imports.tests.test_services import _job
from policies.models import Policy

pytestmark = pytest.mark.django_db

ODD_KEYS = ['A"1', "B\\2", "C,3", "{D4}", "E 5", "NULL", "保单6", "F\t7"]


def test_record_returns_the_first_row_of_keys_seen_before_and_keeps_it(monkeypatch):
    monkeypatch.setattr(keys, "BATCH", 3)  # the pairs go in several statements
    with KeyStore() as store:
        assert store.record([(key, n) for n, key in enumerate(ODD_KEYS, start=10)]) == {}
        again = store.record([(ODD_KEYS[0], 50), ("new", 51), (ODD_KEYS[-1], 52), ("other", 53)])
        assert again == {ODD_KEYS[0]: 10, ODD_KEYS[-1]: 17}
        # The keys seen before keep their first row; the new ones are recorded.
        assert store.record([(ODD_KEYS[0], 60), ("new", 61)]) == {ODD_KEYS[0]: 10, "new": 51}
        assert list(store.sorted_keys()) == sorted([*ODD_KEYS, "new", "other"])


def test_a_policy_repeated_in_a_later_chunk_or_the_same_one_names_its_first_row(
    hdi, maint, monkeypatch
):
    monkeypatch.setattr(services, "CHUNK", 3)
    monkeypatch.setattr(services, "PARSE_IN_CHILD", False)
    # Rows 3-5 are the first chunk, 6-8 the second, 9-11 the third (a title and a header row
    # above the data): row 7 repeats row 4 of an earlier chunk, row 8 row 6 of its own chunk,
    # row 10 row 3, two chunks before, and row 11 row 9 of its own.
    rows = [row(1), row(2), row(3), row(4), row(2), row(4), row(5), row(1), row(5)]
    job = commit(_job(hdi, maint, workbook(rows)))
    assert (job.created, job.errors) == (5, 4)
    assert Policy.objects.count() == 5
    repeated = {e.row: e.params["row"] for e in RowError.objects.filter(job=job)}
    assert repeated == {7: 4, 8: 6, 10: 3, 11: 9}
