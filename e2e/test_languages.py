"""Every main screen in Spanish and in Chinese (issue 13, item 11): each role signs in once and
opens its pages; each page must show its key words in the reader's language, and no English
left untranslated, no placeholder or msgid, and none of the other language's words. A
full-page screenshot of each page goes to e2e/artifacts/ for a person to read in context.

The book is the demo's (seed_demo, a fixed seed) after the morning jobs, plus an agent's
results logged in English: the timeline must show them in the reader's language."""

import datetime
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone, translation
from playwright.sync_api import expect

from brokerage.accounts.models import User
from brokerage.core.demo import DEMO_PASSWORD
from clients.models import Interaction
from imports.services import job_create
from imports.tests.conftest import row, workbook
from policies.models import Insurer, Quotation
from renewals.models import RenewalCase
from workqueue.models import ItemStatus, WorkItem
from workqueue.services import item_record_result

from .conftest import ARTIFACTS

pytestmark = pytest.mark.django_db(transaction=True)

# English words of the interface (case-sensitive, whole words) that must not show in es or zh.
ENGLISH = re.compile(
    r"\b(?:Renewals?|Polic(?:y|ies)|Clients?|Save|Search|Status|Premium|Due|Open|Closed|Case|"
    r"Insurers?|Export|Download|Call back|No answer|Dashboard|Team|Edit|Cancel|Show|Queue|"
    r"My queue|Points|Today|Month|None|Sign out|Interested|Renewed|Declined|Ladders?|Imports?|"
    r"Lost|Won|Name|Phone|Vehicle|Quotes?|Quotation|Contact|Distribution|Users|Active|Agents?|"
    r"Yes|Line|Reason|Date|Notes?|Result|Details|Add|New|Back|Filter|days?|from|to|by|of|the|and)\b"
)
# What an untranslated or broken string leaves on a page.
PLACEHOLDERS = re.compile(r"%\(\w+\)[sd]|%[sd]\b|\{\{|\{%|msgid|msgstr")
# Each language's own interface words that must not show on the other's pages (the demo's
# data has Spanish and Chinese names, addresses and insurers, none of these words).
SPANISH = re.compile(
    r"\b(?:Renovación|Renovaciones|Póliza|Pólizas|Guardar|Buscar|Estado|Prima|Aseguradora|"
    r"Agente|Vence|Abierta|Llamada|No contesta|Mostrar|Todos|Clientes|Editar|Descargar|Cerrar)\b"
)
CHINESE = re.compile(r"续保|保单|客户|保存|搜索|状态|保费|业务员|到期|回电|无人接听|全部|编辑")
# Words of an earlier, wrong reading (a date range's "to" as a message's recipient, a case as
# a "案例", a queue as a "cola"), anywhere but the outbox, where recipients are meant.
MISREAD = {
    "es": re.compile(r"destinatario|Mi cola|mantenedor"),
    "zh-hans": re.compile(r"收件人|案例|我的队列"),
}

# (role, page, path) → the words the page must show, in es and zh-hans.
PAGES = {
    "agent": [
        ("queue", "/queue/", {
            "es": ["Mi lista de llamadas", "Renovaciones", "No contesta", "Caso de renovación",
                   "Mis puntos", "Clasificación del equipo"],
            "zh-hans": ["我的待办", "续保", "无人接听", "续保案件", "我的积分", "团队排行榜"],
        }),
        ("callbacks", "/queue/callbacks/", {
            "es": ["Mis llamadas programadas", "Volver a llamar a las", "Tarea", "Nota"],
            "zh-hans": ["我的回电", "任务", "备注"],
        }),
        ("figures", "/reports/mine/", {
            "es": ["Mis cifras", "Agente", "Asignadas desde", "Mostrar"],
            "zh-hans": ["我的业绩", "业务员", "显示"],
        }),
        ("clients", "/clients/", {"es": ["Clientes", "Buscar"], "zh-hans": ["客户", "搜索"]}),
        ("client", "{client}", {
            "es": ["Historial de contactos", "Registrar contacto", "Renovación de",
                   "No contesta", "Pólizas"],
            "zh-hans": ["联系记录", "记录联系", "续保：无人接听", "保单"],
        }),
        ("policies", "/policies/", {
            "es": ["Pólizas", "Contratante", "Prima", "Vence"],
            "zh-hans": ["保单", "投保人", "保费"],
        }),
        ("policy", "{policy}", {"es": ["Póliza", "Vigencia"], "zh-hans": ["保单", "保险期间"]}),
    ],
    "manager": [
        ("dashboard", "/reports/renewals/", {
            "es": ["Tasa de renovación", "Ganadas", "Perdidas", "Aún abiertas", "Agrupar por"],
            "zh-hans": ["续保率", "续保成功", "续保失败", "仍在跟进", "分组方式", "至"],
        }),
        ("lost", "/reports/lost/", {
            "es": ["Renovaciones perdidas", "Perdidas"], "zh-hans": ["续保流失"],
        }),
        ("agents", "/reports/agents/", {
            "es": ["Desempeño de agentes", "Agente"], "zh-hans": ["业务员业绩", "业务员"],
        }),
        ("premium", "/reports/premium/", {"es": ["Prima emitida"], "zh-hans": ["出单保费"]}),
        ("pipeline", "/reports/pipeline/", {
            "es": ["Embudo de renovaciones"], "zh-hans": ["续保管道"],
        }),
        ("renewals", "/renewals/", {
            "es": ["Renovaciones", "Vence", "Calificación"], "zh-hans": ["续保", "到期日", "等级"],
        }),
        ("case", "{case}", {
            "es": ["Estado y resultado", "Prima del año pasado", "Calificación"],
            "zh-hans": ["状态与结果", "上年保费", "等级"],
        }),
        ("quotation", "{quotation}", {
            "es": ["Renovación de", "Aseguradora", "Prima"],
            "zh-hans": ["续保", "保险公司", "保费"],
        }),
        ("team", "/accounts/team/", {"es": ["Equipo"], "zh-hans": ["团队"]}),
        ("ladders", "/renewals/ladders/", {"es": ["Escalas"], "zh-hans": ["续保节点"]}),
        ("reassign", "/clients/reassign/", {"es": ["Reasignar"], "zh-hans": ["重新分配"]}),
    ],
    "maintainer": [
        ("imports", "/imports/", {"es": ["Importaciones"], "zh-hans": ["导入"]}),
        ("fix-contact", "/queue/maintainers/", {
            "es": ["Contactos por corregir"], "zh-hans": ["待修正联系方式"],
        }),
        ("distribution", "/queue/distribution/", {"es": ["Reparto"], "zh-hans": ["分配"]}),
        ("insurers", "/insurers/", {"es": ["Aseguradoras"], "zh-hans": ["保险公司"]}),
        ("team", "/accounts/team/", {"es": ["Equipo"], "zh-hans": ["团队"]}),
        ("outbox", "/outbox/", {"es": ["Bandeja de salida"], "zh-hans": ["发件箱"]}),
    ],
}  # fmt: skip


@pytest.fixture
def book(settings, tmp_path):
    """The demo book, the morning's call lists, and an agent's day logged in English: three
    failed calls (the client goes to the fix-contact queue), a call-back, an "interested"
    that opens the renewal quotation; and an uploaded report."""
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo", clients=40, seed=1, stdout=StringIO())
    call_command("run_morning_jobs", stdout=StringIO())
    agent = User.objects.get(username="agent")
    items = WorkItem.objects.filter(agent=agent, status=ItemStatus.OPEN, kind="renewal").order_by(
        "pk"
    )
    failed, later, interested = items[:3]
    with translation.override("en"):
        for _ in range(3):
            item_record_result(item=failed, by=agent, result="no_answer", note="voicemail")
        item_record_result(
            item=later, by=agent, result="call_back",
            callback_at=timezone.now() + datetime.timedelta(days=1), note="after lunch",
        )  # fmt: skip
        item_record_result(item=interested, by=agent, result="interested")
    job_create(
        insurer=Insurer.objects.filter(contracted=True).order_by("pk").first(),
        by=User.objects.get(username="maintainer"), name="vencimientos.xlsx",
        data=workbook([row(1), row(2)]),
    )  # fmt: skip
    case = RenewalCase.objects.get(pk=interested.subject_id)
    holder = Interaction.objects.filter(result="No answer").values("client_id")[:1].get()
    return {
        "client": f"/clients/{holder['client_id']}/",
        "policy": f"/policies/{case.policy_id}/",
        "case": f"/renewals/{case.pk}/",
        "quotation": f"/quotations/{Quotation.objects.get(renews=case.policy_id).pk}/",
    }


def _visible_text(page) -> str:
    return page.locator("nav").first.inner_text() + "\n" + page.locator("main").inner_text()


def _problems(text: str, language: str) -> list[str]:
    other = CHINESE if language == "es" else SPANISH
    return [
        f"{what}: {match.group(0)!r} in …{text[max(0, match.start() - 40) : match.end() + 40]!r}…"
        for what, pattern in (
            ("English", ENGLISH),
            ("placeholder", PLACEHOLDERS),
            ("other", other),
            ("misread", MISREAD[language]),
        )
        for match in pattern.finditer(text)
    ]


@pytest.mark.parametrize("language", ["es", "zh-hans"])
def test_every_main_screen_reads_in_the_users_language(browser, live_server, book, language):
    ARTIFACTS.mkdir(exist_ok=True)
    User.objects.filter(username__in=PAGES).update(language=language)
    problems = []
    for role, pages in PAGES.items():
        # The browser's own widgets (date and file inputs) as a user's browser shows them.
        locale = {"es": "es-MX", "zh-hans": "zh-CN"}[language]
        context = browser.new_context(base_url=live_server.url, locale=locale)
        context.set_default_timeout(10_000)
        page = context.new_page()
        page.goto("/accounts/login/")
        page.locator("input[name=username]").fill(role)
        page.locator("input[name=password]").fill(DEMO_PASSWORD)
        page.locator("main form button[type=submit]").click()
        expect(page.locator("nav")).to_contain_text(User.objects.get(username=role).first_name)
        for name, path, expected in pages:
            response = page.goto(path.format(**book))
            if response.status != 200:
                problems.append(f"{role} {path}: status {response.status}")
                continue
            page.screenshot(
                path=str(ARTIFACTS / f"languages-{language}-{role}-{name}.png"), full_page=True
            )
            text = _visible_text(page)
            missing = [words for words in expected[language] if words not in text]
            if missing:
                problems.append(f"{role} {path}: missing {missing}")
            problems += [
                f"{role} {path}: {p}"
                for p in _problems(text, language)
                # The outbox lists messages as their recipients read them: a Spanish
                # client's message on a Chinese maintainer's page is right there.
                if name != "outbox" or not p.startswith(("misread", "other"))
            ]
        context.close()
    assert not problems, "\n".join(problems)
