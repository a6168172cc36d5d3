"""The fields an expiry report can fill, with the header names insurers use for them in
English, Spanish and Chinese. A mapping is {field: the file's header}; Cartera suggests one by
matching headers against these names.

Headers come as insurers write them: ``保险费（人民币）``, ``Prima neta (MXN)``, ``Fecha de\\n
término``, ``Núm. de póliza:``. A header is first normalised (``normalise_header``: units and
notes in brackets, punctuation, case, accents and full-width forms off), then compared with
every known name: an exact normalised name scores 100, else the best fuzzy score
(``_score``). Each header fills at most one field and each field takes at most one header,
the best-scoring pairs first. A column that names two fields at once (``品牌车型``, "Marca y
submarca") fills both make and model; ``imports.vehicles.split_make_model`` splits its cells.
"""

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from django.utils import translation
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from rapidfuzz import fuzz, process


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
        "número de póliza", "numero de poliza", "póliza", "poliza", "num poliza", "póliza no",
        "no póliza", "folio de póliza", "保单号", "保单号码", "保险单号", "保险单号码", "保单编号",
    )),
    Field("end_date", _("End date"), "date", True, (
        "end date", "expiry", "expiry date", "expiration", "expiration date", "valid until",
        "renewal date", "end of cover", "fin de vigencia", "vigencia hasta",
        "fecha de vencimiento", "vencimiento", "hasta", "fin vigencia", "fecha fin", "fecha de fin",
        "fecha fin de vigencia",
        "fecha de término", "término de vigencia", "fecha de término de vigencia", "fin",
        "vigencia fin", "fecha de expiración", "到期日", "到期日期", "到期时间", "保险止期",
        "终保日期", "终保时间", "保险到期日", "保险终止日期", "保单到期日", "止保日期",
    )),
    Field("start_date", _("Start date"), "date", False, (
        "start date", "inception", "inception date", "effective date", "inicio de vigencia",
        "vigencia desde", "inicio vigencia", "desde", "fecha de inicio", "fecha inicio",
        "fecha de inicio de vigencia", "vigencia inicio", "起保日期", "起保时间", "保险起期",
        "生效日期", "保险起始日期",
    )),
    Field("premium", _("Premium"), "amount", True, (
        "premium", "total premium", "net premium", "gross premium", "premium amount", "prima",
        "prima total", "prima neta", "prima emitida", "importe", "保费", "总保费", "保险费",
        "保费合计", "签单保费", "应收保费",
    )),
    Field("currency", _("Currency"), "text", False, (
        "currency", "moneda", "tipo de moneda", "divisa", "币种", "货币",
    )),
    Field("line", _("Line of business"), "text", False, (
        "line", "line of business", "product", "insurance type", "ramo", "producto",
        "tipo de seguro", "险种", "险类", "险种名称",
    )),
    Field("coverage", _("Coverage"), "text", False, (
        "coverage", "cover", "plan", "cobertura", "tipo de cobertura", "paquete", "承保险别",
        "保障", "险别",
    )),
    Field("holder_name", _("Holder's name"), "text", True, (
        "insured", "insured name", "insured's name", "policyholder", "policy holder", "holder",
        "client", "client name", "customer", "customer name", "name", "asegurado",
        "nombre del asegurado", "contratante", "nombre del contratante", "cliente",
        "nombre del cliente", "nombre", "被保险人", "投保人", "客户名称", "客户姓名", "姓名",
        "车主", "车主姓名", "被保险人名称", "投保人名称",
    )),
    Field("national_id", _("National ID"), "text", False, (
        "national id", "id number", "id no", "curp", "dni", "nie", "cédula", "cedula",
        "身份证号", "身份证号码", "证件号码",
    )),
    Field("tax_id", _("Tax ID"), "text", False, (
        "tax id", "rfc", "nif", "cif", "vat", "vat number", "统一社会信用代码", "税号",
        "纳税人识别号",
    )),
    Field("phone", _("Phone"), "phone", False, (
        "phone", "phone number", "telephone", "mobile", "mobile phone", "cell", "cell phone",
        "teléfono", "telefono", "número de teléfono", "teléfono celular", "teléfono móvil",
        "celular", "móvil", "movil", "tel", "电话", "手机", "联系电话", "手机号", "手机号码",
        "联系方式", "移动电话",
    )),
    Field("email", _("E-mail"), "email", False, (
        "email", "e-mail", "email address", "mail", "correo", "correo electrónico",
        "correo electronico", "correo-e", "电子邮件", "邮箱", "电子邮箱",
    )),
    Field("vin", _("VIN"), "text", False, (
        "vin", "vin number", "serial", "serial number", "chassis", "chassis number",
        "número de serie", "numero de serie", "no de serie", "serie", "niv", "车架号",
        "车架号码", "车辆识别代号", "车辆识别号", "vin码",
    )),
    Field("plate", _("Plate"), "text", False, (
        "plate", "plate number", "licence plate", "license plate", "registration", "placa",
        "placas", "número de placa", "número de placas", "matrícula", "matricula", "车牌号",
        "车牌号码", "车牌", "号牌号码", "号牌",
    )),
    Field("make", _("Make"), "text", False, (
        "make", "brand", "manufacturer", "marca", "marca del vehículo", "品牌", "厂牌",
    )),
    Field("model", _("Model"), "text", False, (
        "model", "modelo", "versión", "submarca", "sub marca", "车型", "型号", "车型名称",
        "车辆型号",
    )),
    Field("year", _("Year"), "int", False, (
        "year", "model year", "año", "ano", "año modelo", "año del vehículo", "年款",
        "车辆年份", "车辆年款", "出厂年份",
    )),
    # Filled in by the maintainer before importing (seed 001): who works the policy, and from
    # when. Insurers' own staff columns (经办人, "Ejecutivo") are not these: see OTHER_COLUMNS.
    Field("agent", _("Sales agent"), "text", False, (
        "agent", "sales agent", "salesperson", "assigned to", "agente", "nombre del agente",
        "vendedor", "asesor", "asignado a", "业务员", "销售员", "跟进人", "分配给",
    )),
    Field("handout_date", _("Hand-out date"), "date", False, (
        "hand-out date", "handout date", "assigned on", "assignment date",
        "fecha de asignación", "fecha de asignacion", "asignado el", "分配日期", "下发日期",
    )),
]  # fmt: skip

# An insurer's collection (paid/unpaid) report: one row per instalment of a policy, found by
# its number ("Recibo 2/4", "第2期") or its due date; a row says the instalment was paid (how
# much, when, the insurer's reference) or is still unpaid.
COLLECTION_FIELDS = [
    Field("policy_number", _("Policy number"), "text", True, EXPIRY_FIELDS[0].synonyms),
    Field("instalment", _("Instalment number"), "text", False, (
        "instalment", "instalment number", "instalment no", "installment", "installment number",
        "installment no", "instalment #", "installment #", "payment number", "period",
        "receipt number", "parcialidad", "número de parcialidad", "numero de parcialidad",
        "no. de parcialidad", "recibo", "número de recibo", "numero de recibo",
        "no. de recibo", "no de recibo", "num recibo", "exhibición", "número de exhibición",
        "pago número", "número de pago", "期数", "期次", "缴费期次", "分期期数", "缴费期数",
        "第几期", "期别",
    )),
    Field("due_date", _("Due date"), "date", False, (
        "due date", "due on", "date due", "payment due date", "due", "fecha de vencimiento",
        "vencimiento", "fecha vencimiento", "vencimiento del recibo", "fecha límite de pago",
        "fecha limite de pago", "fecha de exigibilidad", "fecha programada de pago",
        "应缴日期", "应缴费日期", "应收日期", "缴费截止日期", "应缴时间", "应收时间",
    )),
    Field("amount_paid", _("Amount paid"), "amount", False, (
        "amount paid", "paid amount", "payment amount", "amount", "collected amount",
        "amount collected", "importe pagado", "monto pagado", "importe cobrado",
        "monto cobrado", "prima pagada", "prima cobrada", "pago", "importe del pago",
        "monto del pago", "实缴金额", "实收金额", "已缴金额", "缴费金额", "实收保费",
        "实缴保费", "收款金额", "支付金额",
    )),
    Field("paid_on", _("Paid on"), "date", False, (
        "paid on", "payment date", "date paid", "date of payment", "collection date",
        "fecha de pago", "fecha pago", "fecha de cobro", "fecha cobro", "fecha de aplicación",
        "fecha de aplicacion", "缴费日期", "实缴日期", "收费日期", "支付日期",
        "到账日期", "收款日期", "缴费时间",
    )),
    Field("status", _("Payment status"), "text", False, (
        "status", "payment status", "paid status", "paid yes no", "estatus", "estatus del pago",
        "estatus de pago", "estado del pago", "estado de pago", "estado del recibo",
        "estatus del recibo", "situación", "pagado", "cobrado", "状态", "缴费状态",
        "支付状态", "收费状态", "是否缴费", "是否已缴", "是否已缴费",
    )),
    Field("reference", _("Payment reference"), "text", False, (
        "reference", "payment reference", "receipt", "transaction", "transaction id",
        "transaction number", "confirmation", "referencia", "referencia de pago",
        "referencia bancaria", "folio de pago", "folio", "comprobante",
        "número de operación", "numero de operacion", "autorización", "número de autorización",
        "交易流水号", "流水号", "收据号", "缴费凭证号", "凭证号", "交易号",
    )),
    Field("currency", _("Currency"), "text", False, EXPIRY_FIELDS[4].synonyms),
    Field("payer", _("Payer"), "text", False, (
        "payer", "payer name", "paying party", "pagador", "nombre del pagador",
        "quien paga", "contratante", "缴费人", "付款人", "交款人",
    )),
]  # fmt: skip

FIELDS_BY_KIND = {"expiry": EXPIRY_FIELDS, "collections": COLLECTION_FIELDS}

# Fields of which a report needs at least one: a collection row finds its instalment by number
# or by due date.
REQUIRED_ONE_OF = {"collections": (("instalment", "due_date"),)}

# Columns that name two fields at once: their cells are split (imports.vehicles).
COMBINED_COLUMNS = {
    "expiry": {
        ("make", "model"): (
            "make and model", "make & model", "make model", "make/model", "brand and model",
            "brand model", "vehicle description", "marca y modelo", "marca modelo",
            "marca/modelo", "marca y submarca", "marca submarca", "marca y tipo",
            "descripción del vehículo", "品牌车型", "品牌型号", "厂牌型号", "厂牌车型",
            "车辆品牌型号", "品牌车型号",
        ),
    },
}  # fmt: skip

# Columns insurers' reports carry that Cartera does not import, some of them close in writing
# to a field's names ("Fecha de nacimiento" and "Fecha de vencimiento", "Derecho de póliza",
# the insurer's own staff in 经办人 or "Ejecutivo"). A header that is at least as close to one
# of these as to any field is left unmapped.
OTHER_COLUMNS = (
    # English
    "remarks", "notes", "comments", "observations", "branch", "office", "region", "commission",
    "issue date", "date of issue", "date of birth", "birth date", "sum insured",
    "insured value", "status", "policy status", "previous policy", "prior policy",
    "endorsement", "payment method", "payment frequency", "discount", "surcharge", "tax",
    "fees", "policy fee", "deductible", "executive", "account executive", "underwriter",
    "handler", "agent code", "producer code", "address", "city", "state", "zip code",
    "postal code", "gender", "age", "engine number", "seats", "use", "vehicle use",
    "vehicle type", "beneficiary",
    # Spanish
    "observaciones", "notas", "comentarios", "sucursal", "oficina", "región", "zona",
    "comisión", "comisión del agente", "comisiones", "fecha de emisión", "fecha de expedición",
    "fecha de nacimiento", "suma asegurada", "estatus", "estatus de la póliza",
    "estado de la póliza", "póliza anterior", "endoso", "forma de pago", "conducto de cobro",
    "frecuencia de pago", "descuento", "recargo", "iva", "importe iva", "derecho de póliza",
    "derechos de póliza", "gastos de expedición", "deducible", "ejecutivo",
    "ejecutivo de cuenta", "clave de agente", "clave agente", "suscriptor", "dirección",
    "domicilio", "colonia", "ciudad", "estado", "código postal", "sexo", "edad",
    "número de motor", "uso", "uso del vehículo", "servicio", "tipo de vehículo",
    "beneficiario", "consecutivo",
    # Chinese
    "经办人", "出单员", "业务来源", "备注", "签单日期", "出单日期", "手续费", "佣金",
    "发动机号", "座位数", "使用性质", "车辆种类", "险种代码", "保险公司", "渠道", "机构",
    "归属机构", "分公司", "核保人", "保额", "保险金额", "出生日期", "性别", "年龄", "地址",
    "状态", "保单状态", "上年保单号", "批单号", "缴费方式", "折扣", "车船税", "新车购置价",
    "排量", "吨位", "初次登记日期",
)  # fmt: skip

# Columns of one kind of report that Cartera does not import from it, though another kind
# does: a collection report's amount due is the instalment's, never read from the report.
OTHER_COLUMNS_BY_KIND = {
    "collections": (
        "premium", "total premium", "amount due", "instalment amount", "installment amount",
        "prima", "prima total", "prima neta", "importe del recibo", "monto del recibo",
        "importe a pagar", "monto a pagar", "saldo", "saldo pendiente", "end date",
        "fin de vigencia", "inicio de vigencia", "应缴金额", "应收保费", "应缴保费",
        "应收金额", "保费", "insured", "asegurado", "被保险人", "phone", "teléfono", "电话",
    ),
}  # fmt: skip

# A suggestion at or above this score is taken without asking (the shell command imports with
# it; the mapping page pre-selects it). Tuned on imports/tests/test_headers.py: a header with
# a qualifier ("Placa vehicular", "Teléfono móvil", "被保险人名称") or a dotted abbreviation
# ("Fin de vig.") scores 85-95; unrelated headers stay below 80.
THRESHOLD = 85
FLOOR = 65  # below this a header is not even a hint for a field
OTHER = "-"  # the target of OTHER_COLUMNS

BRACKETED = re.compile(r"[(\[{【〔〖「『][^()\[\]{}【】〔〕〖〗「」『』]*[)\]}】〕〗」』]")
OPENING = re.compile(r"[(\[{【〔〖「『].*$")
CJK = "\u2e80-\u9fff\uf900-\ufaff"
CJK_GAP = re.compile(rf"(?<=[{CJK}]) (?=[{CJK}])")
# Two or more single letters, each followed by a dot: "R.F.C.", "C. U. R. P.".
INITIALS = re.compile(r"(?<!\w)(?:[^\W\d_]\.\s?){2,}")
HAS_CJK = re.compile(rf"[{CJK}]")
# Words a header may carry or drop without naming something else: "Fecha vencimiento" is
# "Fecha de vencimiento".
STOP_WORDS = frozenset("de del la las el los y e en por para a al of the and for on by to".split())


def _plain(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return unicodedata.normalize("NFC", "".join(c for c in text if not unicodedata.combining(c)))


def _brackets_off(text: str) -> str:
    """Units and notes in brackets off ("Prima (MXN)", "保险费（人民币）", "Prima [incl. IVA]");
    a header that is all brackets keeps what they hold."""
    stripped, previous = text, None
    while stripped != previous:
        previous, stripped = stripped, BRACKETED.sub(" ", stripped)
    stripped = OPENING.sub(" ", stripped)  # an unclosed "Prima (MXN"
    return stripped if stripped.strip() else re.sub(r"[()\[\]{}【】〔〕〖〗「」『』]", " ", text)


def normalise_header(text) -> str:
    """A header as compared with the known names: full-width forms, non-breaking spaces and
    line breaks made plain (NFKC), units and notes in brackets off, accents, case and
    punctuation off (so the dots of abbreviations and trailing colons go):
    "Núm. de póliza:" → "num de poliza", "保险费（人民币）" → "保险费". Chinese stays Chinese,
    without spaces between its characters."""
    text = unicodedata.normalize("NFKC", str(text or ""))
    text = _brackets_off(text)
    # Initials with dots are one word: "R.F.C." and "R. F. C." → "RFC" (not "r f c").
    text = INITIALS.sub(lambda m: re.sub(r"[.\s]", "", m.group(0)) + " ", text)
    text = re.sub(r"['’]s\b", "", text)  # "Insured's name" → "Insured name"
    text = _plain(text).casefold()
    text = " ".join(re.sub(r"[\W_]+", " ", text).split())
    return CJK_GAP.sub("", text)


def _key(text) -> str:
    """The normalised header without stop words, as matched."""
    words = normalise_header(text).split()
    kept = [w for w in words if w not in STOP_WORDS]
    return " ".join(kept or words)


@dataclass(frozen=True)
class _Names:
    keys: list[str]  # every known name, as matched
    targets: list[tuple[str, ...]]  # the field(s) each name stands for, or (OTHER,)
    exact: dict[str, tuple[str, ...]]
    sorted_keys: list[str]  # each name's words in sorted order (token_sort_ratio's form)
    token_sets: list[frozenset]
    by_word: dict[str, tuple[int, ...]]  # word → the names that have it
    cjk: tuple[int, ...]  # the names written in Chinese
    prefixes: dict[str, tuple[str, ...]]  # "vig" → ("vigencia",): abbreviations of words


@lru_cache(maxsize=8)
def _names(kind: str) -> _Names:
    pairs: list[tuple[str, tuple[str, ...]]] = []
    with translation.override(None):  # the labels' English source, whatever the request's
        for f in FIELDS_BY_KIND[kind]:
            for name in (f.name.replace("_", " "), str(f.label), *f.synonyms):
                pairs.append((name, (f.name,)))
    for fields, names in COMBINED_COLUMNS.get(kind, {}).items():
        pairs.extend((name, fields) for name in names)
    pairs.extend((name, (OTHER,)) for name in OTHER_COLUMNS)
    pairs.extend((name, (OTHER,)) for name in OTHER_COLUMNS_BY_KIND.get(kind, ()))
    keys, targets, exact = [], [], {}
    for name, target in pairs:
        key = _key(name)
        if key and key not in exact:
            exact[key] = target
            keys.append(key)
            targets.append(target)
    words = {w for key in keys for w in key.split() if not HAS_CJK.search(w)}
    prefixes: dict[str, set] = {}
    for word in words:
        for end in range(3, len(word)):
            prefixes.setdefault(word[:end], set()).add(word)
    by_word: dict[str, list[int]] = {}
    for index, key in enumerate(keys):
        for word in set(key.split()):
            by_word.setdefault(word, []).append(index)
    return _Names(
        keys=keys,
        targets=targets,
        exact=exact,
        sorted_keys=[_sorted_words(k) for k in keys],
        token_sets=[frozenset(k.split()) for k in keys],
        by_word={w: tuple(ix) for w, ix in by_word.items()},
        cjk=tuple(i for i, k in enumerate(keys) if HAS_CJK.search(k)),
        prefixes={p: tuple(sorted(ws)) for p, ws in prefixes.items() if p not in words},
    )


def _sorted_words(text: str) -> str:
    return " ".join(sorted(text.split()))


def _expansions(key: str, names: _Names) -> list[str]:
    """The header with its abbreviated words written out ("fin vig" → "fin vigencia"), at
    most eight readings; none when no word is an abbreviation of a known word."""
    readings = [[]]
    expanded = False
    for word in key.split():
        options = names.prefixes.get(word)
        if options:
            expanded = True
        readings = [r + [w] for r in readings for w in (options or (word,))][:8]
    return [" ".join(r) for r in readings] if expanded else []


def _contained(key: str, names: _Names) -> dict[int, float]:
    """Names the header contains whole, with words of its own around them: "Prima total
    anual" contains "prima total", "被保险人名称" contains "被保险人". Scored 80 to 95 by the
    share of the header the name covers."""
    found: dict[int, float] = {}
    words = frozenset(key.split())
    inside = {
        i for word in words for i in names.by_word.get(word, ()) if names.token_sets[i] <= words
    }
    if HAS_CJK.search(key):  # Chinese has no spaces between words: a name within the text
        inside.update(i for i in names.cjk if names.keys[i] in key)
    for index in inside:
        name = names.keys[index]
        if len(name) < len(key):
            found[index] = 80 + 15 * len(name) / len(key)
    return found


@lru_cache(maxsize=4096)
def _score(key: str, kind: str) -> tuple[tuple[tuple[str, ...], float], ...]:
    """(target, best score) for a normalised header, best first.

    The fuzzy part is rapidfuzz's ``token_sort_ratio`` (the Indel similarity of the words in
    sorted order): it forgives typos, plurals and words in another order ("Vigencia fin")
    but, unlike ``WRatio`` or ``partial_ratio``, gives nothing for a short name found inside
    a longer word: those score "tel" in "Hotel", "cif" in "Especificaciones" or "id" in
    "valid until" at 90. Extra words are handled by ``_contained`` (whole names within the
    header), dotted abbreviations by ``_expansions`` (scored 0.95 of the written-out form),
    and lookalikes that are other columns ("Fecha de nacimiento", 92 against "fecha de
    vencimiento") by OTHER_COLUMNS."""
    names = _names(kind)
    best: dict[tuple[str, ...], float] = {}

    def offer(target: tuple[str, ...], score: float) -> None:
        if score > best.get(target, 0):
            best[target] = score

    for reading, weight in [(key, 1.0)] + [(r, 0.95) for r in _expansions(key, names)]:
        if reading in names.exact:
            offer(names.exact[reading], 100 * weight)
        # token_sort_ratio, with the known names' words sorted once
        for _name, score, index in process.extract(
            _sorted_words(reading),
            names.sorted_keys,
            scorer=fuzz.ratio,
            limit=10,
            score_cutoff=FLOOR,
        ):
            offer(names.targets[index], score * weight)
        for index, score in _contained(reading, names).items():
            offer(names.targets[index], score * weight)
    # Best first; at equal scores "not imported" first, then single fields before a pair.
    ordered = sorted(best.items(), key=lambda t: (-t[1], t[0] != (OTHER,), len(t[0]), t[0]))
    return tuple((target, round(score, 1)) for target, score in ordered)


@dataclass(frozen=True)
class Suggestion:
    header: str
    score: float  # 0-100
    confident: bool  # at or above THRESHOLD: taken without asking


def suggest_columns(headers, kind: str = "expiry") -> dict[str, Suggestion]:
    """{field: Suggestion} for the fields some header comes close to. The best-scoring
    (header, field) pairs are taken first; a header fills one field (or both fields of a
    combined column, when both are free) and is left out once it is closer to a column
    Cartera does not import. Suggestions below THRESHOLD are only hints (``confident``
    False): what is closest among the headers left."""
    pairs = []
    seen = set()
    for position, header in enumerate(headers):
        if header in (None, "") or not isinstance(header, str):
            continue
        header = header.strip()
        if not header or header in seen:
            continue
        seen.add(header)
        key = _key(header)
        if not key or len(key) > 60:
            continue
        for target, score in _score(key, kind):
            pairs.append((score, target == (OTHER,), -len(target), position, header, target))
    pairs.sort(key=lambda p: (-p[0], not p[1], -p[2], p[3]))
    taken: dict[str, Suggestion] = {}
    used: set[str] = set()
    for score, _other, _size, _position, header, target in pairs:
        if header in used:
            continue
        if target == (OTHER,):
            used.add(header)
            continue
        if any(name in taken for name in target):
            continue
        for name in target:
            taken[name] = Suggestion(header, score, score >= THRESHOLD)
        used.add(header)
    order = [f.name for f in FIELDS_BY_KIND[kind]]
    return {name: taken[name] for name in order if name in taken}


def suggest_mapping(headers, kind: str = "expiry") -> dict[str, str]:
    """{field: header} for the headers that name a field with confidence."""
    return {f: s.header for f, s in suggest_columns(headers, kind).items() if s.confident}


def header_score(row, kind: str = "expiry") -> int:
    """How many fields a row's cells name with confidence: the header row is the row that
    names most. Cheap enough for the first rows of a sheet: only text cells that could be
    headers are compared, and each distinct cell once (``_score`` is cached)."""
    cells = [c for c in row if isinstance(c, str) and _could_be_header(c)]
    if len(cells) < 2:
        return 0
    return sum(1 for s in suggest_columns(cells, kind).values() if s.confident)


def _could_be_header(text: str) -> bool:
    """Not blank, not long, and not mostly digits (amounts, dates, phones, IDs)."""
    text = text.strip()
    if not text or len(text) > 60:
        return False
    digits = sum(c.isdigit() for c in text)
    return digits * 2 < len(text)


@lru_cache(maxsize=256)
def header_currency(header) -> str | None:
    """The currency a header names for its amounts, in brackets or as a word of its own:
    "Prima neta (MXN)" → "MXN", "保险费（人民币）" → "CNY", "Premium US$" → "USD"; None when
    it names none (or only "$", which is pesos to some and dollars to others)."""
    text = unicodedata.normalize("NFKC", str(header or ""))
    inside = re.findall(r"[(\[{【〔〖]([^)\]}】〕〗]*)", text)
    for part in [*inside, text]:
        found = _currency_in(part)
        if found:
            return found
    return None


CURRENCY_WORDS = {
    "CNY": ("cny", "rmb", "人民币", "元", "yuan", "¥", "￥"),
    "MXN": ("mxn", "mxp", "m n", "mn", "pesos", "peso", "pesos mexicanos"),
    "USD": ("usd", "us$", "us", "dolares", "dolar", "dollars", "dollar", "dls", "dlls", "美元"),
    "EUR": ("eur", "euros", "euro", "€", "欧元"),
}


def _currency_in(text: str) -> str | None:
    plain = _plain(text).casefold()
    if "us$" in plain.replace(" ", ""):
        return "USD"
    for symbol, code in (("€", "EUR"), ("¥", "CNY"), ("人民币", "CNY"), ("美元", "USD")):
        if symbol in plain:
            return code
    words = " ".join(re.sub(r"[^\w$]+", " ", plain).split())
    if re.search(rf"[{CJK}]", words):
        # 元 alone is yuan; 万元 (ten thousands of yuan) is yuan too, in another unit.
        if re.search(r"(?<![美欧日港])元", words):
            return "CNY"
        return None
    padded = f" {words} "
    for code, names in CURRENCY_WORDS.items():
        if any(f" {name} " in padded for name in names if not HAS_CJK.search(name)):
            return code
    return None


@dataclass(frozen=True)
class ColumnChoice:
    """Which columns an import reads, and where that choice came from."""

    columns: dict[str, str]  # {field: header}
    source: str  # "saved" (the insurer's mapping), "suggested" (in part or whole), "" (none)
    suggested: dict[str, Suggestion]  # the fields filled by a confident suggestion
    missing: list[Field]  # required fields with no column: the import must stop
    closest: dict[str, Suggestion]  # missing field → the closest header left, if any


def choose_columns(headers, kind: str = "expiry", saved: dict | None = None) -> ColumnChoice:
    """The columns the shell import uses: the insurer's saved mapping (kept to the headers
    this file has) when it covers every required field; else the saved mapping completed
    with the suggestions made with confidence. ``missing`` lists the required fields still
    without a column, with the closest header left for each in ``closest``."""
    present = {h for h in headers if isinstance(h, str) and h}
    columns = {f: h for f, h in (saved or {}).items() if h in present}
    if columns and not missing_fields(columns, kind):
        return ColumnChoice(columns, "saved", {}, [], {})
    used = set(columns.values())
    suggestions = suggest_columns([h for h in headers if h not in used], kind)
    suggested = {name: s for name, s in suggestions.items() if s.confident and name not in columns}
    columns.update({name: s.header for name, s in suggested.items()})
    missing = missing_fields(columns, kind)
    closest = {f.name: suggestions[f.name] for f in missing if f.name in suggestions}
    return ColumnChoice(columns, "" if missing else "suggested", suggested, missing, closest)


def missing_fields(columns: dict, kind: str) -> list[Field]:
    """The required fields without a column, and for each group of which one is needed
    (REQUIRED_ONE_OF) with none, a field standing for the group ("Instalment number or Due
    date"), named after its first field."""
    fields = {f.name: f for f in FIELDS_BY_KIND[kind]}
    missing = [f for f in fields.values() if f.required and f.name not in columns]
    for group in REQUIRED_ONE_OF.get(kind, ()):
        if not any(name in columns for name in group):
            first, second = fields[group[0]], fields[group[1]]
            label = format_lazy(_("{first} or {second}"), first=first.label, second=second.label)
            missing.append(Field(first.name, label, first.kind, True, first.synonyms))
    return missing
