"""The policy keys of one report, kept in PostgreSQL while it is read.

A report may hold millions of rows: the keys seen so far (to refuse a row that repeats a policy
of an earlier row) and the keys of the insurer's last import (for the difference with it) live
in two temporary tables of the import's own database session, not in a Python set, so an
import's memory does not grow with the file. Temporary tables write no WAL, are seen by no
other session and go with the session if the worker dies; ``close`` drops them when the run
ends. The keys are compared byte by byte (``COLLATE "C"``), whatever the database's locale.
"""

import itertools
import uuid

from django.db import DatabaseError, connection

from brokerage.core.sql import text_array

BATCH = 5000  # keys per statement

# A text as a field of COPY's text format: these four characters escaped.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(text: str) -> str:
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        return text.translate(_COPY_ESCAPES)
    return text


class KeyStore:
    """{policy key: first row} of the rows read so far, in a temporary table; also holds
    another list of keys (the last import's) to compare them in SQL."""

    def __init__(self):
        suffix = uuid.uuid4().hex[:12]
        self.seen, self.other = f"import_seen_{suffix}", f"import_other_{suffix}"
        with connection.cursor() as cursor:
            cursor.execute(
                f'CREATE TEMPORARY TABLE {self.seen} (key text COLLATE "C" PRIMARY KEY, '
                "row integer NOT NULL)"
            )
            cursor.execute(f'CREATE TEMPORARY TABLE {self.other} (key text COLLATE "C")')

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        if connection.connection is None or connection.needs_rollback:
            return  # the session (and its temporary tables) is gone, or its transaction failed
        try:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE IF EXISTS {self.seen}, {self.other}")
        except DatabaseError:
            pass  # the session is broken: its temporary tables go with it

    def record(self, pairs) -> dict[str, int]:
        """Record (key, row) pairs (one per key): a key seen before keeps its first row and
        is returned with it, {key: that row}; the others are recorded. A batch's keys go as
        one array literal, and its new pairs as one block of COPY text (psycopg adapted a
        list key by key, and a COPY row by row: most of the CPU this took)."""
        pairs = list(pairs)
        earlier = {}
        with connection.cursor() as cursor:
            for start in range(0, len(pairs), BATCH):
                batch = pairs[start : start + BATCH]
                cursor.execute(
                    f"SELECT key, row FROM {self.seen} WHERE key = ANY(%s::text[])",  # noqa: S608
                    [text_array(key for key, _row in batch)],
                )
                found = dict(cursor.fetchall())
                earlier.update(found)
                block = "".join(
                    f"{_copy_text(key)}\t{int(row)}\n" for key, row in batch if key not in found
                )
                if block:
                    with cursor.copy(f"COPY {self.seen} (key, row) FROM STDIN") as copy:
                        copy.write(block)
        return earlier

    def count(self) -> int:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {self.seen}")  # noqa: S608
            return cursor.fetchone()[0]

    def sorted_keys(self):
        """Every key seen, in order, read a page at a time (keyset on the primary key)."""
        last = None
        while True:
            with connection.cursor() as cursor:
                if last is None:
                    cursor.execute(f"SELECT key FROM {self.seen} ORDER BY key LIMIT %s", [BATCH])  # noqa: S608
                else:
                    cursor.execute(
                        f"SELECT key FROM {self.seen} WHERE key > %s ORDER BY key LIMIT %s",  # noqa: S608
                        [last, BATCH],
                    )
                page = [key for (key,) in cursor.fetchall()]
            yield from page
            if len(page) < BATCH:
                return
            last = page[-1]

    def load_other(self, keys) -> None:
        """Another list of keys (the last import's), to compare with ``seen``."""
        keys = iter(keys)
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {self.other}")
            while batch := list(itertools.islice(keys, BATCH)):
                with cursor.copy(f"COPY {self.other} (key) FROM STDIN") as copy:
                    for key in batch:
                        copy.write_row((key,))

    def compare(self, limit: int = 1000) -> dict:
        """Keys seen and not in the other list (new), and the other way round (gone): the
        first ``limit`` of each, in order, and how many."""

        def side(query: str) -> tuple[list[str], int]:
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT count(*) FROM ({query}) AS side")  # noqa: S608
                count = cursor.fetchone()[0]
                cursor.execute(f"{query} ORDER BY 1 LIMIT %s", [limit])
                return [k for (k,) in cursor.fetchall()], count

        new, new_count = side(f"SELECT key FROM {self.seen} EXCEPT SELECT key FROM {self.other}")  # noqa: S608
        gone, gone_count = side(f"SELECT key FROM {self.other} EXCEPT SELECT key FROM {self.seen}")  # noqa: S608
        return {"new": new, "new_count": new_count, "gone": gone, "gone_count": gone_count}
