"""Demo insurers, policies and vehicles for ``manage.py seed_demo``.

About two policies per client. Each client's risks (a car, the family's health, a house...)
have a current one-year policy ending between a year ago and 120 days ahead, a good share of
them within the next 30 days, so the renewal desk has work from the first morning. Most current
policies that are still running renew last year's policy, which is in the book too (status
"renewed", linked as ``previous_policy``); a policy whose term ended and has no renewal is
expired or, a while after, lapsed. Auto policies carry their vehicle, with a valid VIN.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from time import monotonic

from django.core.files.base import ContentFile
from django.db import models

from brokerage.core.demo import DemoContext
from clients.demo import (
    ACTIVE,
    FORMER,
    REGIONS,
    BulkInserter,
    DemoBook,
    Weighted,
    demo_today,
    unique_number,
)
from clients.models import Client

from .models import (
    Currency,
    Insurer,
    Line,
    PaymentFrequency,
    Policy,
    PolicyStatus,
    Quotation,
    Vehicle,
    VehicleUse,
)
from .validators import vin_check_digit

CLIENT_CHUNK = 10_000  # clients whose policies are built and inserted at a time

INSURERS = [
    # code, name, preferred
    ("hdi", "HDI Seguros", True),
    ("qualitas", "Quálitas", False),
    ("ana", "ANA Seguros", False),
    ("inbursa", "Seguros Inbursa", False),
    ("bupa", "Bupa México", False),
    ("sura", "Seguros SURA", False),
    ("picc", "中国人保 PICC", False),
    ("taiping", "中国太平 Taiping", False),
]

# The rest of the market (contracted=False): named only as the insurer a client renewed
# with elsewhere, never offered where a policy is written.
MARKET_INSURERS = [
    # code, name
    ("axa", "AXA Seguros"),
    ("mapfre", "Mapfre México"),
    ("chubb", "Chubb Seguros"),
    ("zurich", "Zurich Seguros"),
    ("allianz", "Allianz México"),
    ("bbva-seguros", "BBVA Seguros"),
    ("pingan", "中国平安 Ping An"),
    ("cpic", "太平洋保险 CPIC"),
    ("chinalife-pc", "国寿财险 China Life P&C"),
    ("dadi", "大地保险 Dadi"),
]

ES_INSURERS = {
    Line.AUTO: Weighted(
        [("qualitas", 35), ("hdi", 25), ("ana", 15), ("inbursa", 12), ("sura", 13)]
    ),
    Line.HEALTH: Weighted([("bupa", 35), ("inbursa", 25), ("sura", 20), ("hdi", 20)]),
    Line.LIFE: Weighted([("inbursa", 40), ("sura", 35), ("hdi", 25)]),
    Line.PROPERTY: Weighted([("hdi", 35), ("sura", 25), ("inbursa", 20), ("ana", 20)]),
}
ZH_INSURERS = {
    Line.AUTO: Weighted([("picc", 65), ("taiping", 35)]),
    Line.HEALTH: Weighted([("picc", 50), ("taiping", 50)]),
    Line.LIFE: Weighted([("picc", 45), ("taiping", 55)]),
    Line.PROPERTY: Weighted([("picc", 60), ("taiping", 40)]),
}
INDIVIDUAL_LINES = Weighted(
    [(Line.AUTO, 60), (Line.HEALTH, 18), (Line.LIFE, 12), (Line.PROPERTY, 10)]
)
CORPORATE_LINES = Weighted([(Line.AUTO, 55), (Line.PROPERTY, 30), (Line.HEALTH, 15)])
# Risks per client: active clients hold one to five, former clients one or two.
ACTIVE_RISKS = Weighted([(1, 58), (2, 28), (3, 9), (4, 4), (5, 1)])
FORMER_RISKS = Weighted([(1, 70), (2, 30)])
RENEWED_SHARE = 0.75  # running policies that renew last year's policy
# Policies of current clients that ended this year and were renewed with the brokerage (the
# rest were lost or lapsed): the renewal rate the dashboards show for the last months.
RECENTLY_RENEWED_SHARE = 0.6
FREQUENCIES = Weighted(
    [
        (PaymentFrequency.ANNUAL, 45),
        (PaymentFrequency.MONTHLY, 25),
        (PaymentFrequency.SEMIANNUAL, 15),
        (PaymentFrequency.QUARTERLY, 15),
    ]
)
# Premium ranges in whole units of the currency.
PREMIUMS = {
    (Currency.MXN, Line.AUTO): (3_000, 40_000),
    (Currency.MXN, Line.HEALTH): (8_000, 60_000),
    (Currency.MXN, Line.LIFE): (5_000, 30_000),
    (Currency.MXN, Line.PROPERTY): (2_000, 25_000),
    (Currency.CNY, Line.AUTO): (2_000, 12_000),
    (Currency.CNY, Line.HEALTH): (300, 6_000),
    (Currency.CNY, Line.LIFE): (3_000, 20_000),
    (Currency.CNY, Line.PROPERTY): (200, 3_000),
}
COVERAGES = {
    ("es", Line.AUTO): [
        "Amplia: daños materiales (deducible 5 %), robo total (deducible 10 %), "
        "responsabilidad civil $3,000,000, gastos médicos $200,000, asistencia vial",
        "Limitada: robo total (deducible 10 %), responsabilidad civil $2,000,000, "
        "gastos médicos $100,000, asistencia vial",
        "Responsabilidad civil $1,500,000 y asistencia legal",
    ],
    ("es", Line.HEALTH): [
        "Gastos médicos mayores: suma asegurada $5,000,000, deducible $20,000, coaseguro 10 %",
        "Gastos médicos mayores: suma asegurada $10,000,000, deducible $35,000, coaseguro 10 %, "
        "cobertura internacional",
    ],
    ("es", Line.LIFE): [
        "Vida temporal a 20 años: suma asegurada $1,500,000",
        "Vida entera: suma asegurada $800,000 con invalidez total y permanente",
    ],
    ("es", Line.PROPERTY): [
        "Hogar: incendio, terremoto, robo de contenidos y responsabilidad civil familiar",
        "Empresa: incendio, fenómenos hidrometeorológicos, robo con violencia, rotura de cristales",
    ],
    ("zh-hans", Line.AUTO): [
        "交强险；商业险：机动车损失险、第三者责任险 200 万元、车上人员责任险",
        "交强险；商业险：第三者责任险 100 万元",
    ],
    ("zh-hans", Line.HEALTH): [
        "百万医疗险：年度保额 200 万元，免赔额 1 万元",
        "团体医疗险：门诊及住院医疗，年度保额 50 万元",
    ],
    ("zh-hans", Line.LIFE): ["定期寿险 20 年：保额 50 万元", "终身寿险：保额 100 万元"],
    ("zh-hans", Line.PROPERTY): [
        "家庭财产保险：火灾、爆炸、盗抢、管道破裂",
        "企业财产综合险：火灾、自然灾害、意外事故",
    ],
}
LINE_NAMES = {
    "es": {
        Line.AUTO: "Automóviles",
        Line.HEALTH: "Gastos Médicos Mayores",
        Line.LIFE: "Vida",
        Line.PROPERTY: "Daños",
    },
    "zh-hans": {Line.AUTO: "机动车", Line.HEALTH: "医疗", Line.LIFE: "人寿", Line.PROPERTY: "财产"},
}


@dataclass(frozen=True)
class CarModel:
    make: str
    model: str
    wmi: str
    vds: str  # positions 4-8
    plant: str  # position 11
    new_energy: bool = False


ES_CARS = Weighted(
    [
        (CarModel("Nissan", "Versa", "3N1", "CN8AP", "L"), 14),
        (CarModel("Nissan", "March", "3N1", "CK3CD", "L"), 8),
        (CarModel("Nissan", "Sentra", "3N1", "AB8CV", "Y"), 6),
        (CarModel("Nissan", "NP300", "3N6", "AD33A", "K"), 7),
        (CarModel("Volkswagen", "Jetta", "3VW", "C57BU", "M"), 9),
        (CarModel("Volkswagen", "Tiguan", "3VV", "B47AX", "M"), 4),
        (CarModel("Chevrolet", "Aveo", "3G1", "TB5AF", "L"), 9),
        (CarModel("Kia", "Rio", "3KP", "A24AD", "E"), 7),
        (CarModel("Kia", "Forte", "3KP", "F4AD5", "E"), 3),
        (CarModel("Mazda", "3", "3MZ", "BP1L7", "M"), 6),
        (CarModel("Honda", "HR-V", "3CZ", "RU5H5", "M"), 5),
        (CarModel("Toyota", "Tacoma", "3TM", "CZ5AN", "M"), 4),
        (CarModel("Toyota", "Corolla", "JTD", "BR32E", "C"), 6),
        (CarModel("Ford", "Bronco Sport", "3FM", "CR9B6", "R"), 3),
        (CarModel("RAM", "700", "3C6", "RR6AG", "S"), 3),
    ]
)
ZH_CARS = Weighted(
    [
        (CarModel("BYD", "Qin PLUS", "LGX", "CE4CB", "H", True), 12),
        (CarModel("BYD", "Song PLUS", "LGX", "C74C2", "H", True), 6),
        (CarModel("Geely", "Emgrand", "L6T", "75MC7", "N"), 10),
        (CarModel("Volkswagen", "Lavida", "LSV", "AA6BR", "N"), 11),
        (CarModel("Toyota", "Corolla", "LFM", "A1BE0", "C"), 8),
        (CarModel("Nissan", "Sylphy", "LGB", "H52E0", "Z"), 9),
        (CarModel("Honda", "Accord", "LHG", "CV168", "N"), 6),
        (CarModel("Buick", "Excelle GT", "LSG", "KB54H", "S"), 6),
        (CarModel("Wuling", "Hongguang", "LZW", "ACAGA", "N"), 7),
        (CarModel("Changan", "CS75", "LS5", "A3DE5", "B"), 6),
        (CarModel("Haval", "H6", "LGW", "EF4A5", "B"), 7),
        (CarModel("Tesla", "Model 3", "LRW", "3E7EA", "C", True), 5),
        (CarModel("Chery", "Tiggo 8", "LVV", "DB21B", "D"), 5),
    ]
)
YEAR_CODES = dict(zip(range(2010, 2031), "ABCDEFGHJKLMNPRSTVWXY", strict=True))
PLATE_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"  # no I, O, Q
PRIVATE_USES = Weighted(
    [
        (VehicleUse.PRIVATE, 88),
        (VehicleUse.TAXI, 6),
        (VehicleUse.COMMERCIAL, 4),
        (VehicleUse.CARGO, 2),
    ]
)
COMPANY_USES = Weighted(
    [(VehicleUse.COMMERCIAL, 50), (VehicleUse.CARGO, 30), (VehicleUse.PRIVATE, 20)]
)


def shift_year(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def vin(car: CarModel, year: int, serial: str) -> str:
    draft = f"{car.wmi}{car.vds}0{YEAR_CODES[year]}{car.plant}{serial}"
    return draft[:8] + vin_check_digit(draft) + draft[9:]


class _PolicyMaker:
    def __init__(self, ctx: DemoContext, insurers: dict[str, Insurer]):
        self.ctx, self.rng = ctx, ctx.rng
        self.today = today = demo_today(ctx)
        self.year_ago = shift_year(today, -1)
        self.past_days = (today - self.year_ago).days
        self.insurers = insurers
        self.sequences = dict.fromkeys(insurers, 0)
        self.salt = ctx.rng.randrange(10**6)
        self.vehicles = 0
        self.conditions = {
            (code, line): self._conditions(insurer, line)
            for code, insurer in insurers.items()
            for line in (Line.AUTO, Line.HEALTH, Line.LIFE, Line.PROPERTY)
        }

    @staticmethod
    def _conditions(insurer: Insurer, line: str) -> str:
        if insurer.code in ("picc", "taiping"):
            return (
                f"{insurer.name}{LINE_NAMES['zh-hans'][line]}保险条款（2024 版），"
                "以保险单及其附件为准。"
            )
        return (
            f"Condiciones generales de {LINE_NAMES['es'][line]} de {insurer.name}, "
            "registradas ante la CNSF; la póliza y sus endosos forman parte del contrato."
        )

    def end_date(self) -> date:
        """The end of a client's current policy: a good share within the next 30 days."""
        r = self.rng.random()
        if r < 0.30:
            return self.today + timedelta(days=self.rng.randrange(0, 31))
        if r < 0.55:
            return self.today + timedelta(days=self.rng.randrange(31, 121))
        return self.today - timedelta(days=self.rng.randrange(1, self.past_days + 1))

    def premium(self, currency: str, line: str) -> Decimal:
        low, high = PREMIUMS[currency, line]
        return Decimal(f"{self.rng.randint(low, high)}.{self.rng.randrange(100):02d}")

    def number(self, code: str) -> str:
        self.sequences[code] += 1
        return f"{code.upper()}-{self.sequences[code]:08d}"

    def policy(self, *, holder, agent, code, line, currency, premium, end, status, risk):
        start = shift_year(end, -1)
        number = self.number(code)
        created = datetime.combine(start, time(), tzinfo=UTC) - timedelta(
            seconds=self.rng.randrange(10 * 86400)
        )
        return {
            "number": number,
            "number_key": number.replace("-", ""),
            "insurer_id": self.insurers[code].pk,
            "holder_id": holder,
            "agent_id": agent,
            "line": line,
            "coverage": risk["coverage"],
            "premium": premium,
            "currency": currency,
            "payment_frequency": risk["frequency"],
            "start_date": start,
            "end_date": end,
            "status": status,
            "general_conditions": self.conditions[code, line],
            "created_at": created,
            "written_on": created.date(),  # the demo brokerage sold its whole book
        }

    def vehicle(self, region, corporate: bool, start: date) -> dict:
        rng = self.rng
        zh = region.language != "es"
        car = (ZH_CARS if zh else ES_CARS).pick(rng)
        year = rng.randint(2012, min(2026, start.year + 1))
        self.vehicles += 1
        serial = unique_number(self.vehicles, 6, self.salt)
        if zh:
            letters = region.plate
            tail = (
                f"D{rng.randrange(100000):05d}"
                if car.new_energy
                else f"{rng.choice(PLATE_LETTERS + '0123456789')}{rng.randrange(10000):04d}"
            )
            plate = f"{letters[0]}{rng.choice(letters[1:])}{tail}"
        else:
            plate = "".join(rng.choice(PLATE_LETTERS) for _ in range(3)) + (
                f"{rng.randrange(10000):04d}"
            )
        return {
            "make": car.make,
            "model": car.model,
            "year": year,
            "vin": vin(car, year, serial),
            "plate": plate,
            "use": (COMPANY_USES if corporate else PRIVATE_USES).pick(rng),
            "inspection_due": self.today + timedelta(days=rng.randrange(-30, 330)),
            "licence_expiry": self.today + timedelta(days=rng.randrange(-60, 5 * 365)),
        }

    def risks(self, status: int) -> int:
        if status == ACTIVE:
            return ACTIVE_RISKS.pick(self.rng)
        if status == FORMER:
            return FORMER_RISKS.pick(self.rng)
        return 0  # prospects hold no policy yet

    def for_client(self, holder, agent, region, corporate, status, firsts, seconds):
        """Append the client's policies (rows for BulkInserter): ``firsts`` need nothing
        inserted before them; ``seconds`` renew a policy of ``firsts`` (row["_previous"])."""
        rng = self.rng
        lang = region.language
        currency = Currency.MXN if lang == "es" else Currency.CNY
        picks = ES_INSURERS if lang == "es" else ZH_INSURERS
        for _ in range(self.risks(status)):
            line = (CORPORATE_LINES if corporate else INDIVIDUAL_LINES).pick(rng)
            code = picks[line].pick(rng)
            risk = {
                "coverage": rng.choice(COVERAGES[lang, line]),
                "frequency": FREQUENCIES.pick(rng),
            }
            if status == FORMER:
                end = self.today - timedelta(days=rng.randrange(1, self.past_days + 1))
            else:
                end = self.end_date()
            premium = self.premium(currency, line)
            common = {
                "holder": holder,
                "agent": agent,
                "line": line,
                "currency": currency,
                "risk": risk,
            }
            if end >= self.today:
                previous = None
                if rng.random() < RENEWED_SHARE:
                    before = code if rng.random() < 0.8 else picks[line].pick(rng)
                    change = Decimal(rng.randint(85, 110)) / 100
                    previous = self.policy(
                        code=before,
                        premium=(premium / change).quantize(Decimal("0.01")),
                        end=shift_year(end, -1),
                        status=PolicyStatus.RENEWED,
                        **common,
                    )
                current = self.policy(
                    code=code, premium=premium, end=end, status=PolicyStatus.ACTIVE, **common
                )
                if previous is None:
                    firsts.append(current)
                else:
                    firsts.append(previous)
                    seconds.append(current)
                    current["_previous"] = previous
            elif status != FORMER and rng.random() < RECENTLY_RENEWED_SHARE:
                # Ended this year and renewed with us: the new policy runs from the old end.
                previous = self.policy(
                    code=code, premium=premium, end=end, status=PolicyStatus.RENEWED, **common
                )
                change = Decimal(rng.randint(95, 115)) / 100
                current = self.policy(
                    code=code if rng.random() < 0.85 else picks[line].pick(rng),
                    premium=(premium * change).quantize(Decimal("0.01")),
                    end=shift_year(end, 1),
                    status=PolicyStatus.ACTIVE,
                    **common,
                )
                current["start_date"] = end  # (shift_year moves a 29 February)
                firsts.append(previous)
                seconds.append(current)
                current["_previous"] = previous
            else:
                # Ended and not renewed: still "expired" while the renewal desk works it,
                # "lapsed" once it has been over for a month (or lapsed anyway, a few).
                over = (self.today - end).days
                lapsed = over > 30 and rng.random() < 0.6
                current = self.policy(
                    code=code,
                    premium=premium,
                    end=end,
                    status=PolicyStatus.LAPSED if lapsed else PolicyStatus.EXPIRED,
                    **common,
                )
                previous = None
                firsts.append(current)
            if line == Line.AUTO:
                data = self.vehicle(region, corporate, (previous or current)["start_date"])
                current["_vehicle"] = data
                if previous is not None:
                    previous["_vehicle"] = data


# The Chinese insurers' reports list mobiles without +86 and amounts in yuan, for clients who
# read Chinese; the others are read with the brokerage's defaults (Mexico).
CHINESE_INSURERS = {"picc", "taiping", "pingan", "cpic", "chinalife-pc", "dadi"}


def _country(code: str) -> dict:
    if code in CHINESE_INSURERS:
        return {"country": "CN", "currency": Currency.CNY, "client_language": "zh-hans"}
    return {}


def seed_insurers(ctx: DemoContext) -> dict[str, Insurer]:
    existing = {i.code: i for i in Insurer.objects.filter(code__in=[c for c, _, _ in INSURERS])}
    Insurer.objects.bulk_create(
        [
            Insurer(code=code, name=name, preferred=preferred, **_country(code))
            for code, name, preferred in INSURERS
            if code not in existing
        ]
    )
    market = set(
        Insurer.objects.filter(code__in=[c for c, _ in MARKET_INSURERS]).values_list(
            "code", flat=True
        )
    )
    Insurer.objects.bulk_create(
        [
            Insurer(code=code, name=name, contracted=False, **_country(code))
            for code, name in MARKET_INSURERS
            if code not in market
        ]
    )
    return {i.code: i for i in Insurer.objects.filter(code__in=[c for c, _, _ in INSURERS])}


def seed_policies(ctx: DemoContext) -> None:
    """Insurers, about two policies per client, and a vehicle on every auto policy."""
    started = monotonic()
    insurers = seed_insurers(ctx)
    book: DemoBook = ctx.data.get("clients") or DemoBook()
    maker = _PolicyMaker(ctx, insurers)
    today = maker.today
    policies, vehicles = BulkInserter(Policy), BulkInserter(Vehicle)
    totals = {"policies": 0, "vehicles": 0, "active": 0, "soon": 0, "renewed": 0}
    soon = today + timedelta(days=30)
    for start in range(0, len(book), CLIENT_CHUNK):
        firsts: list[dict] = []
        seconds: list[dict] = []
        for i in range(start, min(start + CLIENT_CHUNK, len(book))):
            maker.for_client(
                book.ids[i],
                book.owners[i] or None,
                REGIONS[book.regions[i]],
                book.corporate[i],
                book.statuses[i],
                firsts,
                seconds,
            )
        policies.insert(firsts)
        for row in seconds:
            row["previous_policy_id"] = row.pop("_previous")["id"]
        policies.insert(seconds)

        cars = []
        for row in firsts + seconds:
            data = row.get("_vehicle")
            if data is not None:
                cars.append({"policy_id": row["id"], **data})
            if row["status"] == PolicyStatus.ACTIVE:
                totals["active"] += 1
                totals["soon"] += row["end_date"] <= soon
        vehicles.insert(cars)
        totals["policies"] += len(firsts) + len(seconds)
        totals["renewed"] += len(seconds)
        totals["vehicles"] += len(cars)
        del firsts, seconds, cars
    policies.analyze()
    vehicles.analyze()
    ctx.write(
        f"policies: {totals['policies']} over {len(insurers)} insurers, "
        f"{totals['vehicles']} vehicles ({totals['active']} active, {totals['soon']} ending "
        f"within 30 days, {totals['renewed']} renewing last year's policy) "
        f"in {monotonic() - started:.1f} s"
    )


# --- Prospects: quotations sent, their follow-ups, documents kept in policies' files ---------

PROSPECT_QUOTATIONS = 12  # quotations to prospects, whatever the size of the book
EMAILED = 2  # of them sent by e-mail with the printed quotation (the rest by WhatsApp)
POLICY_DOCUMENTS = 8  # auto policies with a copy of the vehicle registration in their file
# A one-page PDF (a scanned copy stands in for it in the demo).
DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
PROSPECT_NEEDS = {
    "es": [
        (Line.AUTO, "Seguro para la camioneta nueva"),
        (Line.HEALTH, "Gastos médicos para la familia"),
        (Line.PROPERTY, "Seguro de la casa"),
    ],
    "zh-hans": [(Line.AUTO, "新车商业险"), (Line.HEALTH, "家庭医疗险")],
}


def _prospect_quotes(ctx, insurers, language: str, line: str, today: date) -> list[dict]:
    """Two or three insurers' quotes for a need, the preferred insurer's among them for a
    Mexican client (it prints first whatever its price)."""
    rng = ctx.rng
    currency = Currency.MXN if language == "es" else Currency.CNY
    picks = ES_INSURERS if language == "es" else ZH_INSURERS
    codes = ["hdi"] if language == "es" and "hdi" in insurers else []
    for _ in range(8):
        code = picks[line].pick(rng)
        if code not in codes:
            codes.append(code)
        if len(codes) == (3 if language == "es" else 2):
            break
    low, high = PREMIUMS[currency, line]
    return [
        {
            "insurer": insurers[code],
            "premium": Decimal(f"{rng.randint(low, high)}.{rng.randrange(100):02d}"),
            "currency": currency,
            "coverage": rng.choice(COVERAGES[language, line]),
            "valid_until": today + timedelta(days=30),
        }
        for code in codes
    ]


def seed_prospects(ctx: DemoContext) -> None:
    """A few quotations to the owners' prospects, sent through the outbox (two by e-mail with
    the printed quotation, the rest by WhatsApp), each booking its follow-up call (half of them
    on today's lists); documents kept in some auto policies' files, and a request to send one
    again. Through the services, as the agents would: a handful of rows whatever the book."""
    from clients.models import ClientStatus

    from .documents import documents_request_again, policy_document_upload
    from .sending import quotation_send
    from .services import quotation_create

    started = monotonic()
    today = demo_today(ctx)
    insurers = seed_insurers(ctx)
    prospects = list(
        Client.objects.filter(status=ClientStatus.PROSPECT, owner__isnull=False)
        .exclude(email="", whatsapp="")
        .select_related("owner")
        .order_by("pk")[:PROSPECT_QUOTATIONS]
    )
    sent = emailed = 0
    for index, client in enumerate(prospects):
        language = client.language if client.language in PROSPECT_NEEDS else "es"
        line, need = ctx.rng.choice(PROSPECT_NEEDS[language])
        quotation = quotation_create(
            client=client, by=client.owner, line=line, description=need,
            quotes=_prospect_quotes(ctx, insurers, language, line, today),
        )  # fmt: skip
        if index % 2 == 0:  # the client asked to be called today
            Quotation.objects.filter(pk=quotation.pk).update(follow_up_on=today)
        channel = "email" if client.email and emailed < EMAILED else "whatsapp"
        if channel == "whatsapp" and not client.whatsapp:
            continue
        quotation_send(quotation=quotation, by=client.owner, channel=channel)
        sent += 1
        emailed += channel == "email"
    policies = list(
        Policy.objects.filter(
            line=Line.AUTO, status=PolicyStatus.ACTIVE, agent__isnull=False,
            holder__owner=models.F("agent"),
        )
        .select_related("holder", "agent", "insurer")
        .order_by("pk")[:POLICY_DOCUMENTS]
    )  # fmt: skip
    for policy in policies:
        policy_document_upload(
            policy=policy, by=policy.agent, kind="vehicle_registration",
            upload=ContentFile(DEMO_PDF, name="tarjeta-de-circulacion.pdf"),
            description=str(policy.vehicles.first() or ""),
        )  # fmt: skip
    requested = 0
    for policy in policies[:2]:
        if policy.holder.email or policy.holder.whatsapp or policy.holder.phone:
            documents_request_again(
                client=policy.holder, by=policy.agent, problems=["wrong_vin"], policy=policy
            )
            requested += 1
    ctx.write(
        f"prospects: {len(prospects)} quotations, {sent} sent ({emailed} by e-mail), "
        f"{len(policies)} policy documents, {requested} documents requested again "
        f"in {monotonic() - started:.1f} s"
    )
