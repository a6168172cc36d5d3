"""What an expiry report's rows mean: policies matched on insurer and policy number, their
holders on national or tax ID (else phone and name), vehicles on VIN (else plate).

``classify`` reads what exists for a chunk of rows in a fixed number of queries and says, for
each row, whether it is new, changes something (field by field) or changes nothing. ``apply``
writes a classified chunk with bulk statements and history. The engine calls ``classify``
alone for the dry run, and ``classify`` then ``apply`` under a lock for the commit, so the
commit does what the dry run showed.
"""

import functools
import re
import weakref
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import CharField
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from brokerage.accounts.models import User
from brokerage.core.bulk import insert_with_history
from brokerage.core.sql import id_array, text_array
from clients.models import (
    Client,
    ClientKind,
    ClientStatus,
    display_name_of,
    id_key,
    id_key_expression,
)
from clients.search import compact
from clients.services import clients_give_owner
from policies.models import (
    Currency,
    Line,
    Policy,
    PolicyStatus,
    Vehicle,
    policy_date_problems,
    years_after,
)
from policies.services import policy_followers_lock, policy_renewed
from policies.validators import normalize_vin, validate_vin

from .errors import RowProblem, render
from .fields import header_currency
from .parsing import (
    is_blank,
    json_value,
    memoised,
    parse_amount,
    parse_date,
    parse_phone,
    parse_text,
)
from .vehicles import split_make_model

LINE_WORDS = {
    Line.AUTO: ("auto", "autos", "car", "motor", "vehicle", "automóvil", "automovil", "车险",
                "机动车", "vehículo", "vehiculo"),
    Line.HEALTH: ("health", "salud", "gastos médicos", "gastos medicos", "gmm", "健康险", "医疗"),
    Line.LIFE: ("life", "vida", "寿险", "人寿"),
    Line.PROPERTY: ("property", "home", "hogar", "daños", "danos", "casa", "财产险", "家财"),
}  # fmt: skip
PHONE_AS_WRITTEN_MAX = Client._meta.get_field("phone_as_written").max_length
POLICY_COMPARED = ("start_date", "end_date", "premium", "currency", "line", "coverage")
VEHICLE_COMPARED = ("make", "model", "year", "plate", "vin")


@dataclass
class Issue:
    row: int
    column: str
    value: str
    reason: str  # rendered in the language of the import, for the log and old rows
    code: str = ""  # imports.errors: rendered again in each reader's language
    params: dict | None = None
    level: str = "error"  # imports.models.RowLevel: an error keeps the row out, a warning not


@dataclass(frozen=True)
class ReadContext:
    """How this insurer's report is read where a cell does not say: phones without a country
    code, amounts without a currency column, the language of the clients it brings."""

    region: str
    currency: str
    language: str

    @classmethod
    def of(cls, insurer) -> "ReadContext":
        return cls(insurer.phone_region, insurer.report_currency, insurer.report_language)


@dataclass
class Record:
    row: int
    key: str
    policy: dict
    client: dict
    vehicle: dict | None
    warnings: list[Issue] = field(default_factory=list)  # the row is imported all the same
    # The holder's name as a new client would take it (``names_of``): worked out where the
    # row is parsed (the parser process), not by the importing process for each new client.
    names: tuple | None = None

    def __reduce__(self):
        """Pickled as its fields in order (the parser process sends 5,000 a chunk): a
        dataclass's default pickle restores each through its ``__dict__``, which made loading
        a chunk take 80 ms in the importing process instead of 12."""
        return Record, (self.row, self.key, self.policy, self.client, self.vehicle,
                        self.warnings, self.names)  # fmt: skip


@dataclass
class Outcome:
    """What a chunk does: rows by verdict and, as plain rows, what to write."""

    verdicts: dict[int, str] = field(default_factory=dict)  # row → new/updated/unchanged
    changes: dict[str, dict] = field(default_factory=dict)  # policy number → {field: [a, b]}
    new_clients: list[dict] = field(default_factory=list)
    new_policies: list[dict] = field(default_factory=list)  # "_client": a new client's row
    new_vehicles: list[dict] = field(default_factory=list)  # "_policy": a new policy's row
    client_updates: dict[int, dict] = field(default_factory=dict)  # pk → {field: value}
    policy_updates: dict[int, dict] = field(default_factory=dict)
    vehicle_updates: dict[int, dict] = field(default_factory=dict)
    # (new policy's row, the old policy's pk, or its row when the chunk brings both terms)
    renewals: list[tuple[dict, int | dict]] = field(default_factory=list)
    owners: dict[int, int] = field(default_factory=dict)  # client pk → the report's agent


def _line(text: str) -> str:
    lowered = text.strip().lower()
    for line, words in LINE_WORDS.items():
        if lowered in words or lowered == line:
            return line
    raise RowProblem("line_unknown", value=text)


def _id(value) -> str:
    """A national or tax ID in the normal form the client files are matched on (id_key)."""
    return id_key(parse_text(value))


def _plate(value) -> str:
    return parse_text(value).upper().replace(" ", "").replace("-", "")


@functools.lru_cache(maxsize=64)
def _cells(region: str, split: bool) -> tuple:
    """The cells a row is read from, in the order their errors are listed: (field, how it is
    read, required, a warning rather than an error). A phone that does not read in the
    insurer's region is kept as written (the client goes to the contact fixes), never a
    reason to leave the policy out; one column for make and model ("品牌车型", "Marca y
    submarca", ``split``) is read as the model and split after."""
    phone = functools.partial(parse_phone, region=region)
    return (
        ("policy_number", parse_text, True, False), ("holder_name", parse_text, True, False),
        ("end_date", _DATE, True, False), ("start_date", _DATE, False, False),
        ("premium", _AMOUNT, True, False), ("currency", _CURRENCY, False, False),
        ("line", _LINE, False, False), ("coverage", parse_text, False, False),
        ("national_id", _id, False, False), ("tax_id", _id, False, False),
        ("phone", phone, False, True), ("email", _email, False, False),
        ("vin", _vin, False, False), ("plate", _plate, False, False),
        *((("model", parse_text, False, False),) if split else
          (("make", parse_text, False, False), ("model", parse_text, False, False))),
        ("year", _year, False, False),
        ("agent", parse_text, False, False),  # who works it, and from when (seed 001)
        ("handout_date", _DATE, False, False),
    )  # fmt: skip


def _cell_issue(row: int, column: str, value, exc: Exception, warn: bool) -> Issue:
    """What is wrong with a cell whose value its parser refused."""
    reason = exc.messages[0] if isinstance(exc, ValidationError) else str(exc)
    code, params = (exc.code, exc.params) if isinstance(exc, RowProblem) else ("", None)
    # A warning keeps the row: the value is left out and the row imported all the same.
    return Issue(row, column, parse_text(value)[:255], reason, code, params,
                 level="warning" if warn else "error")  # fmt: skip


@functools.lru_cache(maxsize=4096)
def _date_problems(start: date | None, end: date | None) -> tuple:
    """policy_date_problems' (field, (code, params)) once per pair of dates (a report's terms
    repeat row after row)."""
    return tuple(policy_date_problems(start=start, end=end).items())


_header_currency = functools.lru_cache(maxsize=64)(header_currency)


def parse_row(
    row: int, raw: dict, headers: dict, context: ReadContext
) -> tuple[Record | None, list[Issue]]:
    """One report row into a record, or the list of what is wrong with it (errors); what is
    doubtful in a row that is imported all the same goes in ``record.warnings``."""
    issues: list[Issue] = []
    warnings: list[Issue] = []
    values: dict = {}
    get = raw.get
    split = bool(headers.get("make")) and headers.get("make") == headers.get("model")
    for name, parser, required, warn in _cells(context.region, split):
        value = get(name)
        if value is None or (isinstance(value, str) and not value.strip()):  # is_blank
            if required:
                issues.append(Issue(row, headers.get(name, name), "", render("missing"), "missing"))
            continue
        try:
            values[name] = parser(value)
        except (ValueError, ValidationError) as exc:
            (warnings if warn else issues).append(
                _cell_issue(row, headers.get(name, name), value, exc, warn)
            )
    if split:
        values["make"], values["model"] = split_make_model(values.get("model"))
    number, phone, agent = values.get("policy_number"), values.get("phone"), values.get("agent")
    end, start = values.get("end_date"), values.get("start_date")
    if end and not start:  # a report without start dates: a year's term
        start = years_after(end, -1) if end.year > 1 else end
    date_issues = {}
    for name, problem in _date_problems(start, end):
        name = name if name in values else "end_date"  # a start not in the report: its end
        date_issues.setdefault(name, problem)
    for name, (code, params) in date_issues.items():
        reason = render(code, params)
        issues.append(Issue(row, headers.get(name, name), values[name].isoformat(), reason, code,
                            dict(params) or None))  # fmt: skip
    if issues:
        return None, issues + warnings
    number = " ".join(number.split()).upper()
    has_vehicle = bool(values.get("vin") or values.get("plate"))
    line = values.get("line") or (Line.AUTO if has_vehicle else Line.OTHER)
    policy = {
        "number": number, "start_date": start, "end_date": end, "premium": values["premium"],
        "currency": values.get("currency") or _header_currency(headers.get("premium"))
        or context.currency, "line": line,
        "coverage": values.get("coverage") or "",
    }  # fmt: skip
    client = {
        "name": values["holder_name"], "national_id": values.get("national_id", ""),
        "tax_id": values.get("tax_id", ""), "phone": values.get("phone", ""),
        "email": values.get("email", ""), "language": context.language,
        "phone_as_written": "" if phone or is_blank(raw.get("phone")) else
        parse_text(raw["phone"])[:PHONE_AS_WRITTEN_MAX],
    }  # fmt: skip
    vehicle = None
    if has_vehicle:
        vehicle = {
            "vin": values.get("vin", ""), "plate": values.get("plate", ""),
            "make": values.get("make", ""), "model": values.get("model", ""),
            "year": values.get("year"),
        }  # fmt: skip
    client["agent_id"], policy["handout_on"] = None, values.get("handout_date")
    if agent:
        client["agent_id"], problem = _agents_of(context).find(agent)
        if problem:  # the row is imported and waits for the distribution
            params = {"value": agent[:255]}
            column = headers.get("agent", "agent")
            reason = render(problem, params)
            warnings.append(Issue(row, column, agent[:255], reason, problem, params, "warning"))
    names = names_of(client["name"])
    return Record(row, compact(number), policy, client, vehicle, warnings, names), []


# The words a totals row at the bottom of a report starts with (its policy number or holder
# cell), compared without case, spaces or a trailing colon.
TOTAL_WORDS = ("total", "totals", "totales", "total general", "gran total", "grand total",
               "suma", "sum", "合计", "总计", "合計", "總計")  # fmt: skip


# What a total word's text starts with (casefolded): a cell starting otherwise is none.
_TOTAL_INITIALS = frozenset(word[0] for word in TOTAL_WORDS)


def _total_word(value) -> bool:
    if value.__class__ is str:
        first = value[:1]
        if first and not first.isspace() and first.casefold()[:1] not in _TOTAL_INITIALS:
            return False  # the text below would start with that letter: no total word
    text = parse_text(value).casefold().rstrip(" :：.").strip()
    return text in TOTAL_WORDS or text.startswith(("total ", "totales "))


class Totals:
    """Recognises a report's totals row, so that it is skipped rather than reported as a row
    without a policy: its policy number (or holder) cell says "Total", "Totales", "合计"…, or
    it has no policy number, holder nor end date and its premium is the sum of the premiums
    above it. The rows are shown to it in order (``skip(raw)``)."""

    def __init__(self):
        self.premiums = Decimal(0)

    def skip(self, raw: dict) -> bool:
        number = raw.get("policy_number")
        if number.__class__ is str and number.strip() and not _total_word(number):
            return self._add(raw)  # most rows: a policy number that is no total word
        if is_blank(number) or _total_word(number):
            if _total_word(number) or _total_word(raw.get("holder_name")):
                return True
            amount = self._premium(raw)
            if (
                is_blank(raw.get("holder_name")) and is_blank(raw.get("end_date"))
                and amount is not None and self.premiums > 0 and amount == self.premiums
            ):  # fmt: skip
                return True
        return self._add(raw)

    def _add(self, raw: dict) -> bool:
        """The row's premium in the sum of those above the totals row (not one)."""
        value = raw.get("premium")  # read by parse_row next: the memo (_AMOUNT) has it then
        if value is None or (isinstance(value, str) and not value.strip()):  # is_blank
            return False
        try:
            self.premiums += _AMOUNT(value)
        except ValueError:
            pass
        return False

    @staticmethod
    def _premium(raw: dict) -> Decimal | None:
        value = raw.get("premium")
        if is_blank(value):
            return None
        try:
            return _AMOUNT(value)
        except ValueError:
            return None


def _currency(value) -> str:
    text = parse_text(value).upper()
    aliases = {"MN": "MXN", "PESOS": "MXN", "$": "MXN", "DLLS": "USD", "US$": "USD",
               "RMB": "CNY", "元": "CNY", "人民币": "CNY", "€": "EUR"}  # fmt: skip
    text = aliases.get(text, text)
    if text not in Currency.values:
        raise RowProblem("currency_unknown", value=value)
    return text


# Read once per distinct cell value: dates, amounts, currencies and lines repeat row after row.
_DATE, _AMOUNT = memoised(parse_date), memoised(parse_amount)
_CURRENCY, _LINE = memoised(_currency), memoised(_line)


def _email(value) -> str:
    text = parse_text(value).lower()
    try:
        validate_email(text)
    except ValidationError as exc:
        raise RowProblem("email_invalid", value=text) from exc
    return text


def _vin(value) -> str:
    """A VIN, its check's error as a code (the letters I, O and Q have their own words)."""
    vin = normalize_vin(parse_text(value))
    try:
        validate_vin(vin)
    except ValidationError as exc:
        params = exc.params or {}
        code = exc.code
        if code == "vin_character" and params.get("char") in ("I", "O", "Q"):
            code = "vin_letter"
        raise RowProblem(code, **params) from exc
    return vin


def _year(value) -> int:
    if value.__class__ is int:  # a number cell: what the text below reads it as
        year = value
    elif value.__class__ is float and value.is_integer():
        year = int(value)
    else:
        year = int(Decimal(parse_text(value)))
    if not 1950 <= year <= timezone.now().year + 2:
        raise RowProblem("year_invalid", value=value)
    return year


_CORPORATE = re.compile(
    "|".join(map(re.escape, (" S.A.", " SA DE CV", " S. DE R.L.", " S.L.", "有限公司", "公司")))
)
_BEFORE_CJK = re.compile("[\\x00-\\u2e7f]")  # any character before the CJK blocks


def _split_name(name: str) -> tuple[str, str, str, str]:
    """(kind, first name, last name, legal name): companies by their legal suffix."""
    if _CORPORATE.search(name.upper()):
        return ClientKind.CORPORATE, "", "", name
    if not _BEFORE_CJK.search(name.replace(" ", "")):
        # A Chinese name: family name first, one character (two for the common compound ones).
        family = 2 if name[:2] in {"欧阳", "司马", "上官", "诸葛", "东方"} else 1
        return ClientKind.INDIVIDUAL, name[family:], name[:family], ""
    first, _sep, last = name.partition(" ")
    return ClientKind.INDIVIDUAL, first, last, ""


def _display_upper(name: str) -> str:
    return " ".join(name.split()).upper()


def names_of(name: str) -> tuple[str, str, str, str, str, str]:
    """A holder's name as a new client takes it: (the name as matched, upper case and spaces
    squeezed; kind; first name; last name; legal name; display name)."""
    kind, first, last, legal = _split_name(" ".join(name.split()))
    return (_display_upper(name), kind, first, last, legal,
            display_name_of(kind, first, last, legal))  # fmt: skip


CLIENT_VALUES = (
    "pk", "owner_id", "display_name", "national_id", "tax_id", "phone_raw", "email",
    "phone_as_written",
)  # fmt: skip


def _pg_array(values, sql_type: str = "text") -> str:
    """The values as the text of a PostgreSQL array (``{"a","b"}``, ``{1,2}``), for one
    parameter cast to the array's type (see ``text_array``)."""
    return text_array(values) if sql_type == "text" else id_array(values)


def _among(values, sql_type: str = "text") -> RawSQL:
    """``field__in=_among(values)``: the values as one array parameter (``IN (SELECT
    unnest(%s))``), not thousands of placeholders to build and parse per chunk."""
    return RawSQL(f"SELECT unnest(%s::{sql_type}[])", (_pg_array(values, sql_type),))  # noqa: S611


def _clients(**lookup) -> list[dict]:
    """Clients as plain values (the phone as stored: no phone parsing per row)."""
    return list(
        Client.objects.annotate(phone_raw=Cast("phone", CharField()))
        .filter(**lookup)
        .values(*CLIENT_VALUES)
    )


def _clients_by_id(field: str, keys: set[str]) -> dict[str, dict]:
    """Clients whose national or tax ID (``field``) has one of these normal forms, by it: the
    stored IDs compared in normal form through their expression index, however typed."""
    found = (
        Client.objects.annotate(
            phone_raw=Cast("phone", CharField()), id_key=id_key_expression(field)
        )
        .filter(id_key__in=_among(keys))
        .values(*CLIENT_VALUES, "id_key")
    )
    return {c.pop("id_key"): c for c in found}


# A new policy renews a running policy of the same client and line whose term ends this close
# to the new one's start (and covers the same vehicle, when both name one).
RENEWAL_GAP = timedelta(days=31)


def _holder_key(row: dict) -> tuple:
    """Who holds a new policy's row: the client's pk, or the new client's row (one per client
    in a chunk, shared by its rows)."""
    client = row["_client"]
    return ("pk", client["pk"]) if "pk" in client else ("new", id(client))


def _link_renewals(out: Outcome, records: dict[int, Record]) -> None:
    """The report shows a new term (a new policy number) of a policy we hold, or of another
    row of the same chunk (a report that lists both terms): the new policy renews it, and
    ``apply`` ends the renewal through policies.services.policy_renewed like every other
    renewal (which also sets ``previous_policy``). Two queries per chunk.

    A policy renews a running policy of the same client and line whose term ends within
    ``RENEWAL_GAP`` of its start (and covers the same vehicle, when both name one), the
    closest such; each old policy is renewed once."""
    rows = out.new_policies
    if not rows:
        return
    candidates: dict[tuple, list[dict]] = {}
    held = {p["holder_id"] for p in rows if p["holder_id"] is not None}
    if held:
        for old in Policy.objects.filter(
            holder_id__in=held,
            status__in=(PolicyStatus.ACTIVE, PolicyStatus.EXPIRED, PolicyStatus.LAPSED),
            renewals__isnull=True,
        ).values("pk", "holder_id", "line", "end_date"):
            candidates.setdefault((("pk", old["holder_id"]), old["line"]), []).append(old)
    vehicles: dict[int, set] = {}
    if candidates:
        for v in Vehicle.objects.filter(
            policy_id__in=[o["pk"] for olds in candidates.values() for o in olds]
        ).values("policy_id", "vin", "plate"):
            vehicles.setdefault(v["policy_id"], set()).update(
                x for x in (v["vin"], v["plate"]) if x
            )
    # The chunk's own rows are candidates too, where a client has several of one line: an
    # earlier term listed with the new one.
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        groups.setdefault((_holder_key(row), row["line"]), []).append(row)
    for key, members in groups.items():
        if len(members) > 1:
            candidates.setdefault(key, []).extend(
                {"pk": None, "row": row, "end_date": row["end_date"]} for row in members
            )
    if not candidates:
        return

    def names_of(record: Record) -> set:
        vehicle = record.vehicle or {}
        return {x for x in (vehicle.get("vin"), vehicle.get("plate")) if x}

    def covers(old: dict, names: set) -> bool:
        known = vehicles.get(old["pk"]) if old["pk"] else names_of(records[old["row"]["_row"]])
        return not names or not known or bool(names & known)

    def mark(old: dict) -> tuple:
        return ("pk", old["pk"]) if old["pk"] else ("row", id(old["row"]))

    taken: set[tuple] = set()
    for row in rows:
        olds = candidates.get((_holder_key(row), row["line"]))
        if not olds:
            continue
        names = names_of(records[row["_row"]])
        olds = [
            o for o in olds
            if mark(o) not in taken and o.get("row") is not row
            and (o["pk"] or o["row"]["start_date"] < row["start_date"])
            and abs(o["end_date"] - row["start_date"]) <= RENEWAL_GAP and covers(o, names)
        ]  # fmt: skip
        if not olds:
            continue
        old = min(olds, key=lambda o: abs(o["end_date"] - row["start_date"]))
        taken.add(mark(old))
        if old["pk"]:
            row["previous_policy_id"] = old["pk"]
        out.renewals.append((row, old["pk"] or old["row"]))


def classify(records: list[Record], insurer) -> Outcome:
    """What writing these rows would do, read in a fixed number of queries per chunk (plain
    values, no model instances)."""
    out = Outcome()
    policies = {
        p["number_key"]: p
        for p in Policy.objects.filter(
            insurer=insurer, number_key__in=_among(r.key for r in records)
        ).values("pk", "number", "number_key", "holder_id", "handout_on", *POLICY_COMPARED)
    }
    holders = {}
    if policies:
        holders = {
            c["pk"]: c
            for c in _clients(pk__in=_among({p["holder_id"] for p in policies.values()}, "bigint"))
        }
    vehicles: dict[int, list[dict]] = {}
    for v in Vehicle.objects.filter(
        policy_id__in=_among((p["pk"] for p in policies.values()), "bigint")
    ).values("pk", "policy_id", *VEHICLE_COMPARED):
        vehicles.setdefault(v["policy_id"], []).append(v)
    ids = {r.client["national_id"] for r in records if r.client["national_id"]}
    taxes = {r.client["tax_id"] for r in records if r.client["tax_id"]}
    phones = {r.client["phone"] for r in records if r.client["phone"]}
    by_id = _clients_by_id("national_id", ids) if ids else {}
    by_tax = _clients_by_id("tax_id", taxes) if taxes else {}
    by_phone = {}
    if phones:
        for c in _clients(phone_raw__in=_among(phones)):
            by_phone[(c["phone_raw"], _display_upper(c["display_name"]))] = c
    pending: dict[tuple, dict] = {}
    agents = _active_agent_ids({r.client.get("agent_id") for r in records})

    for record in records:
        verdict = "unchanged"
        existing = policies.get(record.key)
        if existing is not None:
            holder = holders[existing["holder_id"]]
        else:
            holder = _find_client(
                record.client, record.names or names_of(record.client["name"]),
                by_id, by_tax, by_phone, pending, out,
            )  # fmt: skip
        if "pk" in holder:
            fills = _fill_blanks(holder, record.client)
            if fills:
                out.client_updates.setdefault(holder["pk"], {}).update(fills)
                verdict = "updated"
        if _assign_owner(out, holder, record.client.get("agent_id"), agents):
            verdict = "updated"
        if existing is None:
            policy = {
                "insurer_id": insurer.pk, "status": PolicyStatus.ACTIVE,
                "number_key": record.key, **record.policy,
                "holder_id": holder.get("pk"), "agent_id": holder.get("owner_id"),
                "_client": holder, "_row": record.row,
            }  # fmt: skip
            out.new_policies.append(policy)
            if record.vehicle:
                out.new_vehicles.append(
                    {**_vehicle_fields(record.vehicle, policy["start_date"]), "_policy": policy}
                )
            out.verdicts[record.row] = "new"
            continue
        changed = {}
        for name in POLICY_COMPARED:
            new_value = record.policy[name]
            if name == "coverage" and not new_value:
                continue
            if existing[name] != new_value:
                changed[name] = [json_value(existing[name]), json_value(new_value)]
        handout = record.policy.get("handout_on")
        if handout and existing["handout_on"] != handout:  # a blank cell keeps the date
            changed["handout_on"] = [json_value(existing["handout_on"]), json_value(handout)]
        if changed:
            out.policy_updates[existing["pk"]] = {k: record.policy[k] for k in changed}
            out.changes[existing["number"]] = changed
            verdict = "updated"
        if record.vehicle and _match_vehicle(out, existing, vehicles.get(existing["pk"], []),
                                             record):  # fmt: skip
            verdict = "updated"
        out.verdicts[record.row] = verdict
    _link_renewals(out, {r.row: r for r in records})
    return out


def _vehicle_fields(data: dict, start: date) -> dict:
    """A report without the model year gives the policy's start year (staff can correct it)."""
    return {
        "vin": data["vin"], "plate": data["plate"], "make": data["make"] or "—",
        "model": data["model"] or "—", "year": data["year"] or start.year,
    }  # fmt: skip


def _match_vehicle(out: Outcome, policy: dict, existing: list[dict], record: Record) -> bool:
    data = record.vehicle
    match = None
    if data["vin"]:
        match = next((v for v in existing if v["vin"] == data["vin"]), None)
    if match is None and data["plate"]:
        match = next((v for v in existing if v["plate"] == data["plate"]), None)
    if match is None:
        out.new_vehicles.append(
            {**_vehicle_fields(data, policy["start_date"]), "policy_id": policy["pk"]}
        )
        return True
    changed = {
        name: data[name]
        for name in VEHICLE_COMPARED
        if data.get(name) not in (None, "") and match[name] != data[name]
    }
    if changed:
        out.vehicle_updates[match["pk"]] = changed
    return bool(changed)


def _find_client(data: dict, names: tuple, by_id, by_tax, by_phone, pending, out: Outcome) -> dict:
    name_key, kind, first, last, legal, display = names
    for key, table in (
        (data["national_id"], by_id),
        (data["tax_id"], by_tax),
        ((data["phone"], name_key) if data["phone"] else None, by_phone),
    ):
        if key and key in table:
            return table[key]
    pending_key = (
        ("id", data["national_id"]) if data["national_id"]
        else ("tax", data["tax_id"]) if data["tax_id"]
        else ("phone", data["phone"], name_key) if data["phone"]
        else ("name", name_key)
    )  # fmt: skip
    if pending_key in pending:
        return pending[pending_key]
    row = {
        "kind": kind, "first_name": first, "last_name": last, "legal_name": legal,
        "display_name": display,
        "national_id": data["national_id"],
        "tax_id": data["tax_id"], "phone": data["phone"], "email": data["email"],
        "status": ClientStatus.ACTIVE, "owner_id": None,
        # The language of the insurer's clients (ReadContext); else the clients' default.
        **({"language": data["language"]} if data.get("language") else {}),
        "phone_as_written": data.get("phone_as_written", ""),
        # A number that does not read: the client is on the maintainers' list of contacts to fix.
        "contact_inaccurate": bool(data.get("phone_as_written") and not data["phone"]),
    }  # fmt: skip
    pending[pending_key] = row
    out.new_clients.append(row)
    return row


def _fill_blanks(client: dict, data: dict) -> dict:
    """A report fills what the client file lacks; it never overwrites what staff entered."""
    stored = {**client, "phone": client.get("phone_raw") or ""}
    fills = {}
    for name in ("national_id", "tax_id", "phone", "email"):
        if data[name] and not stored.get(name):
            fills[name] = data[name]
            client["phone_raw" if name == "phone" else name] = data[name]
    written = data.get("phone_as_written")
    if written and not stored["phone"] and not stored.get("phone_as_written"):
        fills["phone_as_written"] = client["phone_as_written"] = written
        fills["contact_inaccurate"] = True
    return fills


def _end_renewals(out: Outcome, *, by) -> None:
    """Each renewal the report shows ends as every renewal does (policy_renewed: the old
    policy renewed, its case won, its touches closed, points and timeline)."""
    if not out.renewals:
        return
    pairs = [(row["id"], old if isinstance(old, int) else old["id"]) for row, old in out.renewals]
    news = Policy.objects.select_related("insurer").in_bulk([new for new, _old in pairs])
    olds = Policy.objects.select_related("insurer", "holder").in_bulk([old for _new, old in pairs])
    for new, old in pairs:
        policy_renewed(old=olds[old], new=news[new], by=by)


def followed(out: Outcome) -> list[int]:
    """The policies a written chunk brought or changed, for ``follow``."""
    return [row["id"] for row in out.new_policies] + list(out.policy_updates)


def follow(policy_ids: list[int]) -> None:
    """What follows policies once written (their renewal cases and touches, their
    instalments), for a committed chunk's policies while the next chunks are written; the
    renewals task queued by the commit's end does it again for all of them, complete.

    Then the chunk's new names are merged from the trigram index's pending list into the
    index (the chunks leave them there, ``services._lock``): here, beside, a chunk at a time,
    not all at the end of the import, where the 100,000 names of a report took the importing
    connection a quarter of a second with the rest waiting; and searches made while a report
    is imported do not read a pending list of hundreds of thousands of entries row by row."""
    from renewals.tasks import renewals_follow_imported

    from .services import _merge_pending_index_entries

    renewals_follow_imported(policy_ids)
    _merge_pending_index_entries()


def apply(out: Outcome, *, by) -> None:
    """Write a classified chunk: COPY inserts with their history rows, and the few updates
    through the ORM with history.

    The earlier chunks' policies are being followed up meanwhile (``follow``): a chunk that
    renews or reassigns policies takes the followers' lock first, so that it waits for any
    follow-up under way and then sees its cases, touches and instalments (see
    policies.services.policy_followers_lock)."""
    if out.renewals or out.owners:
        policy_followers_lock(shared=False)
    now = timezone.now()
    for row in out.new_clients:
        row["created_by_id"] = by.pk if by else None
        row["created_at"] = now
    insert_with_history(Client, out.new_clients, now=now, by=by, reason="imported")
    for policy in out.new_policies:
        client = policy.pop("_client")
        policy["holder_id"] = client["pk"] if "pk" in client else client["id"]
        policy["agent_id"] = client.get("owner_id")
        policy["created_at"] = now
    insert_with_history(Policy, out.new_policies, now=now, by=by, reason="imported")
    for vehicle in out.new_vehicles:
        if "_policy" in vehicle:
            vehicle["policy_id"] = vehicle.pop("_policy")["id"]
    insert_with_history(Vehicle, out.new_vehicles, now=now, by=by, reason="imported")
    _end_renewals(out, by=by)
    for updates, model in (
        (out.client_updates, Client),
        (out.policy_updates, Policy),
        (out.vehicle_updates, Vehicle),
    ):
        if not updates:
            continue
        objects = list(model.objects.filter(pk__in=list(updates)))
        fields = sorted({f for changes in updates.values() for f in changes})
        for obj in objects:
            for name, value in updates[obj.pk].items():
                setattr(obj, name, value)
        if hasattr(model, "updated_at"):
            for obj in objects:
                obj.updated_at = now
            fields.append("updated_at")
        bulk_update_with_history(objects, model, fields, batch_size=500, default_user=by,
                                 default_change_reason="imported")  # fmt: skip
    if out.owners:
        # The clients the report's agent column names change owner as on any reassignment:
        # with history, and their running policies and open work follow.
        clients_give_owner(owners=out.owners, by=by, reason="imported: agent column")


# -- the agent column (seed 001: the maintainer fills in the salesperson before importing) --


class AgentDirectory:
    """The active agents by user name, e-mail and full name ("Ana López", "López Ana",
    "王伟"), case and spacing ignored: read in one query the first time a report names one."""

    def __init__(self):
        self._keys: dict[str, set[int]] | None = None

    @staticmethod
    def key(text: str) -> str:
        return " ".join(str(text).split()).casefold()

    def _load(self) -> dict[str, set[int]]:
        keys: dict[str, set[int]] = {}
        for pk, username, email, first, last in User.objects.active_agents().values_list(
            "pk", "username", "email", "first_name", "last_name"
        ):
            names = {username, email, f"{first} {last}", f"{last} {first}", f"{last}{first}"}
            for name in filter(None, map(self.key, names)):
                keys.setdefault(name, set()).add(pk)
        return keys

    def find(self, name: str) -> tuple[int | None, str]:
        """(agent id, "") or (None, the warning's code)."""
        if self._keys is None:
            self._keys = self._load()
        found = self._keys.get(self.key(name), set())
        if len(found) == 1:
            return next(iter(found)), ""
        return None, "agent_ambiguous" if found else "agent_unknown"


# One directory per read of a report (its ReadContext), dropped with it.
_DIRECTORIES: dict[int, AgentDirectory] = {}


def _agents_of(context: ReadContext) -> AgentDirectory:
    key = id(context)
    if key not in _DIRECTORIES:
        _DIRECTORIES[key] = AgentDirectory()
        weakref.finalize(context, _DIRECTORIES.pop, key, None)
    return _DIRECTORIES[key]


def prepare_read(context: ReadContext, columns: dict) -> None:
    """Read what parsing the rows needs from the database before they are parsed (possibly in
    a parser process that touches no database): the agents, when the report names them."""
    directory = _agents_of(context)
    if columns.get("agent") and directory._keys is None:
        directory._keys = directory._load()


def _active_agent_ids(ids) -> set[int]:
    """Of the agents the rows name, those still active (one query; the rows may have been
    read by a dry run some time before the commit)."""
    ids = {pk for pk in ids if pk is not None}
    if not ids:
        return set()
    return set(User.objects.active_agents().filter(pk__in=ids).values_list("pk", flat=True))


def _assign_owner(out: Outcome, holder: dict, agent_id: int | None, agents: set[int]) -> bool:
    """The row's agent owns its client: a new client is created with it, a known client with
    another owner (or none) changes owner in ``apply``. True when a known client changes."""
    if agent_id not in agents or holder.get("owner_id") == agent_id:
        return False
    holder["owner_id"] = agent_id
    if "pk" not in holder:
        return False
    out.owners[holder["pk"]] = agent_id
    return True
