"""Issue 14: a holder's name is split and written as a new client takes it where the row is
parsed (the parser process), and the importing process builds its new clients from that,
without working the name out again."""

import pickle

import pytest

from imports import expiry

pytestmark = pytest.mark.django_db

FIELDS = ("policy_number", "holder_name", "end_date", "start_date", "premium", "line", "phone")


def _record(number: int, name: str):
    raw = {
        "policy_number": f"HDI-{number}", "holder_name": name, "end_date": "01/12/2026",
        "start_date": "01/12/2025", "premium": "$12,500.00", "line": "Autos",
        "phone": f"55 1000 {number:04d}",
    }  # fmt: skip
    record, issues = expiry.parse_row(
        number, raw, {f: f for f in FIELDS}, expiry.ReadContext("MX", "MXN", "es")
    )
    assert issues == []
    return record


def test_new_clients_take_the_names_worked_out_when_their_rows_were_parsed(hdi, monkeypatch):
    names = ["  Ana   María  López ", "欧阳娜娜", "Transportes del Norte SA de CV"]
    # As the parser process sends them.
    records = [pickle.loads(pickle.dumps(_record(n, name))) for n, name in enumerate(names, 1)]  # noqa: S301
    assert records[1].names == ("欧阳娜娜", "individual", "娜娜", "欧阳", "", "欧阳娜娜")

    def again(name):
        raise AssertionError(f"{name!r} worked out again by the importing process")

    monkeypatch.setattr(expiry, "names_of", again)
    out = expiry.classify(records, hdi)
    made = [(c["kind"], c["first_name"], c["last_name"], c["legal_name"], c["display_name"])
            for c in out.new_clients]  # fmt: skip
    assert made == [
        ("individual", "Ana", "María López", "", "Ana María López"),
        ("individual", "娜娜", "欧阳", "", "欧阳娜娜"),
        ("corporate", "", "", "Transportes del Norte SA de CV", "Transportes del Norte SA de CV"),
    ]
