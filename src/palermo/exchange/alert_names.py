"""Name subscriptions matched the way person screening matches names (ADR 0056).

A subscription on a name alerts on a statement exactly when screening a person of that
name against a record of the statement's name would answer it: the two share a blocking
key (`screening.name_keys`; screening never scores a record it does not block with) and
the person score of the two names alone (`person.score_person`: the name similarity,
discounted when it only holds through a reading of Chinese characters, Hangul or an
abjad) reaches `SCREENING_THRESHOLD`. Token sets of one transliteration, as before, missed
every other romanisation (Tong Io Cheng / 唐曉晴), every typo, and alerted on nothing a
screening would have found.

The subscription's forms (its person record and blocking keys) are made once per scan
(`NameSubscription.of`), and a statement's keys once per value (`StatementNames`), so a
scan costs one score per subscription and statement that share a key.

`firstName` and `lastName` hold part of a name: they answer a subscription of at most
as many parts as they have (a subscription on "Petrov" finds a lastName "Petrov"; one on
"Ivan Petrov" is not answered by every firstName "Ivan", which the whole-name score of a
missing part, 0.89, would let through).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from palermo.match.names import name_parts
from palermo.match.person import PersonRecord, score_person
from palermo.match.screening import SCREENING_THRESHOLD, name_keys

WHOLE_NAME_PROPS = frozenset({"name", "alias", "weakAlias", "previousName"})
PART_PROPS = frozenset({"firstName", "lastName"})
NAME_PROPS = WHOLE_NAME_PROPS | PART_PROPS


@dataclass
class StatementNames:
    """Blocking keys and part counts of statement values, computed once per value in a
    scan and shared by every subscription of every subscriber."""

    _keys: dict[str, frozenset[str]] = field(default_factory=dict)

    def keys(self, value: str) -> frozenset[str]:
        found = self._keys.get(value)
        if found is None:
            found = self._keys[value] = frozenset(name_keys(value))
        return found


@dataclass(frozen=True)
class NameSubscription:
    """One name subscription's forms: the person record screening would query with, its
    blocking keys and its number of name parts."""

    record: PersonRecord
    keys: frozenset[str]
    parts: int

    @classmethod
    def of(cls, wanted: str) -> NameSubscription:
        return cls(
            PersonRecord("subscription", (wanted,)),
            frozenset(name_keys(wanted)),
            len(name_parts(wanted)),
        )

    def matches(self, prop: str, value: str, names: StatementNames | None = None) -> bool:
        """Would screening this subscription's name find a record named ``value``?"""
        if prop not in NAME_PROPS or not self.keys or not value.strip():
            return False
        if prop in PART_PROPS and len(name_parts(value)) < self.parts:
            return False
        keys = (names or StatementNames()).keys(value)
        if not self.keys & keys:
            return False
        record = PersonRecord("statement", (value,))
        return score_person(self.record, record).value >= SCREENING_THRESHOLD
