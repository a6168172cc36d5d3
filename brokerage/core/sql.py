"""Names for raw SQL, taken from the models' ``_meta`` rather than written as literals: a
renamed table or column then breaks loudly in Python, not silently in a string."""

from django.db import connection


class SqlNames:
    """Quoted names of one model, optionally under an alias:

    >>> p = SqlNames(Policy, "p")
    >>> f"SELECT {p.end_date} FROM {p.from_}"   # SELECT p."end_date" FROM "policies_policy" p
    """

    def __init__(self, model, alias: str | None = None):
        self._model = model
        self._alias = alias

    @property
    def table(self) -> str:
        return connection.ops.quote_name(self._model._meta.db_table)

    @property
    def from_(self) -> str:
        return f"{self.table} {self._alias}" if self._alias else self.table

    def __getattr__(self, name: str) -> str:
        if name.startswith("_"):
            raise AttributeError(name)
        column = connection.ops.quote_name(self._model._meta.get_field(name).column)
        return f"{self._alias}.{column}" if self._alias else column


def id_array(ids) -> str:
    """Ids as one PostgreSQL array literal ('{1,2,3}', cast in the statement:
    ``= ANY(%s::bigint[])``): Django's cursor binds on the client, and psycopg quotes a list of
    100,000 ids (an import's new cases) element by element, 0.6 s; one string is quoted at
    once."""
    return "{" + ",".join(str(int(pk)) for pk in ids) + "}"


def text_array(values) -> str:
    """Texts as one PostgreSQL array literal (``{"a","b"}``, cast in the statement:
    ``%s::text[]``): psycopg adapts a list element by element in Python (a chunk's 5,000 keys,
    phones and ids took a fifth of an import's classify CPU), a join at once."""
    items = list(values)
    if not items:
        return "{}"
    joined = '","'.join(items)
    if '"' in joined or "\\" in joined:  # quoted as array elements are: \" and \\
        joined = '","'.join([v.replace("\\", "\\\\").replace('"', '\\"') for v in items])
    return '{"' + joined + '"}'
