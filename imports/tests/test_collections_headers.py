"""Which column of an insurer's collection report is which: suggested from its headers in
English, Spanish and Chinese, with the two ways to name an instalment (issue 15)."""

import pytest

from imports.fields import choose_columns, missing_fields, suggest_columns, suggest_mapping


def test_it_suggests_an_english_collection_report():
    headers = ["Policy No", "Instalment", "Due date", "Amount due", "Amount paid", "Payment date",
               "Status", "Payment reference", "Currency", "Payer", "Insured"]  # fmt: skip
    assert suggest_mapping(headers, "collections") == {
        "policy_number": "Policy No", "instalment": "Instalment", "due_date": "Due date",
        "amount_paid": "Amount paid", "paid_on": "Payment date", "status": "Status",
        "reference": "Payment reference", "currency": "Currency", "payer": "Payer",
    }  # fmt: skip


def test_it_suggests_a_spanish_collection_report():
    headers = ["Núm. de Póliza:", "Recibo", "Fecha de Vencimiento", "Importe del recibo",
               "Importe Pagado (MXN)", "Fecha de pago", "Estatus del pago", "Folio de pago",
               "Moneda", "Pagador", "Asegurado"]  # fmt: skip
    assert suggest_mapping(headers, "collections") == {
        "policy_number": "Núm. de Póliza:", "instalment": "Recibo",
        "due_date": "Fecha de Vencimiento", "amount_paid": "Importe Pagado (MXN)",
        "paid_on": "Fecha de pago", "status": "Estatus del pago", "reference": "Folio de pago",
        "currency": "Moneda", "payer": "Pagador",
    }  # fmt: skip


def test_it_suggests_a_chinese_collection_report():
    headers = ["保单号", "期次", "应缴日期", "应缴金额", "实缴金额（人民币）", "缴费日期",
               "缴费状态", "交易流水号", "币种", "缴费人", "被保险人"]  # fmt: skip
    assert suggest_mapping(headers, "collections") == {
        "policy_number": "保单号", "instalment": "期次", "due_date": "应缴日期",
        "amount_paid": "实缴金额（人民币）", "paid_on": "缴费日期", "status": "缴费状态",
        "reference": "交易流水号", "currency": "币种", "payer": "缴费人",
    }  # fmt: skip


@pytest.mark.parametrize(
    "header", ["Importe del recibo", "Prima total", "Amount due", "应缴金额", "Asegurado"]
)
def test_the_amount_due_and_the_insured_are_not_read_from_a_collection_report(header):
    suggested = suggest_columns(["Póliza", "Recibo", header], "collections")
    assert header not in {s.header for s in suggested.values() if s.confident}


def test_an_expiry_report_keeps_its_own_suggestions():
    headers = ["Póliza", "Asegurado", "Fin de vigencia", "Prima total"]
    assert suggest_mapping(headers, "expiry") == {
        "policy_number": "Póliza", "end_date": "Fin de vigencia", "premium": "Prima total",
        "holder_name": "Asegurado",
    }  # fmt: skip


def test_a_collection_report_needs_its_instalment_by_number_or_due_date():
    assert [f.name for f in missing_fields({"policy_number": "Póliza"}, "collections")] == [
        "instalment"
    ]
    assert str(missing_fields({"policy_number": "P"}, "collections")[0].label) == (
        "Instalment number or Due date"
    )
    assert missing_fields({"policy_number": "P", "due_date": "Vencimiento"}, "collections") == []
    choice = choose_columns(["Póliza", "Importe pagado", "Fecha de pago"], "collections")
    assert [f.name for f in choice.missing] == ["instalment"]
    choice = choose_columns(["Póliza", "Vencimiento", "Importe pagado"], "collections")
    assert choice.missing == [] and choice.columns["due_date"] == "Vencimiento"
