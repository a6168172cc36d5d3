"""Multiply a seeded book in SQL, for benchmarks at real size (``bench/big_book.py``).

``manage.py seed_demo`` builds a realistic book row by row; a book of a million policies
takes it too long. ``book_multiply(factor=N)`` turns the book in the database into N copies
of it, one ``INSERT … SELECT … CROSS JOIN generate_series(1, N - 1)`` per table:

- every row of a book table is copied N - 1 times; copy ``k`` of a row gets the id
  ``id + k * span`` (span: max(id) - min(id) + 1, so the copies fill contiguous ranges and the
  sequences are set past them), and every reference to a copied table (foreign keys, the
  history tables' object ids and the work queue's and points' ``subject_id`` by kind) is moved
  the same way, so each copy points only inside itself;
- reference data is kept once: insurers, ladders and their rules, collection rungs, repair
  shops, touch settings, column mappings, groups and permissions; the admin and the
  maintainers stay the same users;
- agents and managers are copied with their teams (copy ``k`` of ``agent003`` is
  ``agent003.k``, in its own copy of the team), so each copy is one more sales team and the
  book per agent stays what the seed made it;
- what must stay unique, and what people search for, is varied per copy: policy numbers
  (``HDI-00000012`` → ``HDI-07000012``), phone numbers (each copy a distinct number in the same
  area, as the seed draws them), e-mail addresses, membership cards, VINs (a distinct serial
  with its check digit recomputed), plates, the service touches' occasions (which name the
  policy, client or VIN), the work items' titles (which end with the policy number);
- dates are copied as they are: the seed already spreads renewals over every day of the past
  year and of the next four months, and moving a copy's dates would put past events in the
  future or leave the morning job a backlog to catch up.

Triggers and foreign-key checks are off while copying (``session_replication_role``): the
rows copied were consistent and the copies are moved consistently; unique indexes are still
enforced. The insert triggers that keep other tables (the dashboards' daily rollups) stay on
and those tables are not copied: the triggers count each copy in. Secondary indexes of the
large tables are dropped before the copy and rebuilt after (a bulk build is several times
faster than a million index inserts).
"""

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.apps import apps
from django.db import connection, models

# Reference data: kept once, shared by every copy.
REFERENCE_TABLES = {
    "policies_insurer",
    "renewals_ladder",
    "renewals_ladderrule",
    "billing_collectionrung",
    "claims_repairshop",
    "claims_repairshop_insurers",
    "claims_historicalrepairshop",
    "claims_historicalrepairshop_insurers",
    "touches_touchsetting",
    "touches_historicaltouchsetting",
    "imports_columnmapping",
    # One row (the time zone and cutoff the work queue's rollups are counted under).
    "reports_rollupclock",
}
# Apps whose tables are never copied (framework tables, login attempts).
SKIPPED_APPS = {"auth", "contenttypes", "sessions", "admin", "axes", "django_celery_beat"}
# The people copied with each copy of the book; the others (admin, maintainers) stay one.
COPIED_ROLES = ("agent", "manager")
USER_TABLE = "accounts_user"
# Tables copied only for the copied users' rows.
PER_USER_TABLES = {"accounts_user_groups", "accounts_user_user_permissions"}
# Work item and points kinds → the table their subject_id points into (a kind not listed
# here stops the copy rather than being copied wrong).
SUBJECT_TABLES = {
    "renewal": "renewals_renewalcase",
    "renewal_lapsed": "renewals_renewalcase",
    "quote_follow_up": "policies_quotation",
    "payment_due": "billing_instalment",
    "claim_contact": "claims_claim",
    "claim_escalation": "claims_claim",
    "claim_dispute": "claims_claim",
    "claim_follow_up": "claims_claim",
    "claim_callback": "claims_claim",
    "claim_low_satisfaction": "claims_claim",
    "service_request": "servicing_servicerequest",
    "service_case": "servicing_servicecase",
    "service_case_office": "servicing_servicecase",
    **{
        kind: "touches_touch"
        for kind in (
            "thank_you",
            "return_visit",
            "inspection_due",
            "licence_due",
            "birthday",
            "holiday",
            "plate_endorsement",
        )
    },
}
SUBJECT_COLUMNS = {("workqueue_workitem", "subject_id"), ("workqueue_pointsaward", "subject_id")}
# Tables whose secondary indexes are dropped during the copy and rebuilt after it.
BIG_ROWS = 20_000

# Per-copy variants of the values that must differ between copies ({c}: the column, k: the
# copy number). The functions are created in pg_temp by _functions().
SPECIAL = {
    ("policies_policy", "number"): "pg_temp.bb_number({c}, k)",
    ("policies_policy", "number_key"): "pg_temp.bb_number({c}, k)",
    ("policies_historicalpolicy", "number"): "pg_temp.bb_number({c}, k)",
    ("policies_historicalpolicy", "number_key"): "pg_temp.bb_number({c}, k)",
    ("workqueue_workitem", "title"): "pg_temp.bb_number({c}, k)",
    ("policies_vehicle", "vin"): "pg_temp.bb_vin({c}, k)",
    ("policies_vehicle", "plate"): "pg_temp.bb_plate({c}, k)",
    ("policies_historicalvehicle", "vin"): "pg_temp.bb_vin({c}, k)",
    ("policies_historicalvehicle", "plate"): "pg_temp.bb_plate({c}, k)",
    ("touches_touch", "occasion"): "pg_temp.bb_occasion({c}, k)",
    ("touches_touch", "plate"): "pg_temp.bb_plate({c}, k)",
    ("notifications_message", "to"): "pg_temp.bb_address({c}, k)",
    ("accounts_user", "username"): "{c} || '.' || k",
    ("accounts_user", "email"): "pg_temp.bb_user_email({c}, k)",
    ("accounts_user", "first_name"): "pg_temp.bb_name(t.id, k, 1)",
    ("accounts_user", "last_name"): "pg_temp.bb_name(t.id, k, 2)",
    ("accounts_team", "name"): "{c} || ' · ' || k",
    **{
        (table, column): "pg_temp.bb_address({c}, k)"
        for table in ("clients_client", "clients_historicalclient")
        for column in ("phone", "phone_other", "fax", "whatsapp", "email", "membership_card")
    },
}
VIN_WEIGHTS = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2]  # ISO 3779
# Copied agents' names (a copy of a team is other people): one in four Chinese, as the seed.
ES_FIRST = [
    "Alejandro", "Beatriz", "Carlos", "Daniela", "Eduardo", "Fernanda", "Gabriel", "Hilda",
    "Ignacio", "Julia", "Leonardo", "Mariana", "Nicolás", "Olga", "Pablo", "Regina", "Santiago",
    "Teresa", "Ulises", "Valeria", "Ximena", "Yolanda", "Zacarías",
]  # fmt: skip
ES_LAST = [
    "Aguilar", "Barrera", "Cabrera", "Delgado", "Espinoza", "Fuentes", "Guerrero", "Herrera",
    "Ibarra", "Juárez", "Lozano", "Maldonado", "Navarro", "Orozco", "Peña", "Quintero",
    "Ríos", "Salazar", "Trejo", "Valdez", "Zamora",
]  # fmt: skip
ZH_FIRST = list("伟芳娜敏静磊洋艳勇军杰娟涛明超")
ZH_LAST = list("王李张刘陈杨黄赵吴周徐孙马")


@dataclass
class Plan:
    """What is copied and how: per table, its offset and the SELECT list of one copy."""

    factor: int
    offsets: dict[str, int] = field(default_factory=dict)  # table → max(pk) - min(pk) + 1
    user_ids: list[int] = field(default_factory=list)  # the copied users
    tables: dict[str, type[models.Model]] = field(default_factory=dict)


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _models() -> list[type[models.Model]]:
    """The models of the book's tables (those the database has: a model whose migration has
    not run yet is left alone)."""
    seen, found = set(), []
    existing = set(connection.introspection.table_names())
    for model in apps.get_models(include_auto_created=True):
        opts = model._meta
        if opts.proxy or not opts.managed or opts.app_label in SKIPPED_APPS:
            continue
        if opts.db_table in seen or opts.db_table not in existing:
            continue
        if opts.db_table in REFERENCE_TABLES:
            continue
        seen.add(opts.db_table)
        found.append(model)
    return found


def _target(model, field) -> str | None:
    """The table a column points into: a foreign key's, a history row's object id's."""
    if field.is_relation and field.related_model is not None:
        return field.related_model._meta.db_table
    instance = getattr(model, "instance_type", None)
    if instance is not None and field.column == instance._meta.pk.column and not field.primary_key:
        return instance._meta.db_table
    return None


def _moved(plan: Plan, table: str, expr: str) -> str:
    """``expr`` (an id in ``table``) in copy k."""
    if table not in plan.offsets:
        return expr  # reference data: the same row for every copy
    shift = f"k * {plan.offsets[table]}::bigint"
    if table == USER_TABLE:
        ids = ",".join(map(str, plan.user_ids)) or "NULL"
        return f"CASE WHEN {expr} IN ({ids}) THEN {expr} + {shift} ELSE {expr} END"
    return f"{expr} + {shift}"


def _subject(plan: Plan, kinds: list[str], c: str) -> str:
    unknown = sorted(set(kinds) - set(SUBJECT_TABLES))
    if unknown:
        raise ValueError(f"book_multiply: no subject table known for kinds {unknown}")
    whens = " ".join(
        f"WHEN '{kind}' THEN {_moved(plan, SUBJECT_TABLES[kind], c)}" for kind in sorted(kinds)
    )
    return f"CASE t.kind {whens} END" if whens else c


def _select_list(
    cursor, plan: Plan, model, kinds: dict[str, list[str]]
) -> tuple[list[str], list[str]]:
    """The table's columns (as the database has them) and their values in copy k."""
    table = model._meta.db_table
    fields = {f.column: f for f in model._meta.concrete_fields}
    columns, exprs = [], []
    for column in [c.name for c in connection.introspection.get_table_description(cursor, table)]:
        f, c = fields.get(column), f"t.{_q(column)}"
        if f is None:
            expr = c  # a column the models do not know (yet): copied as it is
        elif f.primary_key and not f.is_relation:
            expr = f"{c} + k * {plan.offsets[table]}::bigint"
        elif (table, f.column) in SUBJECT_COLUMNS:
            expr = _subject(plan, kinds.get(table, []), c)
        elif (table, f.column) in SPECIAL:
            expr = SPECIAL[table, f.column].format(c=c)
        elif (target := _target(model, f)) is not None:
            expr = _moved(plan, target, c)
        elif f.column.endswith("_id") and isinstance(f, models.IntegerField):
            raise ValueError(f"book_multiply: {table}.{f.column} points nowhere known")
        else:
            expr = c
        columns.append(_q(column))
        exprs.append(expr)
    return columns, exprs


def _array(names: list[str]) -> str:
    return "ARRAY[" + ",".join(f"'{n}'" for n in names) + "]"


def _functions(cursor, plan: Plan) -> None:
    """The per-copy variants of unique and searched values (see SPECIAL)."""
    stride = 10**7 // plan.factor  # client indices of a copy: the seed's index + k * stride
    vin_stride = 10**6 // plan.factor
    vin_sum = " + ".join(
        f"substr(t, {i}, 1)::int * {w}" for i, w in enumerate(VIN_WEIGHTS, start=1) if w
    )
    client, policy = plan.offsets.get("clients_client", 0), plan.offsets.get("policies_policy", 0)
    cursor.execute(
        f"""
CREATE OR REPLACE FUNCTION pg_temp.bb_number(v text, k int) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    -- A policy number ending in 8 digits: the copy number in the second and third digits.
    SELECT CASE WHEN v ~ '[0-9]{{8}}$' THEN left(v, -8)
                     || lpad((right(v, 8)::bigint + k * 1000000)::text, 8, '0')
                WHEN v = '' THEN v ELSE v || '-' || k END
$$;
CREATE OR REPLACE FUNCTION pg_temp.bb_digits(v text, k int) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    -- The last 7 digits as the seed's unique_number() makes them for index + k * stride.
    SELECT left(v, -7) || lpad(((right(v, 7)::bigint
        + 7654321::bigint * k * {stride}) % 10000000)::text, 7, '0')
$$;
CREATE OR REPLACE FUNCTION pg_temp.bb_address(v text, k int) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN v ~ '^\\+?[0-9]{{9,}}$' OR v ~ '^[A-Z]+-[0-9]{{8}}$'
                THEN pg_temp.bb_digits(v, k)
                WHEN v LIKE '%@%' THEN regexp_replace(v, '@', k || '@')
                ELSE v END
$$;
CREATE OR REPLACE FUNCTION pg_temp.bb_user_email(v text, k int) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN v LIKE '%@%' THEN regexp_replace(v, '@', '.' || k || '@') ELSE v END
$$;
CREATE OR REPLACE FUNCTION pg_temp.bb_vin_check(d text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
    -- plpgsql: its statements are planned once a session (an SQL function that cannot be
    -- inlined is planned again at every call).
    DECLARE
        t text := translate(d, 'ABCDEFGHJKLMNPRSTUVWXYZ', '12345678123457923456789');
        s int := {vin_sum};
    BEGIN
        RETURN left(d, 8) || CASE WHEN s % 11 = 10 THEN 'X' ELSE (s % 11)::text END
               || substr(d, 10);
    END
$$;
CREATE OR REPLACE FUNCTION pg_temp.bb_vin(v text, k int) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    -- A distinct 6-digit serial (the seed's, for vehicle index + k * stride), check digit
    -- recomputed.
    SELECT CASE WHEN v ~ '^[A-HJ-NPR-Z0-9]{{11}}[0-9]{{6}}$'
                THEN pg_temp.bb_vin_check(left(v, 11) || lpad(((right(v, 6)::bigint
                     + 7654321::bigint * k * {vin_stride}) % 1000000)::text, 6, '0'))
                ELSE v END
$$;
CREATE OR REPLACE FUNCTION pg_temp.bb_plate(v text, k int) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN v ~ '[0-9]{{4}}$'
                THEN left(v, -4) || lpad(((right(v, 4)::int + k * 1237) % 10000)::text, 4, '0')
                ELSE v END
$$;
CREATE OR REPLACE FUNCTION pg_temp.bb_occasion(v text, k int) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
    -- "policy-12", "policy-12-<VIN>", "client-7-2026…", "inspection-<VIN>-<date>"
    DECLARE
        m text[] := regexp_match(v, '^(policy|client)-([0-9]+)(?:-(.*))?$');
    BEGIN
        IF m[1] = 'policy' THEN
            RETURN 'policy-' || (m[2]::bigint + k * {policy}::bigint)
                   || COALESCE('-' || pg_temp.bb_vin(m[3], k), '');
        ELSIF m[1] = 'client' THEN
            RETURN 'client-' || (m[2]::bigint + k * {client}::bigint) || COALESCE('-' || m[3], '');
        ELSIF v ~ '^[a-z]+-[A-Z0-9]{{17}}-' THEN
            RETURN split_part(v, '-', 1) || '-' || pg_temp.bb_vin(split_part(v, '-', 2), k)
                   || substr(v, length(split_part(v, '-', 1)) + 19);
        END IF;
        RETURN v || '-' || k;
    END
$$;
CREATE OR REPLACE FUNCTION pg_temp.bb_name(id bigint, k int, part int) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN (id + k) % 4 = 3
                THEN (CASE part WHEN 1 THEN {_array(ZH_FIRST)} ELSE {_array(ZH_LAST)} END)
                     [1 + ((id * 7 + k * (part + 12)) % {len(ZH_LAST)})]
                ELSE (CASE part WHEN 1 THEN {_array(ES_FIRST)} ELSE {_array(ES_LAST)} END)
                     [1 + ((id * 7 + k * (part + 12)) % {len(ES_LAST)})] END
$$;
"""
    )


def _secondary_indexes(cursor, table: str) -> list[tuple[str, str]]:
    """(name, definition) of the indexes of ``table`` that back no constraint."""
    cursor.execute(
        """
        SELECT i.relname, pg_get_indexdef(i.oid)
        FROM pg_index x
        JOIN pg_class i ON i.oid = x.indexrelid
        WHERE x.indrelid = %s::regclass
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid)
          AND NOT x.indisunique
        ORDER BY i.relname
        """,
        [table],
    )
    return cursor.fetchall()


def book_multiply(*, factor: int, write: Callable[[str], None] = lambda line: None) -> dict:
    """Make ``factor`` copies of the book in the database (see the module's docstring).
    Returns {table: (rows before, rows after)}."""
    if factor < 2:
        raise ValueError("book_multiply: the factor must be 2 or more")
    if factor > 99:
        raise ValueError("book_multiply: at most 99 copies (policy numbers keep 8 digits)")
    plan = Plan(factor=factor)
    counts: dict[str, tuple[int, int]] = {}
    with connection.cursor() as cursor:
        book = _models()
        kept_by = _kept_by_triggers(cursor, [m._meta.db_table for m in book])
        for model in book:
            table, pk = model._meta.db_table, model._meta.pk.column
            if table in {target for _t, _n, targets in kept_by for target in targets}:
                continue  # filled by the copies' own inserts (below)
            cursor.execute(
                f"SELECT count(*), COALESCE(max({_q(pk)}) - min({_q(pk)}) + 1, 0) FROM {_q(table)}"
            )
            rows, span = cursor.fetchone()
            counts[table] = (rows, rows)
            if rows:
                plan.offsets[table] = span
                plan.tables[table] = model
        cursor.execute(
            """
            SELECT DISTINCT ug.user_id FROM accounts_user_groups ug
            JOIN auth_group g ON g.id = ug.group_id WHERE g.name = ANY(%s) ORDER BY 1
            """,
            [list(COPIED_ROLES)],
        )
        plan.user_ids = [row[0] for row in cursor.fetchall()]
        kinds = {}
        for table, _column in SUBJECT_COLUMNS:
            if table in plan.tables:
                cursor.execute(f"SELECT DISTINCT kind FROM {_q(table)}")
                kinds[table] = [row[0] for row in cursor.fetchall()]
        # The seed numbers phones from the client's index (up to 8 per client), VINs from the
        # vehicle's: each copy's numbers must fit in a stride of their own.
        if counts.get("clients_client", (0,))[0] * 8 > 10**7 // factor:
            raise ValueError("book_multiply: too many clients for distinct phone numbers")
        if counts.get("policies_vehicle", (0,))[0] > 10**6 // factor:
            raise ValueError("book_multiply: too many vehicles for distinct VINs")
        _functions(cursor, plan)
        # Deferred checks of rows written earlier in the transaction, done now: a table with
        # pending trigger events cannot have its triggers altered.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET session_replication_role = replica")
        for table, name, _targets in kept_by:  # they fire for the copies' inserts too
            cursor.execute(f"ALTER TABLE {_q(table)} ENABLE ALWAYS TRIGGER {_q(name)}")
        try:
            for table, model in plan.tables.items():
                started = time.monotonic()
                columns, exprs = _select_list(cursor, plan, model, kinds)
                where = ""
                if table == USER_TABLE:
                    where = f"WHERE t.id IN ({','.join(map(str, plan.user_ids)) or 'NULL'})"
                elif table in PER_USER_TABLES:
                    where = f"WHERE t.user_id IN ({','.join(map(str, plan.user_ids)) or 'NULL'})"
                dropped = []
                if counts[table][0] * (factor - 1) >= BIG_ROWS:
                    dropped = _secondary_indexes(cursor, table)
                    for name, _definition in dropped:
                        cursor.execute(f"DROP INDEX {_q(name)}")
                cursor.execute(
                    f"INSERT INTO {_q(table)} ({', '.join(columns)}) "
                    f"SELECT {', '.join(exprs)} FROM {_q(table)} t "
                    f"CROSS JOIN generate_series(1, {factor - 1}) AS g(k) {where}"
                )
                inserted = cursor.rowcount
                for _name, definition in dropped:
                    cursor.execute(definition)
                before = counts[table][0]
                counts[table] = (before, before + inserted)
                write(
                    f"  {table:<42} {before:>9,} → {before + inserted:>11,}"
                    f"  {time.monotonic() - started:6.1f} s"
                )
        finally:
            cursor.execute("SET session_replication_role = DEFAULT")
            for table, name, _targets in kept_by:
                cursor.execute(f"ALTER TABLE {_q(table)} ENABLE TRIGGER {_q(name)}")
        _reset_sequences(cursor, plan)
    return counts


def _kept_by_triggers(cursor, tables: list[str]) -> list[tuple[str, str, set[str]]]:
    """(table, trigger, tables it writes) of the enabled insert triggers of the book's tables
    that write other tables (the dashboards' daily rollups): those tables are not copied, the
    triggers count the copies in as they are inserted (statement triggers: one aggregate per
    copied table)."""
    cursor.execute(
        """
        SELECT c.relname, t.tgname, p.prosrc
        FROM pg_trigger t
        JOIN pg_class c ON c.oid = t.tgrelid
        JOIN pg_proc p ON p.oid = t.tgfoid
        WHERE NOT t.tgisinternal AND t.tgenabled = 'O' AND (t.tgtype & 4) <> 0
          AND c.relname = ANY(%s)
        ORDER BY 1, 2
        """,
        [tables],
    )
    found = []
    for table, name, source in cursor.fetchall():
        targets = {
            target
            for target in re.findall(r'INSERT\s+INTO\s+"?(\w+)"?', source, flags=re.IGNORECASE)
            if target != table
        }
        if targets:
            found.append((table, name, targets))
    return found


def _reset_sequences(cursor, plan: Plan) -> None:
    """Every copied table's id sequence past its last id, so the app keeps inserting."""
    for table, model in plan.tables.items():
        pk = model._meta.pk.column
        cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, pk])
        sequence = cursor.fetchone()[0]
        if sequence:
            cursor.execute(
                f"SELECT setval(%s, (SELECT max({_q(pk)}) FROM {_q(table)}))", [sequence]
            )


def book_check() -> dict[str, int]:
    """Rows whose foreign key points at no row, per foreign-key constraint (only those with
    some): what the constraints would have refused had they been checked while copying."""
    orphans = {}
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.conname, c.conrelid::regclass::text, a.attname,
                   c.confrelid::regclass::text, af.attname
            FROM pg_constraint c
            JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
            JOIN pg_attribute af ON af.attrelid = c.confrelid AND af.attnum = c.confkey[1]
            WHERE c.contype = 'f' AND cardinality(c.conkey) = 1
              AND c.connamespace = 'public'::regnamespace
            ORDER BY 2, 3
            """
        )
        for name, table, column, target, target_column in cursor.fetchall():
            cursor.execute(
                f"SELECT count(*) FROM {table} c WHERE c.{_q(column)} IS NOT NULL AND NOT EXISTS "
                f"(SELECT 1 FROM {target} p WHERE p.{_q(target_column)} = c.{_q(column)})"
            )
            count = cursor.fetchone()[0]
            if count:
                orphans[f"{table}.{column} → {target} ({name})"] = count
    return orphans
