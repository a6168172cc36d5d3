"""Setting one field on many rows, with history, fast.

Django's ``bulk_update`` writes one ``CASE WHEN id = … THEN …`` per row; building that takes
seconds for a few thousand rows. ``bulk_set_with_history`` sends the ids and their new values
as two arrays instead (``UPDATE … FROM unnest(…)``) and writes the history rows in the same
statement, so that bulk paths stay in the history like single saves, in one query whatever the
number of rows or of distinct values (the distribution hands a morning's clients to a hundred
agents). ``update_with_history`` does the same for rows chosen by a condition, without loading
them.
"""

from collections.abc import Iterable
from operator import itemgetter

from django.db import connection
from django.db.models import Lookup
from django.utils import timezone


class AnyOf(Lookup):
    """``column = ANY(ids)``, written ``.filter(AnyOf(F("pk"), ids))``: the ids as one array,
    not a placeholder per id. The distribution asks the work kinds about 100,000 subjects
    after a big import: an ``IN`` list of 100,000 placeholders takes seconds to build and plan,
    and ``IN (SELECT unnest(…))`` probes an index per id, while PostgreSQL matches a constant
    array (Django binds parameters on the client) with a hash in one scan."""

    lookup_name = "any_of"

    def get_prep_lookup(self):
        return [int(pk) for pk in self.rhs]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s::bigint[])", [*lhs_params, self.rhs]


def bulk_set_with_history(
    objects: Iterable, *, field: str, by=None, reason: str = "", touch: str | None = "updated_at"
) -> int:
    """Write each object's current value of ``field`` (objects already carry their new value)
    and record one history row per object, in one statement whatever the number of objects
    and of distinct values: ``UPDATE … FROM unnest(ids, values) … RETURNING`` the new rows
    straight into the historical table (as ``update_with_history``). ``touch`` names a
    timestamp field to stamp with now (None for none). Returns the number of rows written."""
    objects = list(objects)
    if not objects:
        return 0
    model = type(objects[0])
    meta = model._meta
    now = timezone.now()
    target = meta.get_field(field)
    attname = target.attname
    if touch:
        for obj in objects:
            setattr(obj, touch, now)
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    pk_type = meta.pk.cast_db_type(connection)
    value_type = target.cast_db_type(connection)
    stamp = f", {quote(meta.get_field(touch).column)} = %s" if touch else ""
    history, columns = _history_columns(model)
    returned = ", ".join(f"{table}.{quote(column)}" for column in columns)
    names = ", ".join(quote(column) for column in columns)
    sql = f"""
        WITH changed AS (
            UPDATE {table} SET {quote(target.column)} = bulk.value {stamp}
            FROM unnest(%s::{pk_type}[], %s::{value_type}[]) AS bulk(pk, value)
            WHERE {table}.{quote(meta.pk.column)} = bulk.pk
            RETURNING {returned}
        )
        INSERT INTO {quote(history._meta.db_table)}
            ({names}, history_date, history_type, history_change_reason, history_user_id)
        SELECT {names}, %s, '~', %s, %s FROM changed
    """  # noqa: S608 - names from the models' _meta, values are placeholders
    params = [
        *([now] if touch else []), [obj.pk for obj in objects],
        [getattr(obj, attname) for obj in objects], now, reason or None, by.pk if by else None,
    ]  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
    return len(objects)


_HISTORY_EXTRA = ("history_id", "history_date", "history_type", "history_change_reason",
                  "history_user_id")  # fmt: skip


def _history_columns(model) -> tuple[type, list[str]]:
    """The historical model and the columns it copies from ``model``'s rows; a history field
    these statements would not know how to fill is an error."""
    history = model.history.model
    tracked = [f.column for f in history._meta.concrete_fields if f.attname not in _HISTORY_EXTRA]
    unknown = {f.attname for f in history._meta.concrete_fields} - {*_HISTORY_EXTRA, *tracked}
    if unknown:
        raise ValueError(f"{history.__name__} has fields a set-based write cannot fill: {unknown}")
    return history, tracked


def update_with_history(
    model, *, values: dict, where: str, params: list, by=None, reason: str = "",
    touch: str | None = "updated_at",
) -> int:  # fmt: skip
    """Set ``values`` (attnames → values) on the rows of ``model`` matching ``where`` (SQL over
    the model's unaliased table, with ``params``) and record one history row each, in one
    statement: ``UPDATE … RETURNING`` the new rows straight into the historical table, so that
    no row is loaded into Python however many change. ``touch`` names a timestamp field to stamp
    with now (None for none). Returns the number of rows changed."""
    quote = connection.ops.quote_name
    now = timezone.now()
    by_attname = {f.attname: f for f in model._meta.concrete_fields}
    changes = {**values, **({touch: now} if touch else {})}
    assignments = ", ".join(f"{quote(by_attname[name].column)} = %s" for name in changes)
    history, tracked = _history_columns(model)
    columns = ", ".join(quote(column) for column in tracked)
    sql = f"""
        WITH changed AS (
            UPDATE {quote(model._meta.db_table)} SET {assignments} WHERE {where}
            RETURNING {columns}
        )
        INSERT INTO {quote(history._meta.db_table)}
            ({columns}, history_date, history_type, history_change_reason, history_user_id)
        SELECT {columns}, %s, '~', %s, %s FROM changed
    """  # noqa: S608 - names from the models' _meta, values are placeholders
    with connection.cursor() as cursor:
        cursor.execute(
            sql, [*changes.values(), *params, now, reason or None, by.pk if by else None]
        )
        return max(cursor.rowcount, 0)


def insert_rows(model, rows: list[dict], *, by=None, reason: str = "") -> None:
    """Insert rows given as dicts of attnames (values as the database stores them: phones as
    E.164 strings) with COPY, filling each row's primary key from the table's sequence, with
    one history row each when the model keeps history. Keys starting with "_" are the
    caller's notes."""
    if not rows:
        return
    now = timezone.now()
    history = getattr(model, "history", None)
    _complete(model, rows, now)
    copy_rows(model, rows, now, complete=False)
    if history is not None:
        tracked = [
            f.attname for f in history.model._meta.concrete_fields
            if not f.attname.startswith("history_")
        ]  # fmt: skip
        extra = {
            "history_date": now, "history_type": "+",
            "history_change_reason": reason or None,
            "history_user_id": by.pk if by is not None else None,
        }  # fmt: skip
        # The history rows as tuples straight from the rows (no dict per row).
        pick = itemgetter(*tracked)
        tail = tuple(extra.values())
        copy_values(history.model, [*tracked, *extra], (pick(row) + tail for row in rows))


def insert_with_history(model, rows: list[dict], *, now=None, by=None, reason: str = "") -> None:
    """Insert rows given as dicts of attnames, with one history row each, sending only the
    columns the rows give: each row's primary key is drawn from the table's sequence (set in
    the row), and a column no row gives takes its default once, not once per row.

    Rows of an import name a dozen of a client's 39 columns; filling and formatting the other
    27 for each row was half the importing process's CPU spent on its COPYs. The given columns
    are COPYed into a temporary table (no index, no WAL), then they are inserted with the
    defaults into the table, and the same values into the historical table, each straight
    from the temporary table. Only a table with a BEFORE INSERT row trigger (which may change
    what is stored) has its history taken from the stored rows, ``RETURNING`` them into the
    historical table in the same statement: passing each row through that statement cost
    the importing backend a tenth more than the second read of the temporary table. Keys
    starting with "_" are the caller's notes; a row without a column another row gives takes
    its default."""
    if not rows:
        return
    now = now or timezone.now()
    meta = model._meta
    pk = meta.pk
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    given = set().union(*rows)
    fields = [f for f in meta.concrete_fields if f is not pk]
    sent = [f for f in fields if f.attname in given]
    kept = [f for f in fields if f.attname not in given]
    for row, value in zip(rows, _next_ids(model, len(rows)), strict=True):
        row[pk.attname] = value
    names = {f.attname for f in sent}
    for row in rows:
        if not names <= row.keys():
            for name in names - row.keys():
                row[name] = _default(meta.get_field(name), now)
    history, tracked = _history_columns(model)
    columns = {f.column: f for f in meta.concrete_fields}
    defaults = {
        f.column: (f.get_db_prep_save(_default(f, now), connection), f.cast_db_type(connection))
        for f in kept
    }
    stage = quote(f"bulk_stage_{meta.db_table}")
    copied = [pk, *sent]
    copied_columns = ", ".join(quote(f.column) for f in copied)
    unknown = set(tracked) - columns.keys()
    if unknown:
        raise ValueError(f"{history.__name__} tracks columns {model.__name__} lacks: {unknown}")
    tracked_sql = ", ".join(quote(column) for column in tracked)
    targets = ", ".join(quote(f.column) for f in (*copied, *kept))
    # Each column's value, the same SQL for the table and its history: the copied column, or
    # the default (a parameter, its value in ``defaults``).
    expression = {f.column: f"s.{quote(f.column)}" for f in copied} | {
        f.column: f"%s::{defaults[f.column][1]}" for f in kept
    }
    values = ", ".join(expression[f.column] for f in (*copied, *kept))
    history_table = quote(history._meta.db_table)
    who = [now, reason or None, by.pk if by is not None else None]
    with connection.cursor() as cursor:
        # Made and dropped in the caller's transaction (gone with it if it fails).
        cursor.execute(
            f"CREATE TEMPORARY TABLE {stage} AS SELECT {copied_columns} FROM {table} WITH NO DATA"
        )  # noqa: S608 - names from the models' _meta
        pick = itemgetter(*(f.attname for f in copied))
        copy_values_into(stage, [f.column for f in copied], map(pick, rows), binary=True)
        if not _changed_on_insert(meta.db_table):
            cursor.execute(
                f"INSERT INTO {table} ({targets}) SELECT {values} FROM {stage} s",  # noqa: S608
                [defaults[f.column][0] for f in kept],
            )
            history_values = ", ".join(expression[column] for column in tracked)
            cursor.execute(
                f"""
                INSERT INTO {history_table}
                    ({tracked_sql}, history_date, history_type, history_change_reason,
                     history_user_id)
                SELECT {history_values}, %s, '+', %s, %s FROM {stage} s
                """,  # noqa: S608 - names from the models' _meta, values are placeholders
                [*(defaults[c][0] for c in tracked if c in defaults), *who],
            )
        else:
            cursor.execute(
                f"""
                WITH inserted AS (
                    INSERT INTO {table} ({targets}) SELECT {values} FROM {stage} s
                    RETURNING {tracked_sql}
                )
                INSERT INTO {history_table}
                    ({tracked_sql}, history_date, history_type, history_change_reason,
                     history_user_id)
                SELECT {tracked_sql}, %s, '+', %s, %s FROM inserted
                """,  # noqa: S608 - names from the models' _meta, values are placeholders
                [*(defaults[f.column][0] for f in kept), *who],
            )
        cursor.execute(f"DROP TABLE {stage}")


def _changed_on_insert(table: str) -> bool:
    """Whether a row trigger runs before an insert into ``table`` (it may change the row)."""
    with connection.cursor() as cursor:
        cursor.execute(
            # tgtype's bits: 1 row-level, 2 before, 4 insert.
            "SELECT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = %s::regclass"
            " AND NOT tgisinternal AND tgenabled <> 'D' AND tgtype & 7 = 7)",
            [connection.ops.quote_name(table)],
        )
        return cursor.fetchone()[0]


def _default(field, now):
    auto = getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
    return now if auto else field.get_default()


def _complete(model, rows: list[dict], now) -> None:
    """Fields a row leaves out take their default (``auto_now`` ones: now), so that the
    history row copies the same values."""
    pk = model._meta.pk
    defaults = {f.attname: _default(f, now) for f in model._meta.concrete_fields if f is not pk}
    names = defaults.keys()
    for row in rows:
        for name in names - row.keys():
            row[name] = defaults[name]


def copy_rows(model, rows: list[dict], now=None, *, complete: bool = True) -> None:
    """COPY rows (dicts of attnames) into the model's table, drawing their ids
    from the table's sequence; fields left out take their defaults (``complete=False``: the
    caller has filled them already)."""
    now = now or timezone.now()
    meta = model._meta
    pk = meta.pk
    if complete:
        _complete(model, rows, now)
    fields = [f for f in meta.concrete_fields if f is not pk]
    names = [f.attname for f in fields]
    values = itemgetter(pk.attname, *names)
    for row, value in zip(rows, _next_ids(model, len(rows)), strict=True):
        row[pk.attname] = value
    copy_values(model, [pk.attname, *names], (values(row) for row in rows))


def _next_ids(model, count: int) -> list[int]:
    meta = model._meta
    with connection.cursor() as cursor:
        # One array, not a row per id; the sequence looked up once (an InitPlan), not per id:
        # nextval(pg_get_serial_sequence(…)) took 25–40 ms for 5,000 ids, this 3–10.
        cursor.execute(
            "SELECT array_agg(nextval((SELECT pg_get_serial_sequence(%s, %s)::regclass)))"
            " FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, count],
        )
        return cursor.fetchone()[0]


def copy_values_into(table: str, columns: list[str], tuples, *, binary: bool = False) -> None:
    """COPY ``tuples`` (values in the order of ``columns``) into ``table`` (a quoted name).

    ``binary``: in COPY's binary format, each value written by the dumper of its column's
    type (read from the table), not guessed from its Python type and spelt out as text for the
    server to parse again: for an import's rows a third of the client's CPU and less of the
    server's. The values must then be of their column's Python type (a date for a date, a
    Decimal for a numeric, an int for an integer; a str, or a str subclass such as a model's
    choices, for text), which an import's parsed rows are."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        names = ", ".join(quote(column) for column in columns)
        types = None
        if binary:
            cursor.execute(
                "SELECT atttypid FROM pg_attribute a JOIN unnest(%s::text[]) WITH ORDINALITY"
                " AS c(name, n) ON a.attname = c.name"
                " WHERE a.attrelid = %s::regclass ORDER BY c.n",
                [list(columns), table],
            )
            types = [oid for (oid,) in cursor.fetchall()]
            if len(types) != len(columns):
                raise ValueError(f"{table} lacks some of the columns {columns}")
        options = " (FORMAT BINARY)" if binary else ""
        with cursor.copy(f"COPY {table} ({names}) FROM STDIN{options}") as copy:
            if types is not None:
                copy.set_types(types)
            for values in tuples:
                copy.write_row(values)


def copy_values(model, attnames: list[str], tuples) -> None:
    """COPY ``tuples`` (values in the order of ``attnames``) into the model's table; a primary
    key left out of ``attnames`` is drawn by the table's own default (nobody needs the ids of
    history rows)."""
    meta = model._meta
    by_attname = {f.attname: f for f in meta.concrete_fields}
    copy_values_into(
        connection.ops.quote_name(meta.db_table), [by_attname[n].column for n in attnames], tuples
    )
