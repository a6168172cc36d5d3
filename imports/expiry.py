"""What an expiry report's rows mean: policies matched on insurer and policy number, their
holders on national or tax ID (else phone and name), vehicles on VIN (else plate).

``classify`` reads what exists for a chunk of rows in a fixed number of queries and says, for
each row, whether it is new, changes something (field by field) or changes nothing. ``apply``
writes a classified chunk with bulk statements and history. The engine calls ``classify``
alone for the dry run, and ``classify`` then ``apply`` under a lock for the commit, so the
commit does what the dry run showed.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from clients.models import Client, ClientKind, ClientStatus
from clients.search import compact
from policies.models import Currency, Line, Policy, PolicyStatus, Vehicle
from policies.validators import normalize_vin, validate_vin

from .parsing import is_blank, parse_amount, parse_date, parse_phone, parse_text

LINE_WORDS = {
    Line.AUTO: ("auto", "autos", "car", "motor", "vehicle", "automóvil", "automovil", "车险",
                "机动车", "vehículo", "vehiculo"),
    Line.HEALTH: ("health", "salud", "gastos médicos", "gastos medicos", "gmm", "健康险", "医疗"),
    Line.LIFE: ("life", "vida", "寿险", "人寿"),
    Line.PROPERTY: ("property", "home", "hogar", "daños", "danos", "casa", "财产险", "家财"),
}  # fmt: skip
POLICY_COMPARED = ("start_date", "end_date", "premium", "currency", "line", "coverage")
VEHICLE_COMPARED = ("make", "model", "year", "plate", "vin")


@dataclass
class Issue:
    row: int
    column: str
    value: str
    reason: str


@dataclass
class Record:
    row: int
    key: str
    policy: dict
    client: dict
    vehicle: dict | None


@dataclass
class Outcome:
    """What a chunk does: rows by verdict and the objects to write."""

    verdicts: dict[int, str] = field(default_factory=dict)  # row → new/updated/unchanged
    changes: dict[str, dict] = field(default_factory=dict)  # policy number → {field: [a, b]}
    new_clients: list = field(default_factory=list)
    new_policies: list = field(default_factory=list)  # (Policy, client placeholder)
    new_vehicles: list = field(default_factory=list)  # (Vehicle, policy placeholder)
    changed_clients: dict = field(default_factory=dict)  # pk → (Client, fields)
    changed_policies: dict = field(default_factory=dict)
    changed_vehicles: dict = field(default_factory=dict)


def _line(text: str) -> str:
    lowered = text.strip().lower()
    for line, words in LINE_WORDS.items():
        if lowered in words or lowered == line:
            return line
    raise ValueError(_("Unknown line of business: %(value)s.") % {"value": text})


def parse_row(row: int, raw: dict, headers: dict) -> tuple[Record | None, list[Issue]]:
    """One report row into a record, or the list of what is wrong with it."""
    issues: list[Issue] = []
    values: dict = {}

    def take(name, parser, required=False):
        value = raw.get(name)
        if is_blank(value):
            if required:
                issues.append(Issue(row, headers.get(name, name), "", _("This value is missing.")))
            return None
        try:
            values[name] = parser(value)
        except (ValueError, ValidationError) as exc:
            reason = exc.messages[0] if isinstance(exc, ValidationError) else str(exc)
            issues.append(Issue(row, headers.get(name, name), parse_text(value)[:255], reason))
        return values.get(name)

    number = take("policy_number", parse_text, required=True)
    take("holder_name", parse_text, required=True)
    end = take("end_date", parse_date, required=True)
    start = take("start_date", parse_date)
    take("premium", parse_amount, required=True)
    take("currency", _currency)
    take("line", _line)
    take("coverage", parse_text)
    take("national_id", lambda v: parse_text(v).upper().replace(" ", ""))
    take("tax_id", lambda v: parse_text(v).upper().replace(" ", ""))
    take("phone", parse_phone)
    take("email", _email)
    take("vin", _vin)
    take("plate", lambda v: parse_text(v).upper().replace(" ", "").replace("-", ""))
    take("make", parse_text)
    take("model", parse_text)
    take("year", _year)
    if end and start and end <= start:
        issues.append(
            Issue(row, headers.get("end_date", "end_date"), end.isoformat(),
                  _("The end date must be after the start date."))
        )  # fmt: skip
    if issues:
        return None, issues
    number = " ".join(number.split()).upper()
    start = start or (end - relativedelta(years=1))
    has_vehicle = bool(values.get("vin") or values.get("plate"))
    line = values.get("line") or (Line.AUTO if has_vehicle else Line.OTHER)
    policy = {
        "number": number, "start_date": start, "end_date": end, "premium": values["premium"],
        "currency": values.get("currency") or Currency.MXN, "line": line,
        "coverage": values.get("coverage") or "",
    }  # fmt: skip
    client = {
        "name": values["holder_name"], "national_id": values.get("national_id", ""),
        "tax_id": values.get("tax_id", ""), "phone": values.get("phone", ""),
        "email": values.get("email", ""),
    }  # fmt: skip
    vehicle = None
    if has_vehicle:
        vehicle = {
            "vin": values.get("vin", ""), "plate": values.get("plate", ""),
            "make": values.get("make", ""), "model": values.get("model", ""),
            "year": values.get("year"),
        }  # fmt: skip
    return Record(row, compact(number), policy, client, vehicle), []


def _currency(value) -> str:
    text = parse_text(value).upper()
    aliases = {"MN": "MXN", "PESOS": "MXN", "$": "MXN", "DLLS": "USD", "US$": "USD"}
    text = aliases.get(text, text)
    if text not in Currency.values:
        raise ValueError(_("Unknown currency: %(value)s.") % {"value": value})
    return text


def _email(value) -> str:
    text = parse_text(value).lower()
    validate_email(text)
    return text


def _vin(value) -> str:
    vin = normalize_vin(parse_text(value))
    validate_vin(vin)
    return vin


def _year(value) -> int:
    year = int(Decimal(parse_text(value)))
    if not 1950 <= year <= timezone.localdate().year + 2:
        raise ValueError(_("Not a vehicle year: %(value)s.") % {"value": value})
    return year


def _split_name(name: str) -> tuple[str, str, str, str]:
    """(kind, first name, last name, legal name): companies by their legal suffix."""
    upper = name.upper()
    corporate = any(
        word in upper for word in (" S.A.", " SA DE CV", " S. DE R.L.", " S.L.", "有限公司", "公司")
    )
    if corporate:
        return ClientKind.CORPORATE, "", "", name
    if all(ord(ch) > 0x2E7F for ch in name.replace(" ", "")):
        # A Chinese name: family name first, one character (two for the common compound ones).
        family = 2 if name[:2] in {"欧阳", "司马", "上官", "诸葛", "东方"} else 1
        return ClientKind.INDIVIDUAL, name[family:], name[:family], ""
    first, _sep, last = name.partition(" ")
    return ClientKind.INDIVIDUAL, first, last, ""


def _display_upper(name: str) -> str:
    return " ".join(name.split()).upper()


def classify(records: list[Record], insurer) -> Outcome:
    """What writing these rows would do, read in a fixed number of queries per chunk."""
    out = Outcome()
    policies = {
        p.number_key: p
        for p in Policy.objects.filter(
            insurer=insurer, number_key__in=[r.key for r in records]
        ).select_related("holder")
    }
    vehicles: dict[int, list[Vehicle]] = {}
    for v in Vehicle.objects.filter(policy__in=list(policies.values())):
        vehicles.setdefault(v.policy_id, []).append(v)
    ids = {r.client["national_id"] for r in records if r.client["national_id"]}
    taxes = {r.client["tax_id"] for r in records if r.client["tax_id"]}
    phones = {r.client["phone"] for r in records if r.client["phone"]}
    by_id, by_tax, by_phone = {}, {}, {}
    if ids:
        by_id = {c.national_id: c for c in Client.objects.filter(national_id__in=ids)}
    if taxes:
        by_tax = {c.tax_id: c for c in Client.objects.filter(tax_id__in=taxes)}
    if phones:
        for c in Client.objects.filter(phone__in=phones):
            by_phone[(c.phone.as_e164, _display_upper(c.display_name))] = c
    pending: dict[tuple, Client] = {}

    for record in records:
        verdict = "unchanged"
        existing = policies.get(record.key)
        if existing is not None:
            holder = existing.holder
        else:
            holder = _find_client(record.client, by_id, by_tax, by_phone, pending)
        client_fields = _fill_blanks(holder, record.client) if holder.pk else []
        if client_fields:
            out.changed_clients[holder.pk] = (holder, client_fields)
            verdict = "updated"
        if existing is None:
            policy = Policy(
                insurer=insurer, holder=holder, agent_id=holder.owner_id,
                status=PolicyStatus.ACTIVE, number_key=record.key, **record.policy,
            )  # fmt: skip
            out.new_policies.append(policy)
            if record.vehicle:
                fields = _vehicle_fields(record.vehicle, policy.start_date)
                out.new_vehicles.append((Vehicle(**fields), policy))
            out.verdicts[record.row] = "new"
            continue
        changed = {}
        for name in POLICY_COMPARED:
            new_value = record.policy[name]
            if name == "coverage" and not new_value:
                continue
            if getattr(existing, name) != new_value:
                changed[name] = [_plain(getattr(existing, name)), _plain(new_value)]
                setattr(existing, name, new_value)
        if changed:
            out.changed_policies[existing.pk] = (existing, list(changed))
            out.changes[existing.number] = changed
            verdict = "updated"
        if record.vehicle:
            vehicle_verdict = _match_vehicle(out, existing, vehicles.get(existing.pk, []), record)
            if vehicle_verdict:
                verdict = "updated"
        out.verdicts[record.row] = verdict
    return out


def _plain(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _vehicle_fields(data: dict, start: date) -> dict:
    """A report without the model year gives the policy's start year (staff can correct it)."""
    return {
        "vin": data["vin"], "plate": data["plate"], "make": data["make"] or "—",
        "model": data["model"] or "—", "year": data["year"] or start.year,
    }  # fmt: skip


def _match_vehicle(out: Outcome, policy, existing: list, record: Record) -> bool:
    data = record.vehicle
    match = None
    if data["vin"]:
        match = next((v for v in existing if v.vin == data["vin"]), None)
    if match is None and data["plate"]:
        match = next((v for v in existing if v.plate == data["plate"]), None)
    if match is None:
        out.new_vehicles.append((Vehicle(**_vehicle_fields(data, policy.start_date)), policy))
        return True
    changed = [
        name
        for name in VEHICLE_COMPARED
        if data.get(name) not in (None, "") and getattr(match, name) != data[name]
    ]
    for name in changed:
        setattr(match, name, data[name])
    if changed:
        out.changed_vehicles[match.pk] = (match, changed)
    return bool(changed)


def _find_client(data: dict, by_id, by_tax, by_phone, pending) -> Client:
    name_key = _display_upper(data["name"])
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
    kind, first, last, legal = _split_name(" ".join(data["name"].split()))
    client = Client(
        kind=kind, first_name=first, last_name=last, legal_name=legal,
        national_id=data["national_id"], tax_id=data["tax_id"], phone=data["phone"],
        email=data["email"], status=ClientStatus.ACTIVE, owner=None,
    )  # fmt: skip
    client.display_name = client.compute_display_name()
    pending[pending_key] = client
    return client


def _fill_blanks(client: Client, data: dict) -> list[str]:
    """A report fills what the client file lacks; it never overwrites what staff entered."""
    changed = []
    for name in ("national_id", "tax_id", "phone", "email"):
        if data[name] and not str(getattr(client, name) or ""):
            setattr(client, name, data[name])
            changed.append(name)
    return changed


def apply(out: Outcome, *, by) -> None:
    """Write a classified chunk: bulk inserts and updates, each with its history."""
    now = timezone.now()
    new_clients = []
    seen = set()
    for policy in out.new_policies:
        if policy.holder.pk is None and id(policy.holder) not in seen:
            seen.add(id(policy.holder))
            new_clients.append(policy.holder)
    for client in new_clients:
        client.created_by = by
        client.created_at = now
        client.updated_at = now
    if new_clients:
        bulk_create_with_history(new_clients, Client, batch_size=1000, default_user=by,
                                 default_change_reason="imported")  # fmt: skip
    for policy in out.new_policies:
        policy.holder = policy.holder  # refresh holder_id from the saved client
        policy.created_at = now
        policy.updated_at = now
    if out.new_policies:
        bulk_create_with_history(out.new_policies, Policy, batch_size=1000, default_user=by,
                                 default_change_reason="imported")  # fmt: skip
    for vehicle, policy in out.new_vehicles:
        vehicle.policy = policy
    if out.new_vehicles:
        bulk_create_with_history([v for v, _p in out.new_vehicles], Vehicle, batch_size=1000,
                                 default_user=by, default_change_reason="imported")  # fmt: skip
    for changed, model in (
        (out.changed_clients, Client),
        (out.changed_policies, Policy),
        (out.changed_vehicles, Vehicle),
    ):
        if not changed:
            continue
        objects = [obj for obj, _fields in changed.values()]
        fields = sorted({f for _obj, names in changed.values() for f in names})
        if hasattr(model, "updated_at"):
            for obj in objects:
                obj.updated_at = now
            fields.append("updated_at")
        bulk_update_with_history(objects, model, fields, batch_size=500, default_user=by,
                                 default_change_reason="imported")  # fmt: skip
