"""The reports' read replica: with REPORTS_DATABASE = "replica" (DATABASE_REPLICA_URL set), the
dashboards' figures, their .xlsx export and the whole-dashboard PDF read the replica; their
writes (the export's record, the print's progress and file) and every other page go to
default. The replica here is a second alias mirroring the test database (test_settings.py),
a separate connection: the tests commit (transaction=True) so that it sees the rows."""

import datetime
from decimal import Decimal

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from brokerage.accounts.tests.factories import TeamFactory, UserFactory
from brokerage.core.models import ExportRecord
from brokerage.db_routers import ReportsReplicaRouter, reading_reports
from clients.tests.factories import ClientFactory
from policies.tests.factories import PolicyFactory
from renewals.models import CaseStatus, RenewalCase
from renewals.tests.factories import RenewalCaseFactory
from reports.analytic import analytic
from reports.models import DashboardPrint, PrintStatus

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])

D = datetime.date
CASES = RenewalCase._meta.db_table
WRITES = ("INSERT", "UPDATE", "DELETE")


@pytest.fixture
def book():
    manager = UserFactory(roles=["manager"])
    team = TeamFactory(name="Norte", manager=manager)
    ana = UserFactory(roles=["agent"], team=team, first_name="Ana", last_name="Ruiz")
    holder = ClientFactory(owner=ana)
    policy = PolicyFactory(holder=holder, agent=ana, premium=Decimal("800.00"),
                           end_date=D(2026, 3, 10), start_date=D(2025, 3, 10))  # fmt: skip
    new = PolicyFactory(holder=holder, agent=ana, written_on=D(2026, 3, 1),
                        premium=Decimal("1000.00"), previous_policy=policy)  # fmt: skip
    RenewalCaseFactory(policy=policy, status=CaseStatus.WON, new_policy=new)
    return {"manager": manager, "ana": ana, "holder": holder}


@pytest.fixture
def replica(settings):
    settings.REPORTS_DATABASE = "replica"
    return connections["replica"]


class Queries:
    """The statements each alias ran inside the block."""

    def __enter__(self):
        self.captured = {a: CaptureQueriesContext(connections[a]) for a in ("default", "replica")}
        for context in self.captured.values():
            context.__enter__()
        return self

    def __exit__(self, *exc):
        for context in self.captured.values():
            context.__exit__(*exc)

    def sql(self, alias) -> list[str]:
        return [q["sql"] for q in self.captured[alias].captured_queries]

    def reading(self, alias, table) -> list[str]:
        return [s for s in self.sql(alias) if f'"{table}"' in s]

    def writes(self, alias) -> list[str]:
        return [s for s in self.sql(alias) if s.lstrip().upper().startswith(WRITES)]


def test_it_reads_a_dashboard_views_figures_from_the_replica(client, book, replica):
    client.force_login(book["manager"])
    params = {"start": "2026-01-01", "end": "2026-12-31"}
    with Queries() as queries:
        response = client.get("/reports/renewals/", params)
        pipeline = client.get("/reports/pipeline/", params)
    assert response.status_code == pipeline.status_code == 200
    # The figures are the replica's (the mirror holds the same rows): one policy ended, renewed.
    figures = response.context["figures"]
    assert "100" in response.content.decode() and figures
    assert queries.reading("replica", CASES)
    assert not queries.reading("default", CASES)
    assert not queries.writes("replica")
    # The replica's transaction is read-only: a write there would fail, not land.
    assert any("SET TRANSACTION READ ONLY" in s for s in queries.sql("replica"))


def test_it_reads_the_same_figures_from_default_without_a_replica(client, book):
    client.force_login(book["manager"])
    params = {"start": "2026-01-01", "end": "2026-12-31"}
    with Queries() as queries:
        page = client.get("/reports/renewals/", params).content.decode()
    assert queries.sql("replica") == []
    assert queries.reading("default", CASES)
    assert "100" in page


def test_an_export_reads_the_replica_and_records_itself_on_default(client, book, replica):
    client.force_login(book["manager"])
    with Queries() as queries:
        response = client.get("/reports/agents/", {"export": "xlsx", "start": "2026-01-01",
                                                   "end": "2026-12-31"})  # fmt: skip
    assert response.status_code == 200
    record = ExportRecord.objects.get(what="report:agents")
    assert record.user == book["manager"]
    assert [s for s in queries.writes("default") if ExportRecord._meta.db_table in s]
    assert not queries.writes("replica")
    assert queries.sql("replica")


def test_a_print_reads_the_replica_and_writes_its_progress_and_file_on_default(
    client, book, replica
):
    client.force_login(book["manager"])
    with Queries() as queries:
        response = client.post("/reports/prints/", {"start": "2026-01-01", "end": "2026-12-31"})
    printed = DashboardPrint.objects.get()
    assert response["Location"] == f"/reports/prints/{printed.pk}/"
    assert printed.status == PrintStatus.DONE and printed.file
    assert printed.views_done == printed.views_total
    assert queries.reading("replica", CASES)
    assert not queries.reading("default", CASES)
    assert not queries.writes("replica")
    prints = DashboardPrint._meta.db_table
    assert [s for s in queries.writes("default") if prints in s]
    assert ExportRecord.objects.filter(what="report:dashboard.pdf").count() == 1


def test_other_pages_never_touch_the_replica(client, book, replica):
    pages = {
        book["ana"]: ["/queue/", "/clients/", f"/clients/{book['holder'].pk}/",
                      "/reports/mine/"],
        book["manager"]: ["/clients/", "/renewals/"],
    }  # fmt: skip
    for user, urls in pages.items():
        client.force_login(user)
        for url in urls:
            with Queries() as queries:
                response = client.get(url)
            assert response.status_code == 200, url
            assert queries.sql("default"), url
            # The agent's own figures are a report (they read the replica), nothing else is.
            if url == "/reports/mine/":
                assert queries.reading("replica", CASES)
                assert not queries.writes("replica")
            else:
                assert queries.sql("replica") == [], url


def test_the_router_sends_writes_to_default_even_while_reading_reports():
    router = ReportsReplicaRouter()
    assert router.db_for_read(RenewalCase) == "default"
    with reading_reports("replica"):
        assert router.db_for_read(RenewalCase) == "replica"
        assert router.db_for_write(RenewalCase) == "default"
        assert router.db_for_write(ExportRecord) == "default"
    assert router.db_for_read(RenewalCase) == "default"
    assert router.allow_migrate("default", "renewals") is True
    assert router.allow_migrate("replica", "renewals") is False
    # A report that fails still leaves the context.
    with pytest.raises(ZeroDivisionError), reading_reports("replica"):
        1 / 0  # noqa: B018
    assert router.db_for_read(RenewalCase) == "default"


def test_a_write_inside_the_report_context_lands_on_default(book, replica):
    with Queries() as queries, analytic():
        assert RenewalCase.objects.count() == 1
        ExportRecord.objects.create(user=book["manager"], what="probe", filters={}, rows=0)
    assert [s for s in queries.writes("default") if ExportRecord._meta.db_table in s]
    assert not queries.writes("replica")
    assert queries.reading("replica", CASES)
    assert ExportRecord.objects.filter(what="probe").exists()
