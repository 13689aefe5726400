"""The machine-readable zone layouts palermo reads, as data: where each field sits and which
check digit covers which characters.

A layout is chosen from the zone's shape (lines x characters) *and* its document code and
issuing state, because shapes are shared: TD2, MRV-B and the French identity card are all two
lines of 36. Keeping the positions in one table (rather than in one function per layout) lets
a reader check each row against its specification, cited per layout below.

Positions are 0-based ``(line, start, end)`` with ``end`` exclusive; the specifications number
them from 1, so ICAO's "positions 6 to 14" is ``(0, 5, 14)``.
"""

from __future__ import annotations

from dataclasses import dataclass

Span = tuple[int, int, int]  # line index, first character, one past the last
Spot = tuple[int, int]  # line index, character: where a check digit sits


@dataclass(frozen=True)
class Check:
    """A 7-3-1 check digit at ``digit`` over the characters of ``spans``, joined in order.
    A filler digit over fillers only passes (an empty optional field, ICAO 9303 Part 3)."""

    field: str
    spans: tuple[Span, ...]
    digit: Spot


@dataclass(frozen=True)
class Layout:
    """One zone layout. ``codes`` are the starts of line 1 (document code, and for a
    national card the issuing state) that select it among layouts of the same shape; the
    longest matching start wins."""

    name: str
    lines: int
    width: int
    codes: tuple[str, ...]
    number: Span
    number_digit: Spot
    birth_date: Span
    sex: Span
    checks: tuple[Check, ...]
    names: Span | None = None  # ICAO: PRIMARY<<SECONDARY in one field
    surname: Span | None = None  # national layouts with two name fields
    given_names: Span | None = None
    nationality: Span | None = None
    implied_nationality: str = ""  # a national card: only its own nationals hold it
    expiry_date: Span | None = None
    issue_month: Span | None = None  # YYMM
    optional: tuple[Span, ...] = ()
    long_number: Span | None = None  # where a number over 9 characters continues
    max_validity_years: int | None = None  # when the zone has no expiry date


def _icao_two_line(name: str, width: int, codes: tuple[str, ...], composite: bool) -> Layout:
    """TD2, TD3, MRV-A and MRV-B share line 2 up to the expiry check digit (position 28)."""
    optional_end = width - 2 if name == "TD3" else width - 1 if composite else width
    checks = [
        Check("birth_date", ((1, 13, 19),), (1, 19)),
        Check("expiry_date", ((1, 21, 27),), (1, 27)),
    ]
    if name == "TD3":
        checks.append(Check("optional_data", ((1, 28, 42),), (1, 42)))
    if composite:
        spans = ((1, 0, 10), (1, 13, 20), (1, 21, width - 1))
        checks.append(Check("composite", spans, (1, width - 1)))
    return Layout(
        name=name,
        lines=2,
        width=width,
        codes=codes,
        names=(0, 5, width),
        number=(1, 0, 9),
        number_digit=(1, 9),
        nationality=(1, 10, 13),
        birth_date=(1, 13, 19),
        sex=(1, 20, 21),
        expiry_date=(1, 21, 27),
        optional=((1, 28, optional_end),),
        long_number=(1, 28, optional_end) if name == "TD2" else None,
        checks=tuple(checks),
    )


# ICAO Doc 9303 Part 4 (8th ed., 2021) §4.2.2: passports, document code P.
TD3 = _icao_two_line("TD3", 44, ("P",), composite=True)
# Part 6 §4.2.2: TD2 cards, document code A, C or I; a number over 9 characters continues
# in the optional data as in TD1 (test vector: Part 11 Appendix D.2).
TD2 = _icao_two_line("TD2", 36, ("A", "C", "I"), composite=True)
# Part 7 §4.2.2 (MRV-A, 2x44) and §5.2.2 (MRV-B, 2x36): document code V, no composite
# check digit, and the optional data run to the end of line 2.
MRV_A = _icao_two_line("MRV-A", 44, ("V",), composite=False)
MRV_B = _icao_two_line("MRV-B", 36, ("V",), composite=False)

# Part 5 §4.2.2: TD1 cards, document code A, C or I; a number over 9 characters puts '<'
# in its check digit position and continues, with its check digit, in the optional data.
TD1 = Layout(
    name="TD1",
    lines=3,
    width=30,
    codes=("A", "C", "I"),
    number=(0, 5, 14),
    number_digit=(0, 14),
    long_number=(0, 15, 30),
    optional=((0, 15, 30), (1, 18, 29)),
    birth_date=(1, 0, 6),
    sex=(1, 7, 8),
    expiry_date=(1, 8, 14),
    nationality=(1, 15, 18),
    names=(2, 0, 30),
    checks=(
        Check("birth_date", ((1, 0, 6),), (1, 6)),
        Check("expiry_date", ((1, 8, 14),), (1, 14)),
        Check("composite", ((0, 5, 30), (1, 0, 7), (1, 8, 15), (1, 18, 29)), (1, 29)),
    ),
)

# The French national identity card of 1988-2021 (not ICAO 9303; the layout as documented for
# the card, e.g. Wikipedia "National identity card (France)", and read by public MRZ readers
# such as Innovatrics' mrz-java `FrenchIdCard`):
# line 1 IDFRA, surname (6-30), issuing department and office (31-36); line 2 the card
# number YYMM + department (3) + serial (5) (1-12) and its check digit (13), given names
# (14-27), birth date (28-33) and its check digit (34), sex (35), and a check digit over
# both lines (36). No expiry date: the card was valid 10, later 15, years from issue.
FR_ID = Layout(
    name="FR-ID",
    lines=2,
    width=36,
    codes=("IDFRA",),
    surname=(0, 5, 30),
    optional=((0, 30, 36),),
    number=(1, 0, 12),
    number_digit=(1, 12),
    issue_month=(1, 0, 4),
    given_names=(1, 13, 27),
    birth_date=(1, 27, 33),
    sex=(1, 34, 35),
    implied_nationality="FRA",
    max_validity_years=15,
    checks=(
        Check("birth_date", ((1, 27, 33),), (1, 33)),
        Check("composite", ((0, 0, 36), (1, 0, 35)), (1, 35)),
    ),
)

LAYOUTS = (TD1, TD2, TD3, MRV_A, MRV_B, FR_ID)
SHAPES = "TD1 is 3 lines of 30 characters, TD2 2 lines of 36, TD3 (passports) 2 lines of 44, "
SHAPES += "MRV-A and MRV-B (visas, code V) 2 lines of 44 and 36, FR-ID (French identity card "
SHAPES += "1988-2021, IDFRA) 2 lines of 36"


def candidates(lines: int, width: int) -> tuple[Layout, ...]:
    """The layouts of this shape, whatever their document code."""
    return tuple(lay for lay in LAYOUTS if (lay.lines, lay.width) == (lines, width))


def select(lines: list[str]) -> Layout | None:
    """The layout whose code is the longest start of line 1 among those of this shape."""
    fitting = [
        (len(code), lay)
        for lay in candidates(len(lines), len(lines[0]))
        for code in lay.codes
        if lines[0].startswith(code)
    ]
    return max(fitting, key=lambda pair: pair[0])[1] if fitting else None
