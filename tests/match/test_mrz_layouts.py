"""Every layout `parse_mrz` reads, on the published specimens, with each check digit spoiled
in turn, and the zones it must refuse as unsupported rather than report as forged.

Specimens (all verified by the parser's own 7-3-1 check digits, not typed from memory):
- TD3, TD2, TD1: ICAO Doc 9303 Parts 4, 6 and 5 (ERIKSSON ANNA MARIA);
- TD1 and TD2 with a 12-character number: ICAO Doc 9303 Part 11, Appendix D.2 (STEVENSON
  PETER JOHN, number D23145890734);
- MRV-A and MRV-B: ICAO Doc 9303 Part 7 (visa L8988901C for ERIKSSON ANNA MARIA);
- FR-ID: the French identity card specimen (BERTHIER CORINNE), in its two printings.
"""

from __future__ import annotations

from datetime import date

import pytest

from palermo.match.manifest import passenger
from palermo.match.mrz import MRZ, UnsupportedLayout, check_digit, parse_mrz
from palermo.match.mrz_check import mrz_reasons, mrz_row, passenger_fields

TD3 = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10"
TD2 = "I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<\nD231458907UTO7408122F1204159<<<<<<<6"
TD1 = (
    "I<UTOD231458907<<<<<<<<<<<<<<<\n7408122F1204159UTO<<<<<<<<<<<6\nERIKSSON<<ANNA<MARIA<<<<<<<<<<"
)
TD1_LONG = (
    "I<UTOD23145890<7349<<<<<<<<<<<\n3407127M9507122UTO<<<<<<<<<<<2\nSTEVENSON<<PETER<JOHN<<<<<<<<<"
)
TD2_LONG = "I<UTOSTEVENSON<<PETER<JOHN<<<<<<<<<<\nD23145890<UTO3407127M95071227349<<<8"
MRV_A = "V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL8988901C4XXX4009078F96121096ZE184226B<<<<<<"
MRV_B = "V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<\nL8988901C4XXX4009078F9612109<<<<<<<<"
FR_ID = "IDFRABERTHIER<<<<<<<<<<<<<<<<<<<<<<<\n9409923102854CORINNE<<<<<<<6512068F4"
FR_ID_1988 = "IDFRABERTHIER<<<<<<<<<<<<<<<<<<<<<<<\n8806923102858CORINNE<<<<<<<6512068F6"
BEFORE = date(1995, 1, 1)  # every specimen was current then (the MRV specimens ran to 1996)


def belgian_card_number(first_ten: str) -> str:
    """A Belgian eID card number: ten digits and their remainder modulo 97 (97 for 0)."""
    return f"{first_ten}{int(first_ten) % 97 or 97:02d}"


def belgian_td1(number: str, birth: str = "850704", expiry: str = "310501") -> str:
    """A TD1 of 12-character number following ICAO 9303 Part 5: nine characters, '<' in the
    check digit position, the rest of the number, its check digit and a filler in the
    optional data; the composite over the zone as printed."""
    line1 = f"IDBEL{number[:9]}<{number[9:]}{check_digit(number)}".ljust(30, "<")
    middle = f"{birth}{check_digit(birth)}F{expiry}{check_digit(expiry)}BEL".ljust(29, "<")
    composite = line1[5:30] + middle[0:7] + middle[8:15] + middle[18:29]
    return f"{line1}\n{middle}{check_digit(composite)}\nPEETERS<<MARIE<LOUISE".ljust(92, "<")


BELGIAN = belgian_card_number("5921234567")
ANNA, PETER = ("ERIKSSON", "ANNA MARIA"), ("STEVENSON", "PETER JOHN")
CORINNE = ("BERTHIER", "CORINNE")
SPECIMENS = [
    # text, layout, number, holder, birth, expiry, nationality, optional data
    (TD3, "TD3", "L898902C3", ANNA, "1974-08-12", "2012-04-15", "UTO", "ZE184226B"),
    (TD2, "TD2", "D23145890", ANNA, "1974-08-12", "2012-04-15", "UTO", ""),
    (TD1, "TD1", "D23145890", ANNA, "1974-08-12", "2012-04-15", "UTO", ""),
    (TD1_LONG, "TD1", "D23145890734", PETER, "1934-07-12", "1995-07-12", "UTO", ""),
    (TD2_LONG, "TD2", "D23145890734", PETER, "1934-07-12", "1995-07-12", "UTO", ""),
    (MRV_A, "MRV-A", "L8988901C", ANNA, "1940-09-07", "1996-12-10", "XXX", "6ZE184226B"),
    (MRV_B, "MRV-B", "L8988901C", ANNA, "1940-09-07", "1996-12-10", "XXX", ""),
    (FR_ID, "FR-ID", "940992310285", CORINNE, "1965-12-06", None, "FRA", ""),
    (FR_ID_1988, "FR-ID", "880692310285", CORINNE, "1965-12-06", None, "FRA", ""),
]


@pytest.mark.parametrize(
    ("text", "layout", "number", "holder", "birth", "expiry", "nationality", "optional"),
    SPECIMENS,
)
def test_specimens_read_valid_in_their_own_layout(
    text: str,
    layout: str,
    number: str,
    holder: tuple[str, str],
    birth: str,
    expiry: str | None,
    nationality: str,
    optional: str,
) -> None:
    zone = parse_mrz(text, BEFORE)
    assert zone.problems == [] and zone.valid
    assert (zone.layout, zone.document_number) == (layout, number)
    assert (zone.surname, zone.given_names) == holder
    assert zone.birth_date == date.fromisoformat(birth)
    assert zone.expiry_date == (date.fromisoformat(expiry) if expiry else None)
    assert (zone.nationality, zone.optional_data) == (nationality, optional)


def test_belgian_long_number_is_read_whole_and_checked() -> None:
    """Belgian eID numbers have 12 digits: the long-number rule of ICAO 9303 Part 5."""
    assert len(BELGIAN) == 12 and int(BELGIAN[:10]) % 97 == int(BELGIAN[10:])
    zone = parse_mrz(belgian_td1(BELGIAN), date(2026, 11, 29))
    assert zone.valid, zone.problems
    assert (zone.layout, zone.document_number, zone.optional_data) == ("TD1", BELGIAN, "")
    line1 = belgian_td1(BELGIAN).splitlines()[0]
    assert line1[14] == "<" and line1[15:18] == BELGIAN[9:] and line1[19] == "<"


def spoil(text: str, line: int, position: int) -> str:
    """The zone with one digit changed (the next digit, 9 -> 0)."""
    lines = text.splitlines()
    row = lines[line]
    lines[line] = row[:position] + str((int(row[position]) + 1) % 10) + row[position + 1 :]
    return "\n".join(lines)


SPOILS = [
    # zone, (line, position) of a check digit, the fields that must then fail
    (TD3, (1, 9), {"document_number", "composite"}),
    (TD3, (1, 19), {"birth_date", "composite"}),
    (TD3, (1, 27), {"expiry_date", "composite"}),
    (TD3, (1, 42), {"optional_data", "composite"}),
    (TD3, (1, 43), {"composite"}),
    (TD2, (1, 9), {"document_number", "composite"}),
    (TD2, (1, 19), {"birth_date", "composite"}),
    (TD2, (1, 27), {"expiry_date", "composite"}),
    (TD2, (1, 35), {"composite"}),
    (TD1, (0, 14), {"document_number", "composite"}),
    (TD1, (1, 6), {"birth_date", "composite"}),
    (TD1, (1, 14), {"expiry_date", "composite"}),
    (TD1, (1, 29), {"composite"}),
    (TD1_LONG, (0, 18), {"document_number", "composite"}),  # the long number's digit
    (TD2_LONG, (1, 31), {"document_number", "composite"}),
    (MRV_A, (1, 9), {"document_number"}),  # a visa has no composite digit
    (MRV_A, (1, 19), {"birth_date"}),
    (MRV_A, (1, 27), {"expiry_date"}),
    (MRV_B, (1, 9), {"document_number"}),
    (MRV_B, (1, 19), {"birth_date"}),
    (MRV_B, (1, 27), {"expiry_date"}),
    (FR_ID, (1, 12), {"document_number", "composite"}),
    (FR_ID, (1, 33), {"birth_date", "composite"}),
    (FR_ID, (1, 35), {"composite"}),
]


@pytest.mark.parametrize(("text", "spot", "fields"), SPOILS)
def test_each_spoiled_check_digit_names_its_field(
    text: str, spot: tuple[int, int], fields: set[str]
) -> None:
    zone = parse_mrz(spoil(text, *spot), BEFORE)
    assert {p.field for p in zone.problems} == fields
    assert all(p.reason.startswith("check digit ") for p in zone.problems)
    assert zone.layout == parse_mrz(text, BEFORE).layout  # a bad digit does not change layout


def test_spoiled_data_fails_the_digit_that_covers_it() -> None:
    """A changed birth date (not its digit) fails the birth date, and the overall digit of
    the French card, which covers both lines."""
    forged = FR_ID.replace("6512068F4", "6512078F4")
    assert {p.field for p in parse_mrz(forged, BEFORE).problems} == {"birth_date", "composite"}
    surname = MRV_B.replace("ERIKSSON", "ERIKSSEN")  # no digit covers a visa's name
    assert parse_mrz(surname, BEFORE).valid


def test_visa_is_not_reported_as_a_forged_passport() -> None:
    """Read as TD3, the genuine MRV-A specimen failed its 'optional data' and 'composite'
    digits; read as a visa it has no problem but its age."""
    zone = parse_mrz(MRV_A, date(2026, 11, 29))
    assert zone.layout == "MRV-A" and zone.document_type == "V"
    assert [(p.field, p.reason) for p in zone.problems] == [
        ("expiry_date", "expired on 1996-12-10")  # 96 read as 1996, not 2096
    ]


def test_french_card_issue_month_and_longest_validity() -> None:
    zone = parse_mrz(FR_ID, date(2000, 1, 1))
    assert zone.issue_month == date(1994, 9, 1) and zone.issuing_state == "FRA"
    assert zone.valid and not zone.expired
    old = parse_mrz(FR_ID, date(2026, 11, 29))
    assert old.expired and [p.field for p in old.problems] == ["expiry_date"]
    assert "valid at most 15 years: expired by 2009-09-30" in old.problems[0].reason
    bad_month = FR_ID.replace("9409923102854", "9413923102854")
    fields = {p.field for p in parse_mrz(bad_month, BEFORE).problems}
    assert "issue_month" in fields


def test_layout_comes_from_the_document_code_not_the_length() -> None:
    """Four 2x36 zones: a visa, the French card, a TD2 of France (not IDFRA) and one of
    another state's ID card starting ID."""
    td2_fra = TD2.replace("I<UTO", "IRFRA", 1).replace("UTO7408", "FRA7408")
    td2_deu = TD2.replace("I<UTO", "IDD<<", 1).replace("UTO7408", "D<<7408")
    layouts = [parse_mrz(t, BEFORE).layout for t in (MRV_B, FR_ID, td2_fra, td2_deu)]
    assert layouts == ["MRV-B", "FR-ID", "TD2", "TD2"]
    assert parse_mrz(td2_deu, BEFORE).valid  # D is Germany's ICAO code


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # a 3x30 zone that is not a TD1 card (passports are TD3; D is no ICAO card code)
        (TD1.replace("I<UTO", "P<UTO", 1), "line 1, position 1: document code 'P<' in 3 lines"),
        (TD1.replace("I<UTO", "D1UTO", 1), "document code 'D1' in 3 lines of 30 characters"),
        # an ISO/IEC 18013-1 driving licence: one line of 30 starting with D
        ("D1NLD11234567890ABCDEFGHIJ".ljust(30, "<"), "^1 line: not a supported MRZ .* licence"),
        # 2x36 and 2x44 zones with a document code no layout of that shape has
        (TD2.replace("I<UTO", "X<UTO", 1), "document code 'X<' in 2 lines of 36 characters"),
        (TD3.replace("P<UTO", "I<UTO", 1), "document code 'I<' in 2 lines of 44 characters"),
        ("\n".join(["P<UTO".ljust(40, "<")] * 2), "line 1: 40 characters: a 2-line zone has 36"),
        ("\n".join(["I<UTO".ljust(30, "<")] * 4), "^4 lines: not a supported MRZ layout"),
    ],
)
def test_unsupported_layouts_are_one_clear_error(text: str, message: str) -> None:
    with pytest.raises(UnsupportedLayout, match=message) as raised:
        parse_mrz(text, BEFORE)
    assert "check digit" not in str(raised.value)


def test_unknown_code_error_lists_what_this_shape_can_be() -> None:
    with pytest.raises(UnsupportedLayout) as raised:
        parse_mrz(TD2.replace("I<UTO", "X<UTO", 1), BEFORE)
    assert "TD2 starts A or C or I; MRV-B starts V; FR-ID starts IDFRA" in str(raised.value)


def test_a_zone_feeds_a_manifest_row() -> None:
    """The manifest path takes the fields of a zone read by the same parser."""
    zone: MRZ = parse_mrz(FR_ID, BEFORE)
    person = passenger(passenger_fields(zone), 7)
    assert person.names == ("CORINNE BERTHIER",)
    assert person.birth_dates == ("1965-12-06",) and person.nationalities == ("fr",)
    assert person.documents == ("940992310285",) and person.sex == "female"


def test_a_manifest_row_with_an_mrz_column() -> None:
    """What the row states wins; the zone fills the rest; a bad zone is a bad field."""
    row, zone = mrz_row({"mrz": MRV_B, "nationality": "se"}, BEFORE)
    assert zone is not None and zone.layout == "MRV-B"
    person = passenger(row, 3)
    assert person.names == ("ANNA MARIA ERIKSSON",) and person.nationalities == ("se",)
    assert person.documents == ("L8988901C",) and person.birth_dates == ("1940-09-07",)
    named, _ = mrz_row({"mrz": MRV_B, "name": "Anna Eriksson"}, BEFORE)
    assert passenger(named, 4).names == ("Anna Eriksson",)
    assert mrz_row({"name": "Anna Eriksson"}) == ({"name": "Anna Eriksson"}, None)
    with pytest.raises(ValueError, match=r"^mrz: line 1, position 1: document code 'Q<'"):
        mrz_row({"mrz": MRV_B.replace("V<", "Q<", 1)}, BEFORE)
    late = parse_mrz(spoil(MRV_B, 1, 19), BEFORE)
    assert mrz_reasons(late) == ["MRZ (MRV-B) birth_date: check digit '9' should be '8'"]


def test_germany_icao_code_becomes_a_country() -> None:
    td2_deu = TD2.replace("I<UTO", "IDD<<", 1).replace("UTO7408", "D<<7408")
    fields = passenger_fields(parse_mrz(td2_deu, BEFORE))
    assert (fields["nationality"], fields["document_country"]) == ("de", "de")
    assert passenger_fields(parse_mrz(TD3, BEFORE))["nationality"] == ""  # Utopia
