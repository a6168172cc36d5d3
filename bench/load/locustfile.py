"""Cartera's busiest hour under Locust: agents working their call lists, managers reading the
dashboards, and a maintainer importing an expiry report in the middle of it.

Run by ``bench/load/run.py`` (which prepares the database, serves gunicorn and the Celery
worker and tells this file who to sign in as through the environment):

- ``LOAD_AGENTS``: the agents' usernames, comma-separated (simulated agents take them in turn;
  more simulated agents than names share a name, each with its own session),
- ``LOAD_MANAGERS`` and ``LOAD_MANAGER_USERS``: the managers' usernames and how many
  simulated managers,
- ``LOAD_MAINTAINER``: the maintainer's username ("" for no import), ``LOAD_IMPORT_AFTER``:
  seconds after the start when the import begins, ``LOAD_IMPORT_ROWS``: its rows,
- ``LOAD_PASSWORD``: the demo password (``cartera-demo``).

Every simulated user signs in once through the login form (with its CSRF token) and keeps its
session. Cartera runs as in production behind a TLS proxy: each request says
``X-Forwarded-Proto: https`` and carries a same-origin ``Referer`` (Django's CSRF check on
HTTPS), and the session sends the ``Secure`` cookies back on this plain-HTTP loopback.
"""

import itertools
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from locust import HttpUser, between, task
from requests.cookies import RequestsCookieJar

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pages  # noqa: E402

PASSWORD = os.environ.get("LOAD_PASSWORD", "cartera-demo")
AGENTS = [a for a in os.environ.get("LOAD_AGENTS", "agent").split(",") if a]
MANAGERS = [m for m in os.environ.get("LOAD_MANAGERS", "manager").split(",") if m]
MAINTAINER = os.environ.get("LOAD_MAINTAINER", "maintainer")
IMPORT_AFTER = float(os.environ.get("LOAD_IMPORT_AFTER", "30"))
IMPORT_ROWS = int(os.environ.get("LOAD_IMPORT_ROWS", "200"))
STARTED = time.monotonic()
SEARCHES = ["García", "López", "Martínez", "Hernández", "Pérez", "Wang", "Li", "Zhang", "55 1"]
DASHBOARDS = [
    ("/reports/renewals/", "dashboard: renewal rate"),
    ("/reports/pipeline/", "dashboard: pipeline"),
    ("/reports/agents/", "dashboard: agent performance"),
    ("/accounts/team/", "team page"),
]

_agents = itertools.cycle(AGENTS)
_managers = itertools.cycle(MANAGERS)


class _LoopbackJar(RequestsCookieJar):
    """Keeps the Secure session and CSRF cookies as plain ones, so that they are sent over the
    loopback's HTTP (the TLS proxy stands in front of gunicorn in production)."""

    def set_cookie(self, cookie, *args, **kwargs):
        cookie.secure = False
        return super().set_cookie(cookie, *args, **kwargs)


class CarteraUser(HttpUser):
    abstract = True
    wait_time = between(1, 3)

    def on_start(self):
        origin = self.host.rstrip("/").replace("http://", "https://", 1)
        self.client.cookies = _LoopbackJar()
        self.client.headers.update({"X-Forwarded-Proto": "https", "Referer": f"{origin}/"})
        self.username = self.who()
        self.sign_in()

    def who(self) -> str:
        raise NotImplementedError

    def sign_in(self):
        """The login form once per session: GET for the CSRF token, POST the credentials."""
        page = self.client.get("/accounts/login/", name="sign in: form")
        data = {
            "csrfmiddlewaretoken": pages.csrf_token(page.text),
            "username": self.username,
            "password": PASSWORD,
            "next": "",
        }
        with self.client.post(
            "/accounts/login/", data=data, name="sign in", allow_redirects=False,
            catch_response=True,
        ) as response:  # fmt: skip
            if response.status_code != 302:
                response.failure(f"sign-in as {self.username} refused ({response.status_code})")

    def ok(self, response, *, expect=(200,)):
        if response.status_code == 0:  # no answer: the exception says why
            response.failure(f"no response: {response.error!r}")
            return False
        if response.status_code not in expect:
            response.failure(f"HTTP {response.status_code}")
            return False
        return True


class Agent(CarteraUser):
    """Works the call list: reads it, logs results through the cards' htmx forms, opens the
    client files it links to, and searches clients."""

    weight = 10

    def who(self):
        return next(_agents)

    def on_start(self):
        super().on_start()
        self.cards: list[pages.Card] = []
        self.call_list()

    @task(3)
    def call_list(self):
        with self.client.get("/queue/", name="call list", catch_response=True) as response:
            if self.ok(response):
                self.cards = pages.call_cards(response.text)
                random.shuffle(self.cards)

    @task(4)
    def log_result(self):
        if not self.cards:
            return self.call_list()
        card = self.cards.pop()
        data = {
            "csrfmiddlewaretoken": card.csrf,
            "token": card.token,
            "result": random.choice(card.results),
        }
        headers = {
            "HX-Request": "true",
            "HX-Target": f"item-{card.item}",
            "HX-Current-URL": f"{self.client.headers['Referer']}queue/",
        }
        with self.client.post(
            card.post_url, data=data, headers=headers, name="log result", catch_response=True
        ) as response:
            if self.ok(response) and 'data-testid="item-error"' in response.text:
                response.failure("result refused on the card")

    @task(2)
    def client_file(self):
        files = [c.client_url for c in self.cards if c.client_url]
        if not files:
            return
        with self.client.get(
            random.choice(files), name="client file", catch_response=True
        ) as response:
            self.ok(response)

    @task(1)
    def search(self):
        with self.client.get(
            "/clients/", params={"q": random.choice(SEARCHES)}, name="client search",
            catch_response=True,
        ) as response:  # fmt: skip
            self.ok(response)


class Manager(CarteraUser):
    """Opens the dashboards and the team page."""

    fixed_count = int(os.environ.get("LOAD_MANAGER_USERS", "1"))

    def who(self):
        return next(_managers)

    @task
    def dashboard(self):
        url, name = random.choice(DASHBOARDS)
        with self.client.get(url, name=name, catch_response=True) as response:
            self.ok(response)


class Maintainer(CarteraUser):
    """Uploads an expiry report through the imports pages once, LOAD_IMPORT_AFTER seconds
    into the run: upload, mapping (the suggested columns as the page selects them), dry run
    (by the Celery worker), commit, progress until done. The whole import is reported as
    "import: upload to done"."""

    fixed_count = 1 if MAINTAINER else 0
    wait_time = between(1, 2)

    def who(self):
        return MAINTAINER

    def on_start(self):
        super().on_start()
        self.imported = False

    @task
    def import_once(self):
        if self.imported or time.monotonic() - STARTED < IMPORT_AFTER:
            return
        self.imported = True
        started = time.monotonic()
        error = None
        try:
            self.run_import()
        except ImportFailed as exc:
            error = exc
        self.environment.events.request.fire(
            request_type="FLOW", name="import: upload to done",
            response_time=(time.monotonic() - started) * 1000, response_length=IMPORT_ROWS,
            exception=error, context={},
        )  # fmt: skip

    def run_import(self):
        page = self.client.get("/imports/", name="import: list")
        insurers = pages.select_options(page.text, "insurer")
        if not insurers:
            raise ImportFailed("no insurer to choose on the imports page")
        data = {
            "csrfmiddlewaretoken": pages.csrf_token(page.text),
            "kind": "expiry",
            "insurer": insurers[0],
        }
        files = {"file": ("vencimientos-carga.csv", expiry_report(IMPORT_ROWS), "text/csv")}
        upload = self.client.post(
            "/imports/", data=data, files=files, name="import: upload", allow_redirects=False
        )
        if upload.status_code != 302:
            raise ImportFailed(f"upload answered {upload.status_code}")
        mapping_url = upload.headers["Location"]
        mapping = self.client.get(mapping_url, name="import: mapping")
        values = pages.form_values(mapping.text, "mapping-form")
        if not values:
            raise ImportFailed("no mapping form")
        mapped = self.client.post(
            mapping_url, data=values, name="import: map and dry run", allow_redirects=False
        )
        if mapped.status_code != 302:
            raise ImportFailed(f"mapping answered {mapped.status_code}")
        detail_url = mapped.headers["Location"]
        commit_url = f"{detail_url}commit/"
        for _ in range(180):
            detail = self.client.get(detail_url, name="import: detail")
            if 'data-testid="commit"' in detail.text:
                break
            time.sleep(1)
        else:
            raise ImportFailed("the dry run did not end in 180 s (or offers no commit)")
        committed = self.client.post(
            commit_url, data={"csrfmiddlewaretoken": pages.csrf_token(detail.text)},
            name="import: commit", allow_redirects=False,
        )  # fmt: skip
        if committed.status_code != 302:
            raise ImportFailed(f"commit answered {committed.status_code}")
        for _ in range(600):
            progress = self.client.get(f"{detail_url}progress/", name="import: progress")
            if progress.status_code == 204:
                return
            time.sleep(1)
        raise ImportFailed("the import did not end in 600 s")


class ImportFailed(Exception):
    pass


def expiry_report(rows: int) -> bytes:
    """A small insurer's expiry report as CSV (the headers bench/import_expiry.py uses): new
    policies ending in the next weeks, numbered by the run so that each run adds its own."""
    run = int(time.time())
    today = datetime.now(UTC).date()
    lines = ["No. de Póliza,Asegurado,RFC,Teléfono,Inicio de vigencia,Fin de vigencia,Prima Total"]
    for n in range(rows):
        end = today + timedelta(days=5 + n % 40)
        start = end - timedelta(days=365)
        lines.append(
            f"CARGA-{run}-{n:05d},Cliente {n} Carga Pérez,CAPC{n % 10_000_000:07d}A1,"
            f"55 {1000 + n % 9000:04d} {n % 10000:04d},{start:%d/%m/%Y},{end:%d/%m/%Y},"
            f"{10000 + n % 5000}.50"
        )
    return ("\n".join(lines) + "\n").encode()
