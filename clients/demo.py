"""Demo clients: a book of N Mexican and Chinese clients for ``manage.py seed_demo``.

Names, companies, streets and the like are drawn from pools that Faker fills once per run;
everything per row comes from ``ctx.rng``, so the same seed gives the same book and half a
million clients take seconds to generate. No history rows are written: this is the initial
load, not a change.
"""

import unicodedata
from array import array
from bisect import bisect
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from itertools import accumulate
from time import monotonic
from types import SimpleNamespace

from django.db import connection
from django.utils import timezone

from brokerage.core.bulk import copy_rows
from brokerage.core.demo import DemoContext

from .models import Client, ClientKind, ClientStatus, LeadSource, VipTier

CHUNK = 20_000  # clients built and inserted at a time
CORPORATE_SHARE = 0.10
UNOWNED_SHARE = 0.03  # imported leads, left for distribution
ZH_SHARE = 0.25  # as ctx.person_name(): three Spanish speakers to one Chinese speaker
POOL = 2_000  # names, companies and streets drawn from Faker per locale


@dataclass(frozen=True)
class Region:
    language: str  # "es" or "zh-hans"
    city: str
    state: str  # es: state abbreviation; zh: district
    code: str  # es: CURP state code; zh: resident ID area code (6 digits)
    area: str  # telephone area code
    postal: tuple[int, int]  # range of postal codes
    plate: str  # zh: plate prefix letters after the province character; es: unused
    weight: int


REGIONS = [
    Region("es", "Ciudad de México", "CDMX", "DF", "55", (1000, 16999), "", 40),
    Region("es", "Guadalajara", "Jal.", "JC", "33", (44100, 45999), "", 14),
    Region("es", "Monterrey", "N.L.", "NL", "81", (64000, 67999), "", 14),
    Region("es", "Puebla", "Pue.", "PL", "222", (72000, 72999), "", 8),
    Region("es", "Querétaro", "Qro.", "QT", "442", (76000, 76999), "", 6),
    Region("es", "Mérida", "Yuc.", "YN", "999", (97000, 97999), "", 6),
    Region("es", "Tijuana", "B.C.", "BC", "664", (22000, 22999), "", 6),
    Region("es", "León", "Gto.", "GT", "477", (37000, 37999), "", 6),
    Region("zh-hans", "北京市", "东城区", "110101", "10", (100010, 100010), "京ABCEFGHJKLMNPQ", 20),
    Region("zh-hans", "上海市", "黄浦区", "310101", "21", (200001, 200001), "沪ABCDEGHJKLMN", 20),
    Region("zh-hans", "广州市", "天河区", "440106", "20", (510630, 510630), "粤A", 12),
    Region("zh-hans", "深圳市", "南山区", "440305", "755", (518052, 518052), "粤B", 12),
    Region("zh-hans", "杭州市", "西湖区", "330106", "571", (310012, 310012), "浙A", 10),
    Region("zh-hans", "成都市", "武侯区", "510107", "28", (610041, 610041), "川A", 10),
    Region("zh-hans", "南京市", "玄武区", "320102", "25", (210018, 210018), "苏A", 8),
    Region("zh-hans", "武汉市", "江汉区", "420103", "27", (430021, 430021), "鄂A", 8),
]
ES_REGIONS = [i for i, r in enumerate(REGIONS) if r.language == "es"]
ZH_REGIONS = [i for i, r in enumerate(REGIONS) if r.language == "zh-hans"]

STATUS_CODES = [ClientStatus.PROSPECT, ClientStatus.ACTIVE, ClientStatus.FORMER]
PROSPECT, ACTIVE, FORMER = range(3)


@dataclass
class DemoBook:
    """What the policy step needs to know of each client, kept compact (a few bytes a client)."""

    ids: array = field(default_factory=lambda: array("q"))
    owners: array = field(default_factory=lambda: array("q"))  # 0: no owner
    regions: bytearray = field(default_factory=bytearray)  # index into REGIONS
    corporate: bytearray = field(default_factory=bytearray)  # 1: corporate
    statuses: bytearray = field(default_factory=bytearray)  # PROSPECT, ACTIVE, FORMER

    def __len__(self):
        return len(self.ids)


class Weighted:
    """A weighted choice that costs one random() and one bisect."""

    def __init__(self, pairs):
        self.items = [item for item, _ in pairs]
        self.cum = list(accumulate(weight for _, weight in pairs))

    def pick(self, rng):
        return self.items[bisect(self.cum, rng.random() * self.cum[-1])]


def ascii_upper(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.replace("ñ", "x").replace("Ñ", "X"))
    return "".join(ch for ch in folded if ch.isascii() and ch.isalpha()).upper()


def unique_number(index: int, digits: int, salt: int) -> str:
    """A different ``digits``-digit string for each index below 10**digits, scattered so that
    neighbouring clients do not get neighbouring numbers."""
    modulus = 10**digits
    return str((index * 7_654_321 + salt) % modulus).zfill(digits)


# --- identifiers -----------------------------------------------------------------------------

VOWELS = set("AEIOU")
CURP_CHARS = "0123456789ABCDEFGHIJKLMNÑOPQRSTUVWXYZ"
RFC_CHARS = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"
ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]


def _first_inner(word: str, wanted) -> str:
    for ch in word[1:]:
        if wanted(ch):
            return ch
    return "X"


def curp_parts(name: str) -> tuple[str, str, str]:
    """(first letter, first inner vowel, first inner consonant) of a name, as the CURP uses."""
    word = ascii_upper(name.split()[0]) or "X"
    return (
        word[0],
        _first_inner(word, lambda c: c in VOWELS),
        _first_inner(word, lambda c: c not in VOWELS),
    )


def curp(paternal, maternal, given, born, female: bool, state: str, rng) -> str:
    """An 18-character CURP built as RENAPO builds one (without the list of rude words)."""
    p_first, p_vowel, p_cons = paternal
    m_first, _, m_cons = maternal or ("X", "X", "X")
    g_first, _, g_cons = given
    head = (
        f"{p_first}{p_vowel}{m_first}{g_first}{born:%y%m%d}{'M' if female else 'H'}{state}"
        f"{p_cons}{m_cons}{g_cons}"
    )
    head += str(rng.randrange(10)) if born.year < 2000 else rng.choice("ABCDEFGH")
    total = sum(CURP_CHARS.index(ch) * (18 - i) for i, ch in enumerate(head))
    return head + str((10 - total % 10) % 10)


def resident_id(area: str, born, female: bool, rng) -> str:
    """An 18-character PRC resident ID number (GB 11643) with its ISO 7064 check character."""
    sequence = rng.randrange(500) * 2 + (0 if female else 1)
    body = f"{area}{born:%Y%m%d}{sequence:03d}"
    total = sum(int(ch) * w for ch, w in zip(body, ID_WEIGHTS, strict=True))
    return body + "10X98765432"[total % 11]


def rfc_company(name_ascii: str, founded, rng) -> str:
    """A 12-character RFC of a Mexican company: three letters, date of incorporation and a
    three-character homoclave."""
    letters = (name_ascii + "XXX")[:3]
    homoclave = "".join(rng.choice(RFC_CHARS) for _ in range(3))
    return f"{letters}{founded:%y%m%d}{homoclave}"


def uscc(area: str, rng) -> str:
    """An 18-character unified social credit code (GB 32100) with both check characters."""
    org = "".join(str(rng.randrange(10)) for _ in range(8))
    check = 11 - sum(int(ch) * w for ch, w in zip(org, ORG_WEIGHTS, strict=True)) % 11
    org += {10: "X", 11: "0"}.get(check, str(check))
    body = f"91{area}{org}"  # 9: market regulator, 1: enterprise
    total = sum(USCC_CHARS.index(ch) * w for ch, w in zip(body, USCC_WEIGHTS, strict=True))
    return body + USCC_CHARS[(31 - total % 31) % 31]


# --- pools -----------------------------------------------------------------------------------

ES_SCOPES = [
    "Comercialización y distribución de abarrotes",
    "Transporte de carga por carretera",
    "Construcción de obra civil y edificación",
    "Servicios de consultoría contable y fiscal",
    "Fabricación de autopartes",
    "Restaurantes y servicios de alimentos",
    "Venta de vehículos nuevos y seminuevos",
    "Servicios de tecnologías de la información",
    "Clínica de servicios médicos",
    "Agencia de viajes y turismo",
]
ZH_SCOPES = [
    "技术开发、技术咨询、技术服务；销售电子产品",
    "道路普通货物运输；仓储服务",
    "房屋建筑工程施工；室内装饰",
    "批发零售日用百货、服装鞋帽",
    "餐饮服务；食品销售",
    "汽车销售及维修；汽车零配件销售",
    "企业管理咨询；会议及展览服务",
    "医疗器械销售；健康咨询",
    "软件开发；信息系统集成服务",
    "货物进出口；技术进出口",
]
COMPANY_SUFFIXES = ("S.A. de C.V.", "A.C.", "S.C.", "S. de R.L.", "S.A.")
CN_MOBILE_PREFIXES = [f"13{d}" for d in range(10)] + ["150", "151", "152", "153", "155", "156"]
CN_MOBILE_PREFIXES += ["157", "158", "159", "186", "187", "188", "189"]
EMAIL_DOMAINS = ("example.com", "example.net", "example.org")


@dataclass
class Pools:
    es_male: list
    es_female: list
    es_last: list
    zh_male: list
    zh_female: list
    zh_last: list
    zh_roman: list
    es_companies: list
    zh_companies: list
    es_streets: list
    es_colonias: list
    zh_streets: list


def _pool(make, size=POOL):
    # Deduplicated in first-seen order, so the pool is the same for the same seed.
    return list(dict.fromkeys(make() for _ in range(size)))


def build_pools(ctx: DemoContext) -> Pools:
    es, zh = ctx.faker_es, ctx.faker_zh

    def es_name(make):
        return [(n, ascii_upper(n), curp_parts(n)) for n in _pool(make)]

    def es_company():
        name = es.company()
        if not any(name.endswith(s) for s in COMPANY_SUFFIXES):
            name = f"{name} {ctx.rng.choice(COMPANY_SUFFIXES)}"
        return name

    return Pools(
        es_male=es_name(es.first_name_male),
        es_female=es_name(es.first_name_female),
        es_last=es_name(es.last_name),
        zh_male=_pool(zh.first_name_male),
        zh_female=_pool(zh.first_name_female),
        zh_last=_pool(zh.last_name),
        zh_roman=[n.lower() for n in _pool(zh.first_romanized_name)],
        es_companies=[(c, ascii_upper(c)) for c in _pool(es_company)],
        zh_companies=_pool(zh.company),
        es_streets=_pool(es.street_name),
        es_colonias=_pool(es.city, 500),
        zh_streets=_pool(zh.street_name, 500),
    )


# --- the step --------------------------------------------------------------------------------

LEAD_SOURCES = Weighted(
    [
        (LeadSource.REFERRAL, 25),
        (LeadSource.WALK_IN, 8),
        (LeadSource.PHONE, 10),
        (LeadSource.WEB, 15),
        (LeadSource.SOCIAL, 12),
        (LeadSource.DEALER, 15),
        (LeadSource.INSURER, 10),
        (LeadSource.OTHER, 5),
    ]
)
VIP_TIERS = Weighted([(VipTier.SILVER, 60), (VipTier.GOLD, 30), (VipTier.PLATINUM, 10)])
STATUSES = Weighted([(ACTIVE, 85), (PROSPECT, 10), (FORMER, 5)])
ES_REGION_PICK = Weighted([(i, REGIONS[i].weight) for i in ES_REGIONS])
ZH_REGION_PICK = Weighted([(i, REGIONS[i].weight) for i in ZH_REGIONS])


def demo_today(ctx: DemoContext):
    """The day the dataset is built for, fixed once per run so all steps agree."""
    return ctx.data.setdefault("today", timezone.localdate())


class _ClientMaker:
    """Builds clients as rows: dicts of field attnames to values (see ``BulkInserter``)."""

    def __init__(self, ctx: DemoContext, pools: Pools, n: int):
        self.ctx, self.rng, self.pools = ctx, ctx.rng, pools
        self.n = max(n, 1)
        self.salt = ctx.rng.randrange(10**8)
        self.today = demo_today(ctx)
        self.midnight = datetime.combine(self.today, time(), tzinfo=UTC)
        agents = ctx.data.get("agents") or []
        self.agent_ids = [a.pk for a in agents]
        by_team: dict = {}
        for a in agents:
            by_team.setdefault(a.team_id, []).append(a.pk)
        self.teammates = {a.pk: [p for p in by_team[a.team_id] if p != a.pk] for a in agents}
        self.owned = 0

    def phone(self, index: int, region: Region) -> str:
        if region.language == "es":
            digits = 10 - len(region.area)
            return f"+52{region.area}{unique_number(index, digits, self.salt)}"
        return f"+86{self.rng.choice(CN_MOBILE_PREFIXES)}{unique_number(index, 8, self.salt)}"

    def landline(self, index: int, region: Region) -> str:
        if region.language == "es":
            return self.phone(index, region)
        number = unique_number(index, 7, self.salt)
        return f"+86{region.area}{self.rng.choice('234567')}{number}"

    def birthday(self):
        # Ages 18 to 85, most between 30 and 60.
        age = min(85, max(18, int(self.rng.gauss(44, 13))))
        return self.today - timedelta(days=age * 365 + self.rng.randrange(365))

    def make(self, index: int) -> tuple[dict, int, int]:
        """One client's row, its region (an index into REGIONS) and its status code."""
        rng = self.rng
        zh = rng.random() < ZH_SHARE
        region_index = (ZH_REGION_PICK if zh else ES_REGION_PICK).pick(rng)
        region = REGIONS[region_index]
        corporate = rng.random() < CORPORATE_SHARE
        owned = bool(self.agent_ids) and rng.random() >= UNOWNED_SHARE
        if owned:
            owner = self.agent_ids[self.owned % len(self.agent_ids)]
            self.owned += 1
            status = STATUSES.pick(rng)
            lead_source = LEAD_SOURCES.pick(rng)
        else:
            owner = None
            status = ACTIVE if rng.random() < 0.7 else PROSPECT
            lead_source = LeadSource.INSURER if rng.random() < 0.7 else LeadSource.WEB

        row = {
            "kind": ClientKind.CORPORATE if corporate else ClientKind.INDIVIDUAL,
            "language": region.language,
            "owner_id": owner,
            "created_by_id": owner,
            "status": STATUS_CODES[status],
            "lead_source": lead_source,
            "created_at": self.midnight
            - timedelta(seconds=rng.randrange(400 * 86400, 3650 * 86400)),
        }
        if corporate:
            self._corporate(row, region)
        elif zh:
            self._chinese(row, region)
        else:
            self._mexican(row, region)
        self._address(row, region)

        row["phone"] = self.landline(index, region) if corporate else self.phone(index, region)
        if rng.random() < 0.10:
            row["phone_other"] = self.phone(index + 3 * self.n, region)
        if corporate and rng.random() < 0.4:
            row["fax"] = self.landline(index + 5 * self.n, region)
        if rng.random() < 0.60:
            row["whatsapp"] = self.phone(index + 7 * self.n, region) if corporate else row["phone"]
        if rng.random() < 0.70:
            row["email"] = self._email(row, zh, corporate)
        if status == ACTIVE and rng.random() < 0.05:
            row["vip_tier"] = VIP_TIERS.pick(rng)
            row["membership_card"] = f"CV-{unique_number(index, 8, self.salt)}"
        row["is_key"] = status == ACTIVE and rng.random() < 0.02
        row["contact_inaccurate"] = rng.random() < 0.01
        # The model says what a client is called: ask it, without building a whole instance.
        row["display_name"] = Client.compute_display_name(
            SimpleNamespace(
                kind=row["kind"],
                legal_name=row.get("legal_name", ""),
                first_name=row.get("first_name", ""),
                last_name=row.get("last_name", ""),
            )
        )
        return row, region_index, status

    def co_agent(self, owner: int):
        mates = self.teammates.get(owner) or [a for a in self.agent_ids if a != owner]
        return self.rng.choice(mates) if mates else None

    def _mexican(self, row: dict, region: Region) -> None:
        rng, pools = self.rng, self.pools
        female = rng.random() < 0.5
        names = pools.es_female if female else pools.es_male
        given = rng.choice(names)
        first = given[0]
        if rng.random() < 0.2:
            first = f"{first} {rng.choice(names)[0]}"
        paternal = rng.choice(pools.es_last)
        maternal = rng.choice(pools.es_last) if rng.random() < 0.9 else None
        row["first_name"] = first
        row["last_name"] = f"{paternal[0]} {maternal[0]}" if maternal else paternal[0]
        row["birthday"] = born = self.birthday()
        row["national_id"] = curp(
            paternal[2], maternal[2] if maternal else None, given[2], born, female, region.code, rng
        )

    def _chinese(self, row: dict, region: Region) -> None:
        rng, pools = self.rng, self.pools
        female = rng.random() < 0.5
        row["first_name"] = rng.choice(pools.zh_female if female else pools.zh_male)
        row["last_name"] = rng.choice(pools.zh_last)
        row["birthday"] = born = self.birthday()
        row["national_id"] = resident_id(region.code, born, female, rng)

    def _corporate(self, row: dict, region: Region) -> None:
        rng, pools = self.rng, self.pools
        founded = self.today - timedelta(days=rng.randrange(365, 40 * 365))
        if region.language == "es":
            name, name_ascii = rng.choice(pools.es_companies)
            row["legal_name"] = name
            row["tax_id"] = rfc_company(name_ascii, founded, rng)
            given = rng.choice(pools.es_male if rng.random() < 0.6 else pools.es_female)[0]
            row["legal_representative"] = f"{given} {rng.choice(pools.es_last)[0]}"
            row["business_scope"] = rng.choice(ES_SCOPES)
        else:
            row["legal_name"] = region.city[:-1] + rng.choice(pools.zh_companies)
            row["tax_id"] = uscc(region.code, rng)
            given = rng.choice(pools.zh_male if rng.random() < 0.6 else pools.zh_female)
            row["legal_representative"] = rng.choice(pools.zh_last) + given
            row["business_scope"] = rng.choice(ZH_SCOPES)
        row["registered_capital"] = Decimal(rng.randrange(50, 20_000) * 10_000)

    def _address(self, row: dict, region: Region) -> None:
        rng, pools = self.rng, self.pools
        if region.language == "es":
            row["address"] = (
                f"{rng.choice(pools.es_streets)} {rng.randrange(1, 2000)}, "
                f"Col. {rng.choice(pools.es_colonias)}, {region.city}, {region.state}"
            )
            row["postal_code"] = f"{rng.randint(*region.postal):05d}"
        else:
            row["address"] = (
                f"{region.city}{region.state}{rng.choice(pools.zh_streets)}"
                f"{rng.randrange(1, 300)}号{rng.randrange(1, 30)}栋{rng.randrange(1, 30)}0"
                f"{rng.randrange(1, 6)}室"
            )
            row["postal_code"] = f"{region.postal[0]:06d}"

    def _email(self, row: dict, zh: bool, corporate: bool) -> str:
        rng, roman = self.rng, self.pools.zh_roman
        domain = rng.choice(EMAIL_DOMAINS)
        if corporate:
            if zh:
                words = rng.choice(roman) + rng.choice(roman)
            else:
                words = ascii_upper(row["legal_name"].split(" S.")[0])[:12].lower()
            return f"{rng.choice(('contacto', 'ventas', 'admin', 'info'))}@{words}.{domain}"
        if zh:
            if rng.random() < 0.5:
                return f"{rng.randrange(10_000_000, 3_999_999_999)}@{domain}"
            return f"{rng.choice(roman)}{rng.randrange(1, 9999)}@{domain}"
        first = ascii_upper(row["first_name"].split()[0]).lower()
        last = ascii_upper(row["last_name"].split()[0]).lower()
        suffix = rng.choice(("", "", str(row["birthday"].year), str(rng.randrange(1, 100))))
        return f"{first}.{last}{suffix}@{domain}"


# --- inserting -------------------------------------------------------------------------------


class BulkInserter:
    """Inserts rows given as dicts of field attnames to values with COPY (ten times faster
    than INSERT for a million rows), filling in each row's "id" from the table's sequence.
    Keys starting with "_" are ignored (callers keep notes there).

    Fields missing from a row get their default (``auto_now`` fields: the time of the run).
    Values must be what the database stores (phone numbers as E.164 strings): they go to COPY
    as they are. No history is written.
    """

    def __init__(self, model):
        self.model = model

    def insert(self, rows: list[dict]) -> None:
        if rows:
            copy_rows(self.model, rows)

    def analyze(self) -> None:
        """Fresh planner statistics after a big load."""
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(self.model._meta.db_table)}")


def seed_clients(ctx: DemoContext) -> None:
    """N clients: nine in ten individuals, three in four Spanish-speaking, each agent owning
    the same number, a few imported leads with no owner yet."""
    started = monotonic()
    pools = build_pools(ctx)
    maker = _ClientMaker(ctx, pools, ctx.clients)
    book = DemoBook()
    clients = BulkInserter(Client)
    co_agents = BulkInserter(Client.co_agents.through)
    counts = {"corporate": 0, "zh": 0, "unowned": 0, "key": 0}
    for start in range(0, ctx.clients, CHUNK):
        made = [maker.make(i) for i in range(start, min(start + CHUNK, ctx.clients))]
        clients.insert([row for row, _, _ in made])
        links = []
        for row, region, status in made:
            corporate = row["kind"] == ClientKind.CORPORATE
            book.ids.append(row["id"])
            book.owners.append(row["owner_id"] or 0)
            book.regions.append(region)
            book.corporate.append(corporate)
            book.statuses.append(status)
            counts["corporate"] += corporate
            counts["zh"] += row["language"] != "es"
            counts["unowned"] += row["owner_id"] is None
            # Key clients need two people: most have a teammate of the owner co-assigned.
            if row["is_key"]:
                counts["key"] += 1
                if row["owner_id"] and ctx.rng.random() < 0.8:
                    mate = maker.co_agent(row["owner_id"])
                    if mate:
                        links.append({"client_id": row["id"], "user_id": mate})
        co_agents.insert(links)
        del made, links
    clients.analyze()
    ctx.data["clients"] = book
    n = ctx.clients
    ctx.write(
        f"clients: {n} ({n - counts['corporate']} individual, {counts['corporate']} corporate; "
        f"{n - counts['zh']} Spanish, {counts['zh']} Chinese; {counts['key']} key; "
        f"{counts['unowned']} without an owner) in {monotonic() - started:.1f} s"
    )
