"""The fields an expiry report can fill, with the header names insurers use for them in
English, Spanish and Chinese. A mapping is {field: the file's header}; Cartera suggests one by
matching headers against these names."""

import re
import unicodedata
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: str  # text, date, amount, phone, email, int
    required: bool = False
    synonyms: tuple[str, ...] = ()


EXPIRY_FIELDS = [
    Field("policy_number", _("Policy number"), "text", True, (
        "policy no", "policy number", "policy", "policy #", "no. de póliza", "no de poliza",
        "número de póliza", "numero de poliza", "póliza", "poliza", "num poliza", "保单号",
        "保单号码", "保险单号",
    )),
    Field("end_date", _("End date"), "date", True, (
        "end date", "expiry", "expiry date", "expiration", "expiration date", "valid until",
        "fin de vigencia", "vigencia hasta", "fecha de vencimiento", "vencimiento", "hasta",
        "fin vigencia", "到期日", "到期日期", "保险止期", "终保日期", "保险到期日",
    )),
    Field("start_date", _("Start date"), "date", False, (
        "start date", "inception", "effective date", "inicio de vigencia", "vigencia desde",
        "inicio vigencia", "desde", "fecha de inicio", "起保日期", "保险起期", "生效日期",
    )),
    Field("premium", _("Premium"), "amount", True, (
        "premium", "total premium", "prima", "prima total", "prima neta", "importe",
        "保费", "总保费", "保险费",
    )),
    Field("currency", _("Currency"), "text", False, ("currency", "moneda", "divisa", "币种")),
    Field("line", _("Line of business"), "text", False, (
        "line", "line of business", "product", "ramo", "producto", "险种", "险类",
    )),
    Field("coverage", _("Coverage"), "text", False, (
        "coverage", "cover", "plan", "cobertura", "paquete", "承保险别", "保障", "险别",
    )),
    Field("holder_name", _("Holder's name"), "text", True, (
        "insured", "insured name", "policyholder", "holder", "client", "customer", "name",
        "asegurado", "nombre del asegurado", "contratante", "cliente", "nombre",
        "被保险人", "投保人", "客户名称", "客户姓名", "姓名",
    )),
    Field("national_id", _("National ID"), "text", False, (
        "national id", "id number", "id no", "curp", "dni", "nie", "cédula", "cedula",
        "身份证号", "身份证号码", "证件号码",
    )),
    Field("tax_id", _("Tax ID"), "text", False, (
        "tax id", "rfc", "nif", "cif", "vat", "统一社会信用代码", "税号", "纳税人识别号",
    )),
    Field("phone", _("Phone"), "phone", False, (
        "phone", "telephone", "mobile", "cell", "teléfono", "telefono", "celular", "móvil",
        "movil", "tel", "电话", "手机", "联系电话", "手机号",
    )),
    Field("email", _("E-mail"), "email", False, (
        "email", "e-mail", "mail", "correo", "correo electrónico", "correo electronico",
        "电子邮件", "邮箱",
    )),
    Field("vin", _("VIN"), "text", False, (
        "vin", "serial", "serial number", "chassis", "número de serie", "numero de serie",
        "serie", "niv", "车架号", "车辆识别代号", "vin码",
    )),
    Field("plate", _("Plate"), "text", False, (
        "plate", "licence plate", "license plate", "placa", "placas", "matrícula",
        "matricula", "车牌号", "车牌", "号牌号码",
    )),
    Field("make", _("Make"), "text", False, ("make", "brand", "marca", "品牌", "厂牌")),
    Field("model", _("Model"), "text", False, ("model", "modelo", "versión", "车型", "型号")),
    Field("year", _("Year"), "int", False, (
        "year", "model year", "año", "ano", "año modelo", "年款", "车辆年份",
    )),
    # Filled in by the maintainer before importing (seed 001): who works the policy, and from
    # when. Insurers' own staff columns (经办人, "Ejecutivo") are not these.
    Field("agent", _("Sales agent"), "text", False, (
        "agent", "sales agent", "salesperson", "assigned to", "agente", "vendedor",
        "asesor", "asignado a", "业务员", "销售员", "跟进人", "分配给",
    )),
    Field("handout_date", _("Hand-out date"), "date", False, (
        "hand-out date", "handout date", "assigned on", "assignment date",
        "fecha de asignación", "fecha de asignacion", "asignado el", "分配日期", "下发日期",
    )),
]  # fmt: skip

FIELDS_BY_KIND = {"expiry": EXPIRY_FIELDS}


def normalise_header(text) -> str:
    """Lower case, accents off, punctuation and spaces squeezed: "No. de Póliza" → "no de
    poliza"."""
    text = unicodedata.normalize("NFKD", str(text or "")).encode("ascii", "ignore").decode()
    original = str(text or "")
    if not text.strip():
        # Chinese headers have no ASCII form: keep them as typed, without spaces.
        return re.sub(r"\s+", "", original)
    return " ".join(re.sub(r"[^a-z0-9#]+", " ", text.lower()).split())


def _normalised_synonyms(fields):
    table = {}
    for f in fields:
        for synonym in (f.name, str(f.label), *f.synonyms):
            key = normalise_header(synonym) or re.sub(r"\s+", "", synonym)
            table.setdefault(key, f.name)
    return table


def suggest_mapping(headers, kind: str = "expiry") -> dict[str, str]:
    """{field: header} for the headers that name a field (first match wins)."""
    table = _normalised_synonyms(FIELDS_BY_KIND[kind])
    mapping: dict[str, str] = {}
    for header in headers:
        key = normalise_header(header) or re.sub(r"\s+", "", str(header or ""))
        name = table.get(key)
        if name and name not in mapping:
            mapping[name] = str(header)
    return mapping


def header_score(row, kind: str = "expiry") -> int:
    return len(suggest_mapping([c for c in row if c not in (None, "")], kind))
