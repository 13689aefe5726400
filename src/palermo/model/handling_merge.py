"""The handling of something derived from several values: the strictest of its inputs.

Every derived artefact (a resolved identity, a link-graph edge, a risk score, a report row,
an export line, an alert) is built from values that each carry handling codes and maybe a
grade. What may be done with the artefact is what may be done with *all* of its inputs, so
its marking is the union of their handling codes and the weakest of their grades
(:func:`palermo.model.grading.weakest`: ungraded if any input is ungraded), the
*intersection* of the purposes H0 inputs allow (an input without stated purposes allows any)
and the union of their H3 restriction texts. :func:`merge` is
the one place that rule lives; every builder of a derived artefact calls it, so no
derivation can loosen a restriction by forgetting one input's code.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from palermo.model.grading import Grade, parse_grade, weakest
from palermo.model.handling_terms import NO_PURPOSE, read_codes, tokens
from palermo.model.sharing import Handling, Sharing, SharingError, parse_handling


@dataclass(frozen=True)
class Marking:
    """Handling codes and grade of a value or of something derived from values.

    Text form ``HANDLING|GRADE`` (``H1,no-onward|B2``; ``|`` when there is neither), as
    attached to analysis entities, graph edges, scores, export lines and alerts; H0 and H3
    in their qualified forms when they have purposes or restrictions
    (``H0:investigation,H3:ask first%2C always|``; ``H0:none`` when the inputs' purposes
    had nothing in common).

    ``purposes`` is None when no input restricts the purpose, else the purposes every
    input allows (empty: none)."""

    handling: frozenset[Handling] = field(default_factory=frozenset)
    grade: Grade | None = None
    purposes: frozenset[str] | None = None
    restrictions: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        """Stated purposes imply H0 and restriction texts H3, as on `Sharing`."""
        implied = {Handling.H0} if self.purposes is not None else set()
        implied |= {Handling.H3} if self.restrictions else set()
        if not implied <= self.handling:
            object.__setattr__(self, "handling", self.handling | implied)

    @classmethod
    def of(cls, sharing: Sharing) -> Marking:
        purposes = sharing.purposes or None
        return cls(sharing.handling, sharing.grade, purposes, sharing.restrictions)

    @classmethod
    def of_policy(cls, canonical: str) -> Marking:
        """The marking of a stored policy (its canonical text, as on `views.Value.policy`)."""
        return cls.of(Sharing.from_canonical(canonical))

    @classmethod
    def parse(cls, text: str) -> Marking:
        """Inverse of :attr:`text`; errors name the part that is wrong."""
        codes, _, grade = text.partition("|")
        try:
            read = read_codes(codes.split(","), derived=True)
            handling = frozenset(parse_handling(read.codes))
            purposes = None if not read.purposes else read.purposes
            if purposes is not None and NO_PURPOSE in purposes:
                purposes = frozenset()  # derived: no purpose left
            return cls(handling, parse_grade(grade), purposes, read.restrictions)
        except ValueError as exc:
            raise SharingError(f"handling: {exc}") from None

    @property
    def text(self) -> str:
        purposes = self.purposes if self.purposes != frozenset() else {NO_PURPOSE}
        codes = tokens((h.value for h in self.handling), purposes or (), self.restrictions)
        return f"{codes}|{self.grade.text if self.grade else ''}"

    @property
    def codes(self) -> list[str]:
        """The bare codes (H0, H3 without their purposes and texts), for badges and tests."""
        return sorted(h.value for h in self.handling)

    @property
    def words(self) -> str:
        """The codes with H0's purposes and H3's texts written out, for reports and lines
        read by people: ``H0 (for analysis only), H3 (ask first); grade B2``."""
        parts = []
        for code in self.codes:
            if code == "H0" and self.purposes is not None:
                code += f" (for {', '.join(sorted(self.purposes)) or 'no purpose'} only)"
            elif code == "H3" and self.restrictions:
                code += f" ({'; '.join(sorted(self.restrictions))})"
            parts.append(code)
        grade = self.grade.text if self.grade else "ungraded"
        return f"{', '.join(parts) or 'none'}; grade {grade}"

    def allows(self, purpose: str) -> bool:
        """May something with this marking be used for ``purpose`` (H0)?"""
        return self.purposes is None or purpose in self.purposes

    def no_looser_than(self, other: Marking) -> bool:
        """Does this marking keep every restriction of ``other`` (codes and grade)?"""
        if not other.handling <= self.handling or not other.restrictions <= self.restrictions:
            return False
        if other.purposes is not None and (
            self.purposes is None or not self.purposes <= other.purposes
        ):
            return False
        if self.grade is None:
            return True
        return other.grade is not None and self.grade.at_most(other.grade)


MarkingLike = Marking | Sharing | str


def merge(inputs: Iterable[MarkingLike]) -> Marking:
    """The marking of an artefact derived from ``inputs``: union of their handling codes,
    weakest grade (none if any input is ungraded), the purposes all H0 inputs allow
    (intersection) and every H3 restriction (union). Inputs may be markings, sharings or
    marking texts (``HANDLING|GRADE``). No inputs: no codes, no grade."""
    markings = [_as_marking(i) for i in inputs]
    codes: frozenset[Handling] = frozenset().union(*(m.handling for m in markings))
    stated = [m.purposes for m in markings if m.purposes is not None]
    purposes = frozenset.intersection(*stated) if stated else None
    restrictions: frozenset[str] = frozenset().union(*(m.restrictions for m in markings))
    return Marking(codes, weakest([m.grade for m in markings]), purposes, restrictions)


def merge_groups(
    markings: Mapping[str, Marking], group_of: Mapping[str, str]
) -> dict[str, Marking]:
    """group -> the merge of its members' markings (e.g. identity -> its records); a member
    with no group is its own group."""
    members: dict[str, list[Marking]] = {}
    for member, marking in markings.items():
        members.setdefault(group_of.get(member, member), []).append(marking)
    return {group: merge(ms) for group, ms in members.items()}


def _as_marking(value: MarkingLike) -> Marking:
    if isinstance(value, Marking):
        return value
    if isinstance(value, Sharing):
        return Marking.of(value)
    return Marking.parse(value)
