"""The import engine against PostgreSQL: dry run, commit, re-import, row errors, resume."""

import datetime
import io
import threading
import zipfile
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from brokerage.accounts.tests.factories import UserFactory
from clients.models import Client
from imports import expiry, services
from imports.models import ColumnMapping, ImportJob, JobStatus, RowError
from imports.reader import ReportError
from imports.services import commit, dry_run, job_create
from imports.tests.conftest import HEADER, row, workbook
from policies.models import Policy, Vehicle
from policies.tests.factories import make_vin
from renewals.ladders import DEFAULT_RUNGS, validate_rungs
from renewals.models import Ladder, RenewalCase

pytestmark = pytest.mark.django_db


@pytest.fixture
def maint(db):
    return UserFactory(roles=["maintainer"])


def _job(hdi, maint, data, name="vencimientos.xlsx"):
    job, _table = job_create(insurer=hdi, by=maint, name=name, data=data)
    return job


def test_it_suggests_the_mapping_below_title_rows(hdi, maint):
    job = _job(hdi, maint, workbook([row(1)], title_rows=("HDI Seguros", "Noviembre", "")))
    assert job.header_row == 4
    assert job.columns["policy_number"] == "No. de Póliza"
    assert job.columns["end_date"] == "Fin de vigencia"
    assert job.columns["premium"] == "Prima Total"
    assert job.columns["vin"] == "Número de serie"


def test_a_dry_run_counts_and_changes_nothing(hdi, maint):
    job = dry_run(_job(hdi, maint, workbook([row(n) for n in range(1, 6)])))
    assert (job.created, job.updated, job.unchanged, job.errors) == (5, 0, 0, 0)
    assert job.status == JobStatus.PREVIEWED
    assert job.preview["rows"][0]["number"] == "HDI-00001"
    assert not Policy.objects.exists() and not Client.objects.exists()


# Before the rows' end date (1 December 2026): a policy already ended would also be lapsed,
# with a history row of its own, by the follow-up of its chunk.
BEFORE_THE_END = datetime.datetime(2026, 11, 20, 9, tzinfo=datetime.UTC)


@time_machine.travel(BEFORE_THE_END, tick=True)
def test_a_commit_writes_policies_clients_and_vehicles_with_history(hdi, maint):
    job = commit(_job(hdi, maint, workbook([row(1, **{"Número de serie": make_vin(11)})])))
    assert (job.created, job.errors, job.status) == (1, 0, JobStatus.DONE)
    policy = Policy.objects.get()
    assert policy.insurer == hdi and policy.number == "HDI-00001"
    assert policy.premium == Decimal("12500.00") and policy.end_date == datetime.date(2026, 12, 1)
    assert policy.history.get().history_user == maint
    client = policy.holder
    assert client.owner is None and client.tax_id == "PEPC000001AB1"
    assert client.phone.as_e164 == "+525510010001"
    assert client.history.get().history_change_reason == "imported"
    vehicle = Vehicle.objects.get()
    assert vehicle.vin == make_vin(11) and vehicle.plate == "ABC0001" and vehicle.year == 2022


@time_machine.travel(BEFORE_THE_END, tick=True)
def test_importing_the_same_file_again_changes_nothing(hdi, maint):
    data = workbook([row(n) for n in range(1, 4)])
    commit(_job(hdi, maint, data))
    again = commit(_job(hdi, maint, data))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert Policy.objects.count() == 3 and Client.objects.count() == 3
    assert Policy.history.count() == 3


def test_a_changed_row_is_updated_field_by_field_with_history(hdi, maint):
    commit(_job(hdi, maint, workbook([row(1), row(2), row(3)])))
    job = commit(_job(hdi, maint, workbook([row(1, **{"Prima Total": "13.100,00"}), row(2)])))
    assert (job.created, job.updated, job.unchanged) == (0, 1, 1)
    policy = Policy.objects.get(number="HDI-00001")
    assert policy.premium == Decimal("13100.00")
    latest = policy.history.first()
    assert latest.history_type == "~" and latest.prev_record.premium == Decimal("12500.00")
    assert job.diff["changed"] == {"HDI-00001": {"premium": ["12500.00", "13100.00"]}}
    # Listed as the report wrote it (matched by its normal form, HDI00003).
    assert job.diff["gone"] == ["HDI-00003"] and job.diff["new_count"] == 0


def test_a_client_is_matched_on_tax_id_and_keeps_what_staff_entered(hdi, maint):
    commit(_job(hdi, maint, workbook([row(1)])))
    client = Client.objects.get()
    Client.objects.filter(pk=client.pk).update(email="", phone="+525598765432")
    commit(
        _job(hdi, maint, workbook([row(2, RFC="PEPC000001AB1", **{"Asegurado": "Otro Nombre"})]))
    )
    assert Client.objects.count() == 1
    client.refresh_from_db()
    assert client.phone.as_e164 == "+525598765432"  # not overwritten
    assert Policy.objects.filter(holder=client).count() == 2


def test_tax_ids_match_in_normal_form_however_written(hdi, maint):
    """A file whose RFC staff typed with dashes is the report's RFC written without them (and
    the other way round); a new client's ID is stored in its normal form."""
    staff = Client.objects.create(
        first_name="Carla", display_name="Carla", tax_id="PEPC-000001-AB1"
    )
    commit(_job(hdi, maint, workbook([row(1, RFC="pepc000001ab1"), row(2, RFC="PEPC 000002-AB1")])))
    assert Client.objects.count() == 2
    assert Policy.objects.get(number="HDI-00001").holder == staff
    new = Policy.objects.get(number="HDI-00002").holder
    assert new.tax_id == "PEPC000002AB1"
    commit(_job(hdi, maint, workbook([row(3, RFC="pepc-000002.ab1")])))
    assert Client.objects.count() == 2
    assert Policy.objects.get(number="HDI-00003").holder == new


def test_1000_rows_with_37_bad_import_the_963_good_ones(hdi, maint):
    rows = []
    bad = {n: i % 3 for i, n in enumerate(range(5, 1000, 27))}  # 37 rows, three faults
    assert len(bad) == 37
    for n in range(1000):
        if n in bad:
            kind = bad[n]
            rows.append(
                row(n, **{"Fin de vigencia": "31/02/2026"}) if kind == 0
                else row(n, **{"Prima Total": "doce mil"}) if kind == 1
                else row(n, **{"No. de Póliza": ""})
            )  # fmt: skip
        else:
            rows.append(row(n))
    job = commit(_job(hdi, maint, workbook(rows)))
    assert (job.created, job.errors) == (963, 37)
    assert Policy.objects.count() == 963
    errors = list(RowError.objects.filter(job=job))
    assert len(errors) == 37
    first = errors[0]
    assert first.row == 5 + 3  # a title row and the header above the data
    assert "Not a real date" in first.reason and first.column == "Fin de vigencia"
    dates = RowError.objects.filter(job=job, column="Fin de vigencia")
    assert {e.reason for e in dates} == {"Not a real date: 31/02/2026."}
    assert {e.column for e in errors} == {"Fin de vigencia", "Prima Total", "No. de Póliza"}


def test_a_duplicate_row_inside_one_file_is_an_error(hdi, maint):
    job = dry_run(_job(hdi, maint, workbook([row(1), row(2), row(1)])))
    assert (job.created, job.errors) == (2, 1)
    error = RowError.objects.get(job=job)
    assert error.row == 5 and "row 3" in error.reason


@pytest.mark.parametrize("value", ["2026-12-01", "01/12/2026", "1.12.2026", "2026年12月1日", 46357])
def test_dates_in_five_shapes_land_as_the_same_day(hdi, maint, value):
    commit(_job(hdi, maint, workbook([row(1, **{"Fin de vigencia": value})])))
    assert Policy.objects.get().end_date == datetime.date(2026, 12, 1)


def test_invalid_vins_and_phones_are_reported_with_the_reason(hdi, maint):
    job = dry_run(
        _job(hdi, maint, workbook([
            row(1, **{"Número de serie": "1HGCM82633A00435O"}),
            row(2, **{"Teléfono": "12"}),
        ]))
    )  # fmt: skip
    reasons = dict(RowError.objects.filter(job=job).values_list("column", "reason"))
    assert "O" in reasons["Número de serie"]
    assert "phone" in reasons["Teléfono"]


def test_files_that_are_not_reports_are_refused_with_a_clear_message(hdi, maint):
    cases = {
        b"": "empty",
        b"MZ\x90\x00\x03" + b"\x00" * 200: "not a spreadsheet",
        workbook([row(1)], header=["Foo", "Bar", "Baz"]): "No header row found",
    }
    for data, message in cases.items():
        with pytest.raises(ReportError, match=message):
            job_create(insurer=hdi, by=maint, name="x.xlsx", data=data)
    assert not ImportJob.objects.exists()


def test_a_zip_bomb_is_refused_before_parsing(hdi, maint):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\x00" * (64 * 2**20))
    with pytest.raises(ReportError, match="compressed"):
        job_create(insurer=hdi, by=maint, name="bomb.xlsx", data=buffer.getvalue())


def test_missing_required_columns_are_named(hdi, maint):
    header = [h for h in HEADER if h != "Prima Total"]
    data = workbook([[v for h, v in zip(HEADER, row(1), strict=True) if h != "Prima Total"]],
                    header=header)  # fmt: skip
    job = _job(hdi, maint, data)
    with pytest.raises(ReportError, match="Premium"):
        dry_run(job)


def test_hidden_sheets_merged_headers_and_formulas(hdi, maint):
    from openpyxl import Workbook

    book = Workbook()
    hidden = book.active
    hidden.title = "Oculta"
    hidden.sheet_state = "hidden"
    hidden.append(HEADER)
    hidden.append(row(99))
    sheet = book.create_sheet("Datos")
    sheet.append(["Vencimientos"] + [""] * (len(HEADER) - 1))
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADER))
    sheet.append(HEADER)
    sheet.append(row(1, Modelo='=CONCAT("Ver","sa")'))
    buffer = io.BytesIO()
    book.save(buffer)
    job = commit(_job(hdi, maint, buffer.getvalue()))
    assert job.sheet == "Datos" and job.created == 1
    assert Policy.objects.get().number == "HDI-00001"  # not the hidden sheet's row 99


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "latin-1"])
def test_csv_files_in_four_encodings(hdi, maint, encoding):
    name = "张伟" if encoding == "gb18030" else "José Núñez"
    header = (
        "保单号,被保险人,保险止期,保费"
        if encoding == "gb18030"
        else "Póliza,Asegurado,Vencimiento,Prima"
    )
    text = f'{header}\nHDI-1,{name},2026-12-01,"12,500.00"\n'
    job = commit(_job(hdi, maint, text.encode(encoding), name="report.csv"))
    assert job.created == 1, RowError.objects.values_list("reason", flat=True)
    assert Policy.objects.get().holder.display_name.replace(" ", "") == name.replace(" ", "")


def test_a_legacy_xls_workbook_imports_with_real_dates_and_numbers(hdi, maint):
    import xlwt

    book = xlwt.Workbook()
    sheet = book.add_sheet("Vencimientos")
    sheet.write(0, 0, "Reporte de vencimientos HDI")
    dated = xlwt.easyxf(num_format_str="DD/MM/YYYY")
    for column, title in enumerate(HEADER):
        sheet.write(1, column, title)
    for line, n in enumerate((1, 2), start=2):
        values = dict(zip(HEADER, row(n), strict=True))
        values["Inicio de vigencia"] = datetime.date(2025, 12, 1)
        values["Fin de vigencia"] = datetime.date(2026, 12, 1)
        values["Prima Total"] = 12500.5 + n
        for column, title in enumerate(HEADER):
            value = values[title]
            if isinstance(value, datetime.date):
                sheet.write(line, column, value, dated)
            else:
                sheet.write(line, column, value)
    buffer = io.BytesIO()
    book.save(buffer)
    job = commit(_job(hdi, maint, buffer.getvalue(), name="vencimientos.xls"))
    assert (job.created, job.errors) == (2, 0), list(RowError.objects.values_list("reason"))
    policy = Policy.objects.get(number="HDI-00002")
    assert policy.end_date == datetime.date(2026, 12, 1)
    assert policy.premium == Decimal("12502.50")


def test_a_saved_mapping_is_reused_for_the_next_report(hdi, maint):
    data = workbook([row(1)], header=["Ref", *HEADER[1:]])
    job = _job(hdi, maint, data)
    assert "policy_number" not in job.columns
    services.mapping_save(job=job, by=maint, columns={**job.columns, "policy_number": "Ref"})
    assert ColumnMapping.objects.get(insurer=hdi).columns["policy_number"] == "Ref"
    assert _job(hdi, maint, data).columns["policy_number"] == "Ref"


def test_policies_entering_the_ladder_get_their_renewal_case(
    hdi, maint, django_capture_on_commit_callbacks
):
    Ladder.objects.update_or_create(
        code="design-card",
        defaults={"name": "30/25/15", "rungs": validate_rungs(DEFAULT_RUNGS), "is_default": True},
    )
    soon = (timezone.localdate() + datetime.timedelta(days=20)).isoformat()
    later = row(2, **{"Fin de vigencia": "01/12/2030", "Inicio de vigencia": "01/12/2029"})
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        commit(_job(hdi, maint, workbook([row(1, **{"Fin de vigencia": soon}), later])))
    assert len(callbacks) >= 1  # the renewals job runs once the commit is in
    case = RenewalCase.objects.get()
    assert case.policy.number == "HDI-00001"
    # The client has no owner: its touch waits for the distribution.
    assert case.policy.holder.owner is None


def test_a_crash_mid_import_leaves_whole_chunks_and_a_rerun_finishes(hdi, maint, monkeypatch):
    monkeypatch.setattr(services, "CHUNK", 2)
    data = workbook([row(n) for n in range(1, 8)])
    job = _job(hdi, maint, data)
    original = expiry.apply
    calls = []

    def crash_on_third(outcome, *, by):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("worker killed")
        return original(outcome, by=by)

    monkeypatch.setattr(expiry, "apply", crash_on_third)
    with pytest.raises(RuntimeError):
        commit(job)
    job.refresh_from_db()
    assert job.rows_done == 4 and Policy.objects.count() == 4  # two whole chunks
    monkeypatch.setattr(expiry, "apply", original)
    job = commit(job)
    assert job.status == JobStatus.DONE and Policy.objects.count() == 7
    assert Client.objects.count() == 7 and job.created == 7


def test_the_command_prints_errors_and_the_closing_line(hdi, maint, tmp_path):
    path = tmp_path / "hdi.xlsx"
    path.write_bytes(workbook([row(1), row(2, **{"Prima Total": "n/a"})]))
    out = io.StringIO()
    call_command("import_report", str(path), "--insurer", "hdi", "--user", maint.username,
                 "--dry-run", stdout=out)  # fmt: skip
    lines = out.getvalue().strip().splitlines()
    assert lines[-1] == "created=1 updated=0 unchanged=0 errors=1"
    assert any(line.strip().startswith("row 4, Prima Total: Not an amount") for line in lines)
    assert not Policy.objects.exists()
    out = io.StringIO()
    call_command("import_report", str(path), "--insurer", "hdi", "--user", maint.username,
                 stdout=out)  # fmt: skip
    assert out.getvalue().strip().splitlines()[-1] == "created=1 updated=0 unchanged=0 errors=1"
    assert Policy.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_imports_of_the_same_file_at_once_make_no_duplicates(hdi, maint):
    assert connection.vendor == "postgresql"
    data = workbook([row(n) for n in range(1, 60)])
    jobs = [_job(hdi, maint, data), _job(hdi, maint, data)]
    errors = []

    def run(job):
        try:
            commit(job)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    assert Policy.objects.count() == 59 and Client.objects.count() == 59
    results = sorted(
        ImportJob.objects.values_list("created", "unchanged"), key=lambda pair: -pair[0]
    )
    assert results == [(59, 0), (0, 59)]


def test_a_file_over_the_size_limit_is_refused(hdi, maint, settings):
    settings.IMPORT_MAX_BYTES = 1024
    with pytest.raises(ReportError, match="the limit is 0 MB"):
        job_create(insurer=hdi, by=maint, name="big.xlsx", data=workbook([row(1)] * 50))
    assert not ImportJob.objects.exists()
