import pytest
from django.core.exceptions import ValidationError

from policies.tests.factories import make_vin
from policies.validators import normalize_vin, validate_vin, vin_check_digit


def _error(value: str) -> ValidationError:
    with pytest.raises(ValidationError) as excinfo:
        validate_vin(value)
    return excinfo.value


def _other_digit(ch: str) -> str:
    return "7" if ch != "7" else "8"


@pytest.mark.parametrize(
    "vin",
    [
        "1M8GDM9AXKP042788",  # the ISO 3779 textbook example: check digit X
        "1HGCM82633A004352",
        "5GZCZ43D13S812715",
        "11111111111111111",
    ],
)
def test_it_accepts_published_vins(vin):
    assert vin_check_digit(vin) == vin[8]
    validate_vin(vin)


def test_it_computes_x_for_a_remainder_of_ten():
    assert vin_check_digit("1M8GDM9A0KP042788") == "X"


@pytest.mark.parametrize("value", ["3N1AB7AP6KL00000", "3N1AB7AP6KL0000011", ""])
def test_it_names_the_length_of_a_vin_that_is_not_17_characters(value):
    error = _error(value)
    assert error.code == "vin_length"
    assert error.messages == [f"A VIN has 17 characters; this one has {len(value)}."]


@pytest.mark.parametrize("letter", ["I", "O", "Q"])
def test_it_names_the_position_of_i_o_and_q(letter):
    vin = make_vin(1)
    bad = vin[:4] + letter + vin[5:]
    error = _error(bad)
    assert error.code == "vin_character"
    assert f"Character 5 is “{letter}”" in error.messages[0]
    assert "I, O and Q are never used" in error.messages[0]


def test_it_refuses_a_character_that_never_appears_in_a_vin():
    vin = make_vin(1)
    error = _error(vin[:12] + "-" + vin[13:])
    assert error.code == "vin_character"
    assert "Character 13 is “-”" in error.messages[0]


@pytest.mark.parametrize("wmi", ["3N1", "LSV"])
def test_it_refuses_a_wrong_check_digit_in_mexico_and_china(wmi):
    vin = make_vin(42, wmi=wmi)
    validate_vin(vin)  # the untouched VIN is valid
    # One character typed wrong: the check digit no longer matches.
    typo = vin[:11] + _other_digit(vin[11]) + vin[12:]
    error = _error(typo)
    assert error.code == "vin_check_digit"
    expected = vin_check_digit(typo)
    assert f"is “{vin[8]}” but should be “{expected}”" in error.messages[0]


@pytest.mark.parametrize("wmi", ["3N1", "LSV", "1HG"])
def test_it_refuses_a_wrong_check_digit_itself(wmi):
    vin = make_vin(7, wmi=wmi)
    wrong = "X" if vin[8] != "X" else "0"
    error = _error(vin[:8] + wrong + vin[9:])
    assert error.code == "vin_check_digit"


@pytest.mark.parametrize("wmi", ["WVW", "VF1"])
def test_it_does_not_check_the_digit_of_european_vins(wmi):
    vin = make_vin(9, wmi=wmi)
    wrong = vin[:8] + ("Z" if vin[8] != "Z" else "0") + vin[9:]
    assert vin_check_digit(wrong) != wrong[8]
    validate_vin(wrong)  # no error: Europe does not use the check digit


def test_it_normalises_lowercase_and_spaces():
    vin = make_vin(3)
    typed = f" {vin[:3].lower()} {vin[3:9]}\t{vin[9:].lower()}\n"
    assert normalize_vin(typed) == vin
    assert normalize_vin(None) == ""
    validate_vin(typed)


def test_it_still_checks_the_digit_of_a_lowercase_vin():
    vin = make_vin(3)
    typo = vin[:11] + _other_digit(vin[11]) + vin[12:]
    error = _error(typo.lower())
    assert error.code == "vin_check_digit"
