"""A call list's queries compiled once per process, their rows read as plain tuples (issue 18:
a page of 50 cards in ≤ 20 ms of CPU).

Building a queryset and compiling it to SQL costs some 0.5–1 ms a query (the payment cards'
instalments with policy, client and insurer: 0.8 ms), and reading its rows into model instances
with their related instances as much again; a call list runs the same few queries on every page
with other ids. ``CompiledRows`` builds the query once, with placeholder values, as Django
writes it from the models (so it follows their fields), keeps its SQL and the place of each
placeholder among its parameters, and then runs it with the page's values, returning the rows
as tuples in the order of the query's ``values_list`` (with the fields' converters applied, as
``values_list`` would), or, for a query of model instances, the instances (with their
``select_related`` ones and annotations) as the queryset would build them."""

from collections.abc import Callable

from django.db import connections
from django.db.models.query import ModelIterable, get_related_populators

# Placeholder values no row holds, each found once among the compiled query's parameters.
ID_MARKS = (-987_654_321_001, -987_654_321_002, -987_654_321_003, -987_654_321_004)


class CompiledRows:
    """``build(*marks)`` returns a ``values_list`` queryset; each of ``marks`` (a value no row
    holds, e.g. ``ID_MARKS[0]``, or ``[ID_MARKS[0]]`` for a list passed to
    ``brokerage.core.bulk.AnyOf``) must land once among its parameters. ``rows(*values)`` runs
    it with ``values`` in the marks' places."""

    def __init__(self, build: Callable, *marks):
        self._build = build
        self._marks = marks
        self._compiled: dict[str, tuple] = {}

    def _compile(self, using: str) -> tuple:
        queryset = self._build(*self._marks)
        compiler = queryset.query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        places = []
        for mark in self._marks:
            found = [n for n, param in enumerate(params) if param == mark]
            if len(found) != 1:
                raise ValueError(f"{mark!r} is {len(found)} times among the query's parameters")
            places.append(found[0])
        fields = [select[0] for select in compiler.select[: compiler.col_count]]
        converters = compiler.get_converters(fields)
        build = None
        if queryset._iterable_class is ModelIterable:  # instances: what ModelIterable reads
            klass_info = compiler.klass_info
            start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
            init_list = [field[0].target.attname for field in compiler.select[start:end]]
            populators = get_related_populators(klass_info, compiler.select, using)
            build = (klass_info["model"], start, end, init_list, populators,
                     dict(compiler.annotation_col_map or {}))  # fmt: skip
        return sql, list(params), places, compiler, converters, build

    def _compiled_for(self, using: str) -> tuple:
        compiled = self._compiled.get(using)
        if compiled is None:
            compiled = self._compiled[using] = self._compile(using)
        return compiled

    def _bound(self, values, using: str) -> tuple[str, list]:
        """The query's SQL and its parameters with ``values`` in the marks' places."""
        sql, params, places = self._compiled_for(using)[:3]
        params = params.copy()
        for place, value in zip(places, values, strict=True):
            params[place] = value
        return sql, params

    def _converted(self, rows: list, using: str) -> list[tuple]:
        compiler, converters = self._compiled_for(using)[3:5]
        if converters:
            rows = [tuple(row) for row in compiler.apply_converters(rows, converters)]
        return rows

    def rows(self, *values, using: str = "default") -> list[tuple]:
        sql, params = self._bound(values, using)
        with connections[using].cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        return self._converted(rows, using)

    def instances(self, *values, using: str = "default") -> list:
        """The model instances of a query built as ``Model.objects…`` (not ``values_list``),
        each with its ``select_related`` instances and annotations, as Django's
        ``ModelIterable`` builds them."""
        return self.instances_of(self.rows(*values, using=using), using=using)

    def instances_of(self, rows: list[tuple], using: str = "default") -> list:
        """``instances()`` of rows this query read (``rows_together``)."""
        build = self._compiled_for(using)[5]
        if build is None:
            raise TypeError("instances() of a values_list query: use rows()")
        model, start, end, init_list, populators, annotations = build
        objects = []
        for row in rows:
            obj = model.from_db(using, init_list, row[start:end])
            for populator in populators:
                populator.populate(row, obj)
            for name, position in annotations.items():
                setattr(obj, name, row[position])
            objects.append(obj)
        return objects


def rows_together(*queries: tuple, using: str = "default") -> list[list[tuple]]:
    """The rows of several compiled queries, each given as ``(CompiledRows, values)``, as
    ``rows(*values)`` reads them, in one round trip: their statements sent as one list
    (PostgreSQL's simple query protocol, the values bound by the client-side cursor Django uses
    with psycopg by default) and their results read in turn. A round trip costs some 0.3-0.5 ms
    of the client's CPU (Django's cursor, the driver, the socket), a call list's cards make a
    handful. Where the server binds the values (``server_side_binding``), which takes one
    statement at a time, each query is run on its own."""
    connection = connections[using]
    if connection.settings_dict.get("OPTIONS", {}).get("server_side_binding") is True:
        return [query.rows(*values, using=using) for query, values in queries]
    statements, params = [], []
    for query, values in queries:
        sql, bound = query._bound(values, using)
        statements.append(sql)
        params += bound
    results = []
    with connection.cursor() as cursor:
        cursor.execute(";\n".join(statements), params)
        for n, (query, _values) in enumerate(queries):
            if n:
                cursor.nextset()
            results.append(query._converted(cursor.fetchall(), using))
    return results
