"""Source and information grades (the Europol/SIENA 4x4 evaluation) of a value.

A grade is two characters: how reliable the *source* is (A always reliable, B mostly
reliable, C not reliable, X cannot be judged) and how credible the *information* is
(1 known to be true without reservation, 2 known personally to the source, 3 not known
personally but corroborated, 4 cannot be judged). The owning agency sets it with the sharing
(``AUDIENCE|HANDLING|GRADE``, e.g. ``all|H1|B2``); it follows the value into everything
derived from it, where the *weakest* input grade is the one that counts (see
:mod:`palermo.model.handling_merge`).

Weights (used to discount evidence in risk scores, :mod:`palermo.analysis.indicators`) are
the product of a source factor and an information factor, each 1.0, 0.85, 0.7, 0.5 from the
best to the worst step: A1 = 1.0, B2 = 0.7225, C3 = 0.49, X4 = 0.25. The steps are an
ordinal scale, not measured probabilities; the factors only need to keep the order (a
better grade never weighs less) and to keep even X4 evidence visible rather than
discarding it, since an officer's unverifiable note is still worth a look.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SOURCES = ("A", "B", "C", "X")
INFOS = (1, 2, 3, 4)
FACTORS = (1.0, 0.85, 0.7, 0.5)  # best to worst step, for the source and for the information


class GradeError(ValueError):
    """A grade that is not a source letter A/B/C/X followed by an information digit 1-4."""


@dataclass(frozen=True, order=False)
class Grade:
    """One 4x4 evaluation: source reliability and information credibility."""

    source: str
    info: int

    def __post_init__(self) -> None:
        if self.source not in SOURCES:
            raise GradeError(f"grade: source {self.source!r} is not one of {', '.join(SOURCES)}")
        if self.info not in INFOS:
            raise GradeError(f"grade: information {self.info!r} is not one of 1, 2, 3, 4")

    @property
    def text(self) -> str:
        return f"{self.source}{self.info}"

    @property
    def weight(self) -> float:
        """How much evidence of this grade counts (A1 1.0 ... X4 0.25; module docstring)."""
        return FACTORS[SOURCES.index(self.source)] * FACTORS[INFOS.index(self.info)]

    def at_most(self, other: Grade) -> bool:
        """Is this grade no stronger than ``other`` on both axes?"""
        return SOURCES.index(self.source) >= SOURCES.index(other.source) and self.info >= other.info

    def __str__(self) -> str:
        return self.text


def parse_grade(value: Any) -> Grade | None:
    """``"B2"`` (any case, spaces around allowed) as a :class:`Grade`; ``None``/"" is none
    and a :class:`Grade` is itself.

    Errors name the field and what is wrong, for import rows, API bodies and the CLI."""
    if value is None or isinstance(value, Grade):
        return value
    if not isinstance(value, str):
        raise GradeError(f"grade: must be text like 'B2', not {type(value).__name__}")
    text = value.strip().upper()
    if not text:
        return None
    if len(text) != 2 or not text[1].isdigit():
        raise GradeError(
            f"grade: {value!r} is not a source letter (A, B, C, X) and an information "
            "digit (1-4), e.g. 'B2'"
        )
    return Grade(text[0], int(text[1]))


def weakest(grades: list[Grade | None]) -> Grade | None:
    """The grade no stronger than any of ``grades``: worst source and worst information.

    An ungraded input makes the result ungraded: nothing is known of it, so nothing derived
    from it may claim a grade. No inputs at all is ungraded too."""
    if not grades or any(g is None for g in grades):
        return None
    known = [g for g in grades if g is not None]
    source = max((g.source for g in known), key=SOURCES.index)
    return Grade(source, max(g.info for g in known))
