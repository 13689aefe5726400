"""ICAO 9303 MRZ parsing on the specimen documents of Doc 9303, and on broken ones."""

from __future__ import annotations

from datetime import date

import pytest

from palermo.match.mrz import MRZError, check_digit, normalise_document_number, parse_mrz

TODAY = date(2010, 1, 1)
TD3 = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10"
TD2 = "I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<\nD231458907UTO7408122F1204159<<<<<<<6"
TD1 = (
    "I<UTOD231458907<<<<<<<<<<<<<<<\n7408122F1204159UTO<<<<<<<<<<<6\nERIKSSON<<ANNA<MARIA<<<<<<<<<<"
)


@pytest.mark.parametrize(
    ("text", "fmt", "number"),
    [(TD3, "TD3", "L898902C3"), (TD2, "TD2", "D23145890"), (TD1, "TD1", "D23145890")],
)
def test_icao_specimens_parse_and_validate(text: str, fmt: str, number: str) -> None:
    mrz = parse_mrz(text, TODAY)
    assert mrz.valid, mrz.problems
    assert mrz.layout == mrz.format == fmt
    assert (mrz.layout, mrz.document_number, mrz.surname, mrz.given_names) == (
        fmt,
        number,
        "ERIKSSON",
        "ANNA MARIA",
    )
    assert mrz.birth_date == date(1974, 8, 12) and mrz.expiry_date == date(2012, 4, 15)
    assert mrz.sex == "F" and mrz.issuing_state == "UTO"


def test_check_digits_of_the_specimen_fields() -> None:
    assert [check_digit(f) for f in ("L898902C3", "740812", "120415", "ZE184226B<<<<<")] == [
        "6",
        "2",
        "9",
        "1",
    ]


def test_each_spoiled_digit_is_named() -> None:
    line1, line2 = TD3.splitlines()
    spoil = {9: "document_number", 19: "birth_date", 27: "expiry_date", 42: "optional_data"}
    for position, name in spoil.items():
        digit = str((int(line2[position]) + 1) % 10)
        broken = line2[:position] + digit + line2[position + 1 :]
        problems = {p.field for p in parse_mrz(f"{line1}\n{broken}", TODAY).problems}
        assert name in problems and "composite" in problems, (name, problems)


def test_bad_dates_states_and_sex_are_problems() -> None:
    line1, line2 = TD3.splitlines()
    forged = line2[:13] + "741312" + line2[19:20] + "Q" + line2[21:]
    found = parse_mrz(f"P<ZZZ{line1[5:]}\n{forged}", TODAY).problems
    problems = {(p.field, p.reason.split(" ")[-1]) for p in found}
    reasons = " | ".join(f"{p.field}: {p.reason}" for p in found)
    assert "birth_date: '741312' is not a calendar date" in reasons
    assert "sex: 'Q' is not M, F, X or <" in reasons
    assert "issuing_state: 'ZZZ' is not an ICAO state code" in reasons
    assert ("birth_date", "'8'") in problems  # and its check digit no longer holds


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("P<UTO\nL8989", "line 1: 5 characters: a 2-line zone has 36 .* or 44"),
        ("P<UTO", "^1 line: not a supported MRZ layout \\(TD1 is 3 lines of 30"),
        ("", "^no text: not a supported MRZ layout"),
        (TD3.replace("ANNA", "ANNÄ"), "line 1, position 19: character 'Ä'"),
        (TD3 + "\nEXTRA", "line 1: 44 characters, expected 30"),
        ("one line only", "line 1, position 4: character ' '"),
    ],
)
def test_malformed_input_is_a_clear_error(text: str, message: str) -> None:
    with pytest.raises(MRZError, match=message):
        parse_mrz(text, TODAY)


def test_document_numbers_normalise() -> None:
    assert normalise_document_number(" fp 123-456 ") == "FP123456"
    assert normalise_document_number("12O45") == "12045"  # only digits and O: a misread zero
    assert normalise_document_number("OA12") == "OA12"  # letters elsewhere: O stays a letter
