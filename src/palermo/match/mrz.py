"""ICAO Doc 9303 machine-readable zones: TD1 (3x30), TD2 (2x36), TD3 (2x44, passports).

`parse_mrz` extracts the fields and runs every check a border officer's reader runs: the
7-3-1 check digits of document number, birth date, expiry and optional data, the composite
digit, valid dates, known state codes and that the document has not expired. Structural
problems (line count, length, characters) raise `MRZError` naming the line and position, and
a layout that is none of TD1/TD2/TD3 raises `UnsupportedLayout`; failed checks are listed,
not raised, because a failed check is itself the finding (a forged or misread document).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from followthemoney.types import registry

WEIGHTS = (7, 3, 1)
ALLOWED = re.compile(r"[A-Z0-9<]*")
FORMATS = {3: ("TD1", 30), 2: None}  # two-line zones are told apart by length
# ICAO codes that are not ISO 3166 alpha-3 (Doc 9303 part 3, 5; and the specimen state).
ICAO_SPECIAL = {
    "D",
    "GBD",
    "GBN",
    "GBO",
    "GBP",
    "GBS",
    "UNO",
    "UNA",
    "UNK",
    "XBA",
    "XIM",
    "XCC",
    "XCE",
    "XCO",
    "XEC",
    "XPO",
    "XES",
    "XMP",
    "XOM",
    "XDC",
    "XXA",
    "XXB",
    "XXC",
    "XXX",
    "EUE",
    "RKS",
    "UTO",
}


LAYOUTS = "TD1 is 3 lines of 30 characters, TD2 2 lines of 36, TD3 (passports) 2 lines of 44"


class MRZError(ValueError):
    """The text is not an MRZ: the message names the line, position and reason."""

    def __init__(self, line: int | None, position: int | None, reason: str) -> None:
        where = "" if line is None else f"line {line}"
        where += f", position {position}" if position is not None else ""
        super().__init__(f"{where}: {reason}" if where else reason)
        self.line = line
        self.position = position


class UnsupportedLayout(MRZError):
    """Well-formed characters, but not a TD1, TD2 or TD3 zone (e.g. a visa or one line)."""


@dataclass(frozen=True)
class Problem:
    field: str
    reason: str


@dataclass
class MRZ:
    format: str
    document_type: str
    issuing_state: str
    surname: str
    given_names: str
    document_number: str
    nationality: str
    birth_date: date | None
    sex: str
    expiry_date: date | None
    optional_data: str
    problems: list[Problem] = field(default_factory=list)
    expired: bool = False

    @property
    def valid(self) -> bool:
        """Every check digit, date and code holds and the document has not expired."""
        return not self.problems


def char_value(char: str) -> int:
    if char.isdigit():
        return int(char)
    if "A" <= char <= "Z":
        return ord(char) - 55
    return 0


def check_digit(text: str) -> str:
    return str(sum(char_value(c) * WEIGHTS[i % 3] for i, c in enumerate(text)) % 10)


def parse_mrz(text: str, today: date | None = None) -> MRZ:
    lines = [ln.strip().upper() for ln in text.strip().splitlines() if ln.strip()]
    for number, line in enumerate(lines, start=1):
        bad = next((i for i, c in enumerate(line) if not ALLOWED.fullmatch(c)), None)
        if bad is not None:
            raise MRZError(number, bad + 1, f"character {line[bad]!r} is not A-Z, 0-9 or '<'")
    when = today or date.today()
    if len(lines) == 3:
        _lengths(lines, 30)
        return _expiry(_td1(lines, when), when)
    if len(lines) == 2:
        if len(lines[0]) == 44:
            _lengths(lines, 44)
            return _expiry(_td23(lines, "TD3", when), when)
        if len(lines[0]) == 36:
            _lengths(lines, 36)
            return _expiry(_td23(lines, "TD2", when), when)
        raise UnsupportedLayout(1, None, f"{len(lines[0])} characters: TD2 has 36, TD3 has 44")
    count = f"{len(lines)} line{'' if len(lines) == 1 else 's'}" if lines else "no text"
    raise UnsupportedLayout(None, None, f"{count}: not a supported MRZ layout ({LAYOUTS})")


def _expiry(mrz: MRZ, today: date) -> MRZ:
    """An expired document is a finding at a border like a failed check digit."""
    if mrz.expiry_date is not None and mrz.expiry_date < today:
        mrz.expired = True
        mrz.problems.append(Problem("expiry_date", f"expired on {mrz.expiry_date.isoformat()}"))
    return mrz


def _lengths(lines: list[str], width: int) -> None:
    for number, line in enumerate(lines, start=1):
        if len(line) != width:
            raise MRZError(number, None, f"{len(line)} characters, expected {width}")


def _names(field_text: str) -> tuple[str, str]:
    surname, _, given = field_text.strip("<").partition("<<")
    return surname.replace("<", " ").strip(), given.replace("<", " ").strip()


def _td23(lines: list[str], fmt: str, today: date) -> MRZ:
    l1, l2 = lines
    surname, given = _names(l1[5:])
    width = len(l2)
    optional_end = 42 if fmt == "TD3" else 35
    number, number_cd = l2[0:9], l2[9]
    mrz = MRZ(
        fmt,
        l1[0:2].strip("<"),
        l1[2:5].strip("<"),
        surname,
        given,
        number.strip("<"),
        l2[10:13].strip("<"),
        None,
        l2[20],
        None,
        l2[28:optional_end].strip("<"),
    )
    _check(mrz, "document_number", number, number_cd)
    mrz.birth_date = _date(mrz, "birth_date", l2[13:19], today, past=True)
    _check(mrz, "birth_date", l2[13:19], l2[19])
    mrz.expiry_date = _date(mrz, "expiry_date", l2[21:27], today, past=False)
    _check(mrz, "expiry_date", l2[21:27], l2[27])
    if fmt == "TD3":
        _check(mrz, "optional_data", l2[28:42], l2[42])
    composite = l2[0:10] + l2[13:20] + l2[21 : width - 1]
    _check(mrz, "composite", composite, l2[width - 1])
    _states(mrz)
    _sex(mrz)
    return mrz


def _td1(lines: list[str], today: date) -> MRZ:
    l1, l2, l3 = lines
    surname, given = _names(l3)
    number, number_cd, optional1 = l1[5:14], l1[14], l1[15:30]
    # A long document number continues in the optional data, right after the filler.
    if number_cd == "<" and optional1[0] != "<":
        rest = optional1.split("<", 1)[0]
        number, number_cd, optional1 = number + rest[:-1], rest[-1], optional1[len(rest) :]
        full = l1[5:14] + rest[:-1]
    else:
        full = number
    mrz = MRZ(
        "TD1",
        l1[0:2].strip("<"),
        l1[2:5].strip("<"),
        surname,
        given,
        full.strip("<"),
        l2[15:18].strip("<"),
        None,
        l2[7],
        None,
        (optional1 + l2[18:29]).strip("<"),
    )
    _check(mrz, "document_number", full, number_cd)
    mrz.birth_date = _date(mrz, "birth_date", l2[0:6], today, past=True)
    _check(mrz, "birth_date", l2[0:6], l2[6])
    mrz.expiry_date = _date(mrz, "expiry_date", l2[8:14], today, past=False)
    _check(mrz, "expiry_date", l2[8:14], l2[14])
    _check(mrz, "composite", l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29], l2[29])
    _states(mrz)
    _sex(mrz)
    return mrz


def _check(mrz: MRZ, name: str, data: str, digit: str) -> None:
    if digit == "<" and not data.strip("<"):
        return  # an empty optional field may have a filler check digit
    expected = check_digit(data)
    if digit != expected:
        mrz.problems.append(Problem(name, f"check digit {digit!r} should be {expected!r}"))


def _date(mrz: MRZ, name: str, yymmdd: str, today: date, past: bool) -> date | None:
    if not yymmdd.isdigit():
        mrz.problems.append(Problem(name, f"{yymmdd!r} is not a YYMMDD date"))
        return None
    yy, mm, dd = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:])
    century = 2000 if (not past or yy <= today.year % 100) else 1900
    try:
        return date(century + yy, mm, dd)
    except ValueError:
        mrz.problems.append(Problem(name, f"{yymmdd!r} is not a calendar date"))
        return None


def _states(mrz: MRZ) -> None:
    for name in ("issuing_state", "nationality"):
        code = getattr(mrz, name)
        if code not in ICAO_SPECIAL and (len(code) != 3 or registry.country.clean(code) is None):
            mrz.problems.append(Problem(name, f"{code!r} is not an ICAO state code"))


def _sex(mrz: MRZ) -> None:
    if mrz.sex not in ("M", "F", "X", "<"):
        mrz.problems.append(Problem("sex", f"{mrz.sex!r} is not M, F, X or <"))


@lru_cache(maxsize=100_000)  # screening compares the same candidates' numbers again and again
def normalise_document_number(raw: str) -> str:
    """Upper-case without spaces, dashes or dots; letter O read as zero only in an otherwise
    numeric number (where it cannot be a letter)."""
    text = re.sub(r"[\s\-./]", "", raw.upper())
    if text and all(c.isdigit() or c == "O" for c in text):
        text = text.replace("O", "0")
    return text
