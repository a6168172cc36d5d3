"""Headers as insurers write them (units, notes, line breaks, abbreviations, full-width forms)
in English, Spanish and Chinese: normalised, then matched by the best fuzzy score."""

import pytest

from imports.fields import (
    THRESHOLD,
    choose_columns,
    header_currency,
    header_score,
    normalise_header,
    suggest_columns,
    suggest_mapping,
)
from imports.forms import MappingForm
from imports.models import ImportJob


@pytest.mark.parametrize(
    ("header", "normalised"),
    [
        ("Núm. de póliza:", "num de poliza"),
        ("Prima neta (MXN)", "prima neta"),
        ("Premium [USD]", "premium"),
        ("Prima {incl. IVA}", "prima"),
        ("保险费（人民币）", "保险费"),
        ("保 险\n费【元】：", "保险费"),
        ("Fecha de\ntérmino", "fecha de termino"),
        ("Policy\u00a0No.", "policy no"),
        ("ＰＲＩＭＡ\u3000ＴＯＴＡＬ", "prima total"),
        ("Prima (MXN", "prima"),
        ("(Póliza)", "poliza"),
        ("Insured's name", "insured name"),
        ("VIN码", "vin码"),
    ],
)
def test_headers_are_normalised(header, normalised):
    assert normalise_header(header) == normalised


@pytest.mark.parametrize(
    ("header", "field"),
    [
        # English
        ("Premium (USD)", "premium"),
        ("Policy No.:", "policy_number"),
        ("Expiry\ndate", "end_date"),
        ("Expiration Date (dd/mm/yyyy)", "end_date"),
        ("Ｐｏｌｉｃｙ\u3000ｎｕｍｂｅｒ", "policy_number"),
        ("Insured's name", "holder_name"),
        ("Mobile phone", "phone"),
        ("Plate\u00a0number", "plate"),
        # Spanish
        ("Prima neta (MXN)", "premium"),
        ("Fecha de\ntérmino", "end_date"),
        ("Núm. de póliza:", "policy_number"),
        ("Fin de vig.", "end_date"),
        ("Ini. vig.", "start_date"),
        ("Tel. celular", "phone"),
        ("Placa vehicular", "plate"),
        ("Prima total anual", "premium"),
        ("Nombre del\u00a0contratante", "holder_name"),
        ("Fecha vencimiento", "end_date"),
        # Chinese
        ("保险费（人民币）", "premium"),
        ("保费【元】", "premium"),
        ("车牌号码", "plate"),
        ("终保日期", "end_date"),
        ("保险到期日期", "end_date"),
        ("保单号：", "policy_number"),
        ("被保险人名称", "holder_name"),
        ("联系手机", "phone"),
    ],
)
def test_a_header_as_written_maps_to_its_field(header, field):
    suggestion = suggest_columns([header])[field]
    assert suggestion.header == header and suggestion.confident
    assert suggest_mapping([header]) == {field: header}


@pytest.mark.parametrize(
    "header",
    [
        # insurers' own columns, listed as not imported
        "Observaciones", "经办人", "Ejecutivo", "Sucursal", "Comisión", "Clave agente",
        "Fecha de nacimiento", "Derecho de póliza", "Sum insured", "Remarks", "备注", "手续费",
        "险种代码", "Importe IVA",
        # not listed: below the threshold on their own
        "Hotel", "Especificaciones", "Id", "No.", "Fecha", "Vigencia", "Total", "Gerente",
        "联系人", "Juan Pérez", "Reporte de vencimientos noviembre",
    ],
)  # fmt: skip
def test_an_unrelated_header_maps_to_nothing(header):
    assert suggest_mapping([header]) == {}
    assert all(not s.confident for s in suggest_columns([header]).values())


def test_staff_columns_do_not_become_the_agent():
    mapping = suggest_mapping(["No. de póliza", "Ejecutivo", "经办人", "Agente comisión"])
    assert mapping == {"policy_number": "No. de póliza"}


def test_a_lookalike_does_not_take_the_field_from_the_right_column():
    headers = ["Fecha de nacimiento", "Fin de vig.", "Póliza anterior", "Póliza"]
    mapping = suggest_mapping(headers)
    assert mapping["end_date"] == "Fin de vig."
    assert mapping["policy_number"] == "Póliza"
    assert "Fecha de nacimiento" not in mapping.values()


def test_each_field_takes_one_header_and_each_header_one_field():
    columns = suggest_columns(["Prima total", "Prima neta (MXN)", "Teléfono", "Tel. celular"])
    assert columns["premium"].header in ("Prima total", "Prima neta (MXN)")
    assert columns["phone"].header == "Teléfono"  # the exact name before the fuzzy one
    headers = [s.header for s in columns.values()]
    assert len(headers) == len(set(headers))


@pytest.mark.parametrize(
    "header", ["品牌车型", "Marca y submarca", "Marca/Modelo", "Make & model", "厂牌型号"]
)
def test_a_combined_column_maps_to_make_and_model(header):
    assert suggest_mapping(["Póliza", header]) == {
        "policy_number": "Póliza",
        "make": header,
        "model": header,
    }


def test_separate_make_and_model_columns_win_over_a_combined_one():
    assert suggest_mapping(["Marca y submarca", "Marca", "Modelo"]) == {
        "make": "Marca",
        "model": "Modelo",
    }


@pytest.mark.parametrize(
    ("header", "currency"),
    [
        ("Prima neta (MXN)", "MXN"),
        ("Prima (pesos)", "MXN"),
        ("Premium (USD)", "USD"),
        ("Premium US$", "USD"),
        ("Prima (dólares)", "USD"),
        ("Premium [EUR]", "EUR"),
        ("保险费（人民币）", "CNY"),
        ("保费(元)", "CNY"),
        ("Premium (RMB)", "CNY"),
        ("Prima", None),
        ("Prima ($)", None),
        (None, None),
    ],
)
def test_the_currency_a_premium_header_names(header, currency):
    assert header_currency(header) == currency


def test_the_header_row_names_more_fields_than_title_and_data_rows():
    title = ["Reporte de vencimientos (noviembre)", None, None]
    header = ["Núm. de póliza:", "Asegurado", "Fin de\nvigencia", "Prima neta (MXN)", "Ejecutivo"]
    data = ["HDI-00001", "Juan Pérez", "01/12/2026", "12,500.00", "Laura Gómez"]
    assert header_score(header) == 4
    assert header_score(title) == 0
    assert header_score(data) == 0
    assert header_score([20261201, 3.5, None]) == 0


def test_choose_columns_takes_the_saved_mapping_when_it_covers_the_required_fields():
    headers = ["Ref", "Cliente", "Vence", "Monto", "Prima neta"]
    saved = {"policy_number": "Ref", "holder_name": "Cliente", "end_date": "Vence",
             "premium": "Monto"}  # fmt: skip
    choice = choose_columns(headers, saved=saved)
    assert choice.source == "saved" and choice.columns == saved and not choice.missing


def test_choose_columns_completes_a_saved_mapping_with_confident_suggestions():
    headers = ["Ref", "Asegurado", "Fin de vig.", "Prima neta (MXN)"]
    choice = choose_columns(headers, saved={"policy_number": "Ref", "premium": "Gone"})
    assert choice.source == "suggested" and not choice.missing
    assert choice.columns == {"policy_number": "Ref", "holder_name": "Asegurado",
                              "end_date": "Fin de vig.", "premium": "Prima neta (MXN)"}  # fmt: skip
    assert set(choice.suggested) == {"holder_name", "end_date", "premium"}


def test_choose_columns_lists_what_is_missing_with_the_closest_header():
    choice = choose_columns(["Póliza", "Asegurado", "Fin de vigencia", "Primaje", "Ejecutivo"])
    assert choice.source == ""
    assert [f.name for f in choice.missing] == ["premium"]
    closest = choice.closest["premium"]
    assert closest.header == "Primaje" and not closest.confident
    assert 65 <= closest.score < THRESHOLD


@pytest.mark.django_db
def test_the_mapping_form_accepts_one_column_for_make_and_model(hdi):
    headers = ["Póliza", "Asegurado", "Fin de vigencia", "Prima", "品牌车型"]
    job = ImportJob(kind="expiry", insurer=hdi, columns=suggest_mapping(headers))
    form = MappingForm(job=job, headers=headers)
    assert form["make"].initial == form["model"].initial == "品牌车型"
    data = {name: form[name].initial or "" for name in form.fields}
    assert MappingForm(data, job=job, headers=headers).is_valid()
    clash = {**data, "end_date": "Prima"}  # two other fields on one column: refused
    assert not MappingForm(clash, job=job, headers=headers).is_valid()


@pytest.mark.django_db
def test_the_mapping_form_says_which_header_comes_closest(hdi):
    headers = ["Póliza", "Asegurado", "Fin de vigencia", "Primaje"]
    job = ImportJob(kind="expiry", insurer=hdi, columns=suggest_mapping(headers))
    form = MappingForm(job=job, headers=headers)
    assert form["premium"].initial == ""
    assert "Primaje" in str(form.fields["premium"].help_text)
    assert form["policy_number"].initial == "Póliza"
