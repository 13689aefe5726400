"""The handling of something derived from several values: the strictest of its inputs.

Every derived artefact (a resolved identity, a link-graph edge, a risk score, a report row,
an export line, an alert) is built from values that each carry handling codes and maybe a
grade. What may be done with the artefact is what may be done with *all* of its inputs, so
its marking is the union of their handling codes and the weakest of their grades
(:func:`palermo.model.grading.weakest`: ungraded if any input is ungraded). :func:`merge` is
the one place that rule lives; every builder of a derived artefact calls it, so no
derivation can loosen a restriction by forgetting one input's code.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from palermo.model.grading import Grade, parse_grade, weakest
from palermo.model.sharing import Handling, Sharing, SharingError, parse_handling


@dataclass(frozen=True)
class Marking:
    """Handling codes and grade of a value or of something derived from values.

    Text form ``HANDLING|GRADE`` (``H1,no-onward|B2``; ``|`` when there is neither), as
    attached to analysis entities, graph edges, scores, export lines and alerts."""

    handling: frozenset[Handling] = field(default_factory=frozenset)
    grade: Grade | None = None

    @classmethod
    def of(cls, sharing: Sharing) -> Marking:
        return cls(sharing.handling, sharing.grade)

    @classmethod
    def of_policy(cls, canonical: str) -> Marking:
        """The marking of a stored policy (its canonical text, as on `views.Value.policy`)."""
        return cls.of(Sharing.from_canonical(canonical))

    @classmethod
    def parse(cls, text: str) -> Marking:
        """Inverse of :attr:`text`; errors name the part that is wrong."""
        codes, _, grade = text.partition("|")
        try:
            return cls(frozenset(parse_handling(codes.split(","))), parse_grade(grade))
        except ValueError as exc:
            raise SharingError(f"handling: {exc}") from None

    @property
    def text(self) -> str:
        codes = ",".join(sorted(h.value for h in self.handling))
        return f"{codes}|{self.grade.text if self.grade else ''}"

    @property
    def codes(self) -> list[str]:
        return sorted(h.value for h in self.handling)

    def no_looser_than(self, other: Marking) -> bool:
        """Does this marking keep every restriction of ``other`` (codes and grade)?"""
        if not other.handling <= self.handling:
            return False
        if self.grade is None:
            return True
        return other.grade is not None and self.grade.at_most(other.grade)


MarkingLike = Marking | Sharing | str


def merge(inputs: Iterable[MarkingLike]) -> Marking:
    """The marking of an artefact derived from ``inputs``: union of their handling codes,
    weakest grade (none if any input is ungraded). Inputs may be markings, sharings or
    marking texts (``HANDLING|GRADE``). No inputs: no codes, no grade."""
    markings = [_as_marking(i) for i in inputs]
    codes: frozenset[Handling] = frozenset().union(*(m.handling for m in markings))
    return Marking(codes, weakest([m.grade for m in markings]))


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
