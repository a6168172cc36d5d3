"""A column that holds make and model together, split on import."""

import pytest

from brokerage.accounts.tests.factories import UserFactory
from imports.services import commit, job_create
from imports.tests.conftest import workbook
from imports.vehicles import split_make_model
from policies.models import Policy, Vehicle


@pytest.mark.parametrize(
    ("text", "make", "model"),
    [
        ("NISSAN VERSA SENSE", "Nissan", "VERSA SENSE"),
        ("Toyota Corolla", "Toyota", "Corolla"),
        ("VW Jetta", "Volkswagen", "Jetta"),
        ("Mercedes Benz Clase C", "Mercedes-Benz", "Clase C"),
        ("TOYOTA/COROLLA", "Toyota", "COROLLA"),
        ("Honda - CR-V", "Honda", "CR-V"),
        ("CITROEN C4", "Citroën", "C4"),
        ("Great Wall Wingle", "Great Wall", "Wingle"),
        ("比亚迪秦PLUS", "比亚迪", "秦PLUS"),
        ("一汽-大众 速腾", "大众", "速腾"),
        ("广汽丰田凯美瑞", "丰田", "凯美瑞"),
        ("长安福特福克斯", "福特", "福克斯"),
        ("长安CS75", "长安", "CS75"),
        ("长城哈弗H6", "哈弗", "H6"),
        ("宝马X5", "宝马", "X5"),
        ("Toyota", "Toyota", ""),
        # no make recognised: the whole text is the model
        ("卡罗拉", "", "卡罗拉"),
        ("Kiara 2.0", "", "Kiara 2.0"),
        ("  ", "", ""),
        (None, "", ""),
    ],
)
def test_split_make_model(text, make, model):
    assert split_make_model(text) == (make, model)


HEADER = ["No. de Póliza", "Asegurado", "Fin de vigencia", "Prima neta (USD)", "Placas"]


def _import(hdi, header, rows):
    job, _table = job_create(
        insurer=hdi, by=UserFactory(roles=["maintainer"]), name="report.xlsx",
        data=workbook(rows, header=header),
    )  # fmt: skip
    return commit(job)


@pytest.mark.django_db
@pytest.mark.parametrize("combined", ["品牌车型", "Marca y submarca"])
def test_a_combined_column_is_split_on_import(hdi, combined):
    rows = [
        ["P-1", "Ana López", "01/12/2026", "1000", "ABC001", "NISSAN VERSA"],
        ["P-2", "Luis Díaz", "01/12/2026", "2000", "ABC002", "一汽-大众 速腾"],
        ["P-3", "Eva Ruiz", "01/12/2026", "3000", "ABC003", "卡罗拉"],
    ]
    job = _import(hdi, [*HEADER, combined], rows)
    assert job.columns["make"] == job.columns["model"] == combined
    assert (job.created, job.errors) == (3, 0)
    vehicles = {v.plate: (v.make, v.model) for v in Vehicle.objects.all()}
    assert vehicles == {
        "ABC001": ("Nissan", "VERSA"),
        "ABC002": ("大众", "速腾"),
        "ABC003": ("—", "卡罗拉"),  # make not recognised: left empty (shown as —)
    }


@pytest.mark.django_db
def test_separate_make_and_model_columns_are_not_split(hdi):
    rows = [["P-1", "Ana López", "01/12/2026", "1000", "ABC001", "Toyota", "Nissan Versa"]]
    _import(hdi, [*HEADER, "Marca", "Modelo"], rows)
    vehicle = Vehicle.objects.get()
    assert (vehicle.make, vehicle.model) == ("Toyota", "Nissan Versa")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("premium_header", "currency"),
    [("Prima neta (USD)", "USD"), ("保险费（人民币）", "CNY"), ("Premium (EUR)", "EUR")],
)
def test_the_premium_header_gives_the_currency_when_no_column_does(hdi, premium_header, currency):
    header = ["No. de Póliza", "Asegurado", "Fin de vigencia", premium_header]
    _import(hdi, header, [["P-1", "Ana López", "01/12/2026", "1000"]])
    assert Policy.objects.get().currency == currency


@pytest.mark.django_db
def test_a_currency_column_wins_over_the_premium_header(hdi):
    header = ["No. de Póliza", "Asegurado", "Fin de vigencia", "Prima neta (USD)", "Moneda"]
    _import(hdi, header, [["P-1", "Ana López", "01/12/2026", "1000", "MXN"]])
    assert Policy.objects.get().currency == "MXN"
