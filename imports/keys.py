"""The policy keys of one report, kept on disk while it is read.

A report may hold millions of rows: the keys seen so far (to refuse a row that repeats a policy
of an earlier row) and the keys of the whole file (for the difference with the insurer's last
import) live in a temporary SQLite database, not in a Python set, so an import's memory does
not grow with the file.
"""

import itertools
import os
import sqlite3
import tempfile

BATCH = 500  # keys per IN (...) query: under SQLite's limit on bound parameters


class KeyStore:
    """{policy key: first row} of the rows read so far, on disk; also holds other key lists
    (the last import's keys) to compare them in SQL."""

    def __init__(self):
        self._dir = tempfile.TemporaryDirectory(prefix="cartera-import-")
        self.db = sqlite3.connect(os.path.join(self._dir.name, "keys.sqlite"))
        for pragma in ("journal_mode = OFF", "synchronous = OFF", "cache_size = -16000",
                       "temp_store = FILE"):  # fmt: skip
            self.db.execute(f"PRAGMA {pragma}")
        self.db.execute("CREATE TABLE seen (key TEXT PRIMARY KEY, row INTEGER) WITHOUT ROWID")
        self.db.execute("CREATE TABLE other (key TEXT PRIMARY KEY) WITHOUT ROWID")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        self.db.close()
        self._dir.cleanup()

    def first_rows(self, keys) -> dict[str, int]:
        """The row where each of ``keys`` was first seen, for those seen already."""
        found = {}
        keys = list(keys)
        for start in range(0, len(keys), BATCH):
            batch = keys[start : start + BATCH]
            marks = ",".join("?" * len(batch))
            found.update(
                self.db.execute(f"SELECT key, row FROM seen WHERE key IN ({marks})", batch)  # noqa: S608
            )
        return found

    def add(self, pairs) -> None:
        """Record (key, row) pairs (keys not seen before)."""
        self.db.executemany("INSERT OR IGNORE INTO seen VALUES (?, ?)", pairs)

    def count(self) -> int:
        return self.db.execute("SELECT count(*) FROM seen").fetchone()[0]

    def sorted_keys(self):
        """Every key seen, in order, read from disk as they are consumed."""
        cursor = self.db.execute("SELECT key FROM seen ORDER BY key")
        while rows := cursor.fetchmany(5000):
            yield from (key for (key,) in rows)

    def load_other(self, keys) -> None:
        """Another list of keys (the last import's), to compare with ``seen``."""
        self.db.execute("DELETE FROM other")
        keys = iter(keys)
        while batch := list(itertools.islice(keys, 5000)):
            self.db.executemany("INSERT OR IGNORE INTO other VALUES (?)", ((k,) for k in batch))

    def compare(self, limit: int = 1000) -> dict:
        """Keys seen and not in the other list (new), and the other way round (gone): the
        first ``limit`` of each, in order, and how many."""

        def side(query: str) -> tuple[list[str], int]:
            count = self.db.execute(f"SELECT count(*) FROM ({query})").fetchone()[0]  # noqa: S608
            first = [k for (k,) in self.db.execute(f"{query} ORDER BY 1 LIMIT ?", [limit])]
            return first, count

        new, new_count = side("SELECT key FROM seen EXCEPT SELECT key FROM other")
        gone, gone_count = side("SELECT key FROM other EXCEPT SELECT key FROM seen")
        return {"new": new, "new_count": new_count, "gone": gone, "gone_count": gone_count}
