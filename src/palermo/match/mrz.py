"""ICAO Doc 9303 machine-readable zones, and the national cards agencies meet.

Layouts (`palermo.match.mrz_layouts` holds their positions as data): TD1 (3x30, ID cards),
TD2 (2x36), TD3 (2x44, passports), the visas MRV-A (2x44) and MRV-B (2x36), and the French
identity card of 1988-2021 (FR-ID, 2x36). The layout is chosen from the shape *and* the
document code and issuing state, so a genuine visa is not read as a passport with failed
check digits; `MRZ.layout` says which one was read. TD1 and TD2 numbers longer than nine
characters are followed into the optional data (ICAO's '<' filler rule) and checked whole.

`parse_mrz` extracts the fields and runs every check a border officer's reader runs: the
7-3-1 check digits the layout has, valid dates, known state codes and that the document has
not expired. Structural problems (line count, length, characters) raise `MRZError` naming the
line and position, and a zone that is none of the layouts (a driving licence, an unknown
document code) raises `UnsupportedLayout`; failed checks are listed, not raised, because a
failed check is itself the finding (a forged or misread document).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

from followthemoney.types import registry

from palermo.match.mrz_layouts import SHAPES, Layout, Span, candidates, select

WEIGHTS = (7, 3, 1)
ALLOWED = re.compile(r"[A-Z0-9<]*")
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


LAYOUTS = SHAPES  # the supported shapes, in words (kept under its old name)
EXPIRY_WINDOW = 50  # an expiry year is read in the century that puts it within 50 years


class MRZError(ValueError):
    """The text is not an MRZ: the message names the line, position and reason."""

    def __init__(self, line: int | None, position: int | None, reason: str) -> None:
        where = "" if line is None else f"line {line}"
        where += f", position {position}" if position is not None else ""
        super().__init__(f"{where}: {reason}" if where else reason)
        self.line = line
        self.position = position


class UnsupportedLayout(MRZError):
    """Well-formed characters, but none of the layouts read here (e.g. a driving licence)."""


@dataclass(frozen=True)
class Problem:
    field: str
    reason: str


@dataclass
class MRZ:
    layout: str
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
    issue_month: date | None = None  # first day of the month of issue, where the zone has it

    @property
    def format(self) -> str:
        """The layout's name, under the name the JSON output has used since TD1/TD2/TD3."""
        return self.layout

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
    """Read a zone of any supported layout (see the module docstring)."""
    lines = _lines(text)
    when = today or date.today()
    layout = _layout(lines)
    return _expiry(_read(layout, lines, when), layout, when)


def _lines(text: str) -> list[str]:
    """The non-empty lines, upper-cased; any character outside the MRZ set is an error."""
    lines = [ln.strip().upper() for ln in text.strip().splitlines() if ln.strip()]
    for number, line in enumerate(lines, start=1):
        bad = next((i for i, c in enumerate(line) if not ALLOWED.fullmatch(c)), None)
        if bad is not None:
            raise MRZError(number, bad + 1, f"character {line[bad]!r} is not A-Z, 0-9 or '<'")
    return lines


def _layout(lines: list[str]) -> Layout:
    """The layout from the shape, then the document code: shapes alone are ambiguous."""
    if len(lines) not in (2, 3):
        raise UnsupportedLayout(None, None, _no_layout(lines))
    width = 30 if len(lines) == 3 else len(lines[0])
    if not candidates(len(lines), width):
        widths = "36 (TD2, MRV-B, FR-ID) or 44 (TD3, MRV-A)"
        raise UnsupportedLayout(1, None, f"{width} characters: a 2-line zone has {widths}")
    _lengths(lines, width)
    layout = select(lines)
    if layout is None:
        shape = candidates(len(lines), width)
        known = "; ".join(f"{lay.name} starts {' or '.join(lay.codes)}" for lay in shape)
        raise UnsupportedLayout(
            1,
            1,
            f"document code {lines[0][:2]!r} in {len(lines)} lines of {width} characters: "
            f"not a supported MRZ layout ({known})",
        )
    return layout


def _no_layout(lines: list[str]) -> str:
    """Why a zone of the wrong line count is not read; a driving licence (ISO/IEC 18013-1:
    one line of 30 starting with D) is named, so nobody takes it for a damaged passport."""
    count = f"{len(lines)} line{'' if len(lines) == 1 else 's'}" if lines else "no text"
    licence = len(lines) == 1 and len(lines[0]) == 30 and lines[0].startswith("D")
    hint = "a driving licence zone (ISO/IEC 18013-1) is not read here; " if licence else ""
    return f"{count}: not a supported MRZ layout ({hint}{SHAPES})"


def _expiry(mrz: MRZ, layout: Layout, today: date) -> MRZ:
    """An expired document is a finding at a border like a failed check digit. A zone
    without an expiry date (FR-ID) is expired once its longest validity has run out."""
    if mrz.expiry_date is not None and mrz.expiry_date < today:
        mrz.expired = True
        mrz.problems.append(Problem("expiry_date", f"expired on {mrz.expiry_date.isoformat()}"))
    years, issued = layout.max_validity_years, mrz.issue_month
    if mrz.expiry_date is None and years is not None and issued is not None:
        next_month = (issued.replace(day=28) + timedelta(days=4)).replace(day=1)
        latest = next_month.replace(year=next_month.year + years) - timedelta(days=1)
        if latest < today:
            mrz.expired = True
            reason = f"issued {issued:%Y-%m}, valid at most {years} years: expired by {latest}"
            mrz.problems.append(Problem("expiry_date", reason))
    return mrz


def _lengths(lines: list[str], width: int) -> None:
    for number, line in enumerate(lines, start=1):
        if len(line) != width:
            raise MRZError(number, None, f"{len(line)} characters, expected {width}")


def _at(lines: list[str], span: Span) -> str:
    line, start, end = span
    return lines[line][start:end]


def _words(text: str) -> str:
    return re.sub("<+", " ", text).strip()


def _names(layout: Layout, lines: list[str]) -> tuple[str, str]:
    """ICAO: PRIMARY<<SECONDARY in one field; a national card may have two fields."""
    if layout.names is not None:
        surname, _, given = _at(lines, layout.names).strip("<").partition("<<")
        return _words(surname), _words(given)
    surname = _at(lines, layout.surname) if layout.surname else ""
    return _words(surname), _words(_at(lines, layout.given_names) if layout.given_names else "")


def _number(layout: Layout, lines: list[str]) -> tuple[str, str, str]:
    """The document number, its check digit and the optional data. A long number (ICAO
    9303 Part 5 and 6: '<' where the check digit goes) continues in the optional data up to
    the next filler, its last character the check digit; that part is not optional data."""
    number = _at(lines, layout.number)
    digit = lines[layout.number_digit[0]][layout.number_digit[1]]
    optional = [_at(lines, span) for span in layout.optional]
    more = layout.long_number
    if more is not None and digit == "<" and _at(lines, more)[:1] not in ("<", ""):
        rest = _at(lines, more).split("<", 1)[0]
        number, digit = number + rest[:-1], rest[-1]
        place = layout.optional.index(more)
        optional[place] = optional[place][len(rest) :]
    return number, digit, "".join(optional).strip("<")


def _read(layout: Layout, lines: list[str], today: date) -> MRZ:
    """The fields where ``layout`` puts them, then every check digit it has."""
    number, digit, optional = _number(layout, lines)
    surname, given = _names(layout, lines)
    nationality = _at(lines, layout.nationality) if layout.nationality else ""
    mrz = MRZ(
        layout=layout.name,
        document_type=lines[0][0:2].strip("<"),
        issuing_state=lines[0][2:5].strip("<"),
        surname=surname,
        given_names=given,
        document_number=number.strip("<"),
        nationality=nationality.strip("<") or layout.implied_nationality,
        birth_date=None,
        sex=_at(lines, layout.sex),
        expiry_date=None,
        optional_data=optional,
    )
    _check(mrz, "document_number", number, digit)
    _dates(mrz, layout, lines, today)
    for check in layout.checks:
        data = "".join(_at(lines, span) for span in check.spans)
        _check(mrz, check.field, data, lines[check.digit[0]][check.digit[1]])
    _states(mrz)
    _sex(mrz)
    return mrz


def _dates(mrz: MRZ, layout: Layout, lines: list[str], today: date) -> None:
    mrz.birth_date = _date(mrz, "birth_date", _at(lines, layout.birth_date), today, past=True)
    if layout.expiry_date is not None:
        expiry = _at(lines, layout.expiry_date)
        mrz.expiry_date = _date(mrz, "expiry_date", expiry, today, past=False)
    if layout.issue_month is not None:
        issued = _at(lines, layout.issue_month)
        mrz.issue_month = _date(mrz, "issue_month", issued, today, past=True)


def _check(mrz: MRZ, name: str, data: str, digit: str) -> None:
    if digit == "<" and not data.strip("<"):
        return  # an empty optional field may have a filler check digit
    expected = check_digit(data)
    if digit != expected:
        mrz.problems.append(Problem(name, f"check digit {digit!r} should be {expected!r}"))


def _date(mrz: MRZ, name: str, yymmdd: str, today: date, past: bool) -> date | None:
    """YYMMDD, or YYMM for a month (its first day). A past date (birth, issue) is in the
    last hundred years; an expiry date within fifty years of today either way (a visa that
    ran out in 1996 is not valid until 2096)."""
    shape = "YYMMDD" if len(yymmdd) == 6 else "YYMM"
    if not yymmdd.isdigit():
        mrz.problems.append(Problem(name, f"{yymmdd!r} is not a {shape} date"))
        return None
    yy, mm, dd = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:] or 1)
    year = today.year - today.year % 100 + yy
    if year > today.year + (0 if past else EXPIRY_WINDOW):
        year -= 100
    elif not past and year < today.year - EXPIRY_WINDOW:
        year += 100
    try:
        return date(year, mm, dd)
    except ValueError:
        what = "calendar date" if shape == "YYMMDD" else "month"
        mrz.problems.append(Problem(name, f"{yymmdd!r} is not a {what}"))
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
