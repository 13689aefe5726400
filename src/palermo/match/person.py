"""Scoring a candidate person against a query, with an explanation per feature.

The evidence model (ADR 0010): the name is the base of the score, scaled so that an exact
name alone reaches ``NAME_CEILING`` (0.9); every other feature both sides have moves the
score up or down by a fixed, documented amount for what it found, and a feature one side
lacks is left out (a missing birth date neither helps nor hurts). An additive model, not a
weighted mean: in a mean a shared nationality lifted a weak name over the threshold, and a
birth year one off sank an exact name below it. Each feature says what it compared, what
it found and how far that moved the score (its ``weight``: the signed change; the name's
weight is its share of the base). Analysts see exactly that.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from palermo.match.mrz import normalise_document_number
from palermo.match.names import name_parts, name_similarity, token_similarity

NAME_CEILING = 0.9  # an exact name with nothing else to compare; corroboration adds the rest
READING_CEILING = 0.8  # the same, when the name only matched through a reading (`through_reading`)
DOCUMENT_PROPS = ("passportNumber", "idNumber")
PLACEHOLDER_DAY = "-01-01"  # lists write 1 January when only the year is known

# How far each finding moves the score (ADR 0010 gives the reasoning and the measurements).
EXACT_DATE = 0.15  # the same full date: strong evidence (1 pair in ~20,000 shares one)
SWAPPED_DATE = 0.08  # the same date with day and month swapped: a common clerical slip
SAME_YEAR = 0.06  # the same year where a side only has a year (or 1 January)
DATE_TYPO = 0.04  # full dates: same day and month a year apart, or one digit different
SAME_YEAR_MONTH = 0.03  # full dates in the same year and month
NEAR_YEAR = 0.02  # the same year only, or a year-only date one off: weak, but not nothing
DIGIT_YEAR = -0.08  # years alone one digit apart: a typo, or (more often) another person
DATE_CONTRADICTS = -0.15  # different years beyond a slip: counts against, no veto
SAME_DOCUMENT = 0.10  # and the score is at least DOCUMENT_FLOOR
DOCUMENT_FLOOR = 0.9
OTHER_DOCUMENT = -0.15  # same issuing country, another number (a renewal is possible)
SAME_NATIONALITY = 0.02
OTHER_NATIONALITY = -0.05  # dual nationals exist: a small contradiction
OTHER_SEX = -0.10
OTHER_GIVEN_NAME = -0.15  # both sides give given names and none of them agree
GIVEN_NAME_AGREES = 0.8  # token similarity at which two given names are the same name


@dataclass(frozen=True)
class PersonRecord:
    id: str
    names: tuple[str, ...]
    birth_dates: tuple[str, ...] = ()
    nationalities: tuple[str, ...] = ()
    sex: str | None = None
    documents: tuple[str, ...] = ()
    agency: str = ""
    given_names: tuple[str, ...] = ()  # when the source says which part is the given name
    document_countries: tuple[str, ...] = ()  # issuing countries of `documents`, if known


@dataclass(frozen=True)
class Feature:
    """One compared attribute: its similarity, how far it moved the score, and why."""

    name: str
    score: float
    weight: float
    explanation: str


@dataclass(frozen=True)
class Score:
    value: float
    features: tuple[Feature, ...] = field(default_factory=tuple)

    def explain(self) -> str:
        return "; ".join(f"{f.name} {f.score:.2f}: {f.explanation}" for f in self.features)


def person_record_from_entity(entity: Mapping[str, Any]) -> PersonRecord:
    """From an FtM-style dict ``{"id", "schema", "properties"}``."""
    props: Mapping[str, list[str]] = entity.get("properties", {})
    names = [*props.get("name", []), *props.get("alias", [])]
    if not names and (props.get("firstName") or props.get("lastName")):
        names = [" ".join([*props.get("firstName", []), *props.get("lastName", [])])]
    docs = [d for p in DOCUMENT_PROPS for d in props.get(p, [])]
    genders = props.get("gender") or []
    sex = genders[0] if genders else None
    return PersonRecord(
        str(entity["id"]),
        tuple(names),
        tuple(props.get("birthDate", [])),
        tuple(props.get("nationality", [])),
        sex,
        tuple(docs),
        str(entity.get("agency", "")),
        tuple(props.get("firstName", [])),
    )


# --- birth dates -----------------------------------------------------------------------


@dataclass(frozen=True)
class DateEvidence:
    score: float  # similarity shown to the analyst
    effect: float  # how far it moves the person score
    why: str


def _year_only(value: str) -> bool:
    """A year alone, or a 1 January that lists write when only the year is known."""
    return len(value) < 10 or value.endswith(PLACEHOLDER_DAY)


def _one_digit_apart(a: str, b: str) -> bool:
    return len(a) == len(b) and sum(x != y for x, y in zip(a, b, strict=True)) == 1


@lru_cache(maxsize=100_000)
def date_evidence(a: str, b: str) -> DateEvidence:
    """What two birth dates say about being one person: strong only when both are full
    dates that agree; slips (swapped day and month, a year one off, one wrong digit) and
    placeholders (a year alone, 1 January) are weak evidence, never a veto."""
    pair = f"{a} ~ {b}"
    ya, yb = a[:4], b[:4]
    gap = abs(int(ya) - int(yb))
    if a == b and not _year_only(a):
        return DateEvidence(1.0, EXACT_DATE, f"{pair}: the same full date")
    if _year_only(a) or _year_only(b):  # compare what both have
        if ya == yb:
            return DateEvidence(0.7, SAME_YEAR, f"{pair}: same year, partial date")
        if gap == 1:
            return DateEvidence(0.3, NEAR_YEAR, f"{pair}: years one apart, partial date")
        if _one_digit_apart(ya, yb):
            return DateEvidence(0.2, DIGIT_YEAR, f"{pair}: years one digit apart")
        return DateEvidence(0.0, DATE_CONTRADICTS, f"{pair}: different years")
    ma, da, mb, db = a[5:7], a[8:10], b[5:7], b[8:10]
    if ya == yb and ma == db and da == mb:
        return DateEvidence(0.85, SWAPPED_DATE, f"{pair}: day and month swapped")
    if (ma, da) == (mb, db) and gap == 1:
        return DateEvidence(0.75, DATE_TYPO, f"{pair}: year off by one")
    if _one_digit_apart(a, b):
        return DateEvidence(0.75, DATE_TYPO, f"{pair}: one digit different")
    if ya == yb and ma == mb:
        return DateEvidence(0.5, SAME_YEAR_MONTH, f"{pair}: same year and month")
    if ya == yb:
        return DateEvidence(0.35, NEAR_YEAR, f"{pair}: same year only")
    if gap == 1:
        return DateEvidence(0.15, 0.0, f"{pair}: within a year")
    return DateEvidence(0.0, DATE_CONTRADICTS, f"{pair}: different dates")


def date_similarity(a: str, b: str) -> tuple[float, str]:
    """`date_evidence` as (similarity, explanation)."""
    found = date_evidence(a, b)
    return found.score, found.why


def _birth_date(query: PersonRecord, cand: PersonRecord) -> Feature | None:
    if not query.birth_dates or not cand.birth_dates:
        return None
    if len(query.birth_dates) == 1 == len(cand.birth_dates):  # the usual case, kept cheap
        top = date_evidence(query.birth_dates[0], cand.birth_dates[0])
    else:
        found = [date_evidence(a, b) for a in query.birth_dates for b in cand.birth_dates]
        top = max(found, key=lambda d: (d.effect, d.score))
    return Feature("birth_date", top.score, top.effect, top.why)


# --- names -----------------------------------------------------------------------------


HAN_OR_KANA = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
HANGUL = re.compile("[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")
ABJAD = re.compile(
    "[\u0590-\u05ff\u0600-\u06ff\u0700-\u074f\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]"
)
READS = {"han": "Chinese characters", "hangul": "Hangul", "abjad": "an abjad (vowels unwritten)"}


def writing(name: str) -> str:
    """How a name is written, for `through_reading`: "han" (Chinese characters, Japanese
    kana), "hangul", "abjad" (Arabic, Persian, Hebrew, Syriac: vowels unwritten) or "other"."""
    if HAN_OR_KANA.search(name):
        return "han"
    if HANGUL.search(name):
        return "hangul"
    return "abjad" if ABJAD.search(name) else "other"


def through_reading(a: str, b: str) -> bool:
    """Two names compared only through a reading of one writing into another, where the
    writing leaves the Latin form open.

    Such a match proves less than one in the same writing: a Chinese character has several
    readings (Mandarin, Cantonese, Korean, Japanese, each romanised several ways) and a
    romanised syllable fits many characters; Korean and Chinese name parts are one syllable
    each, so unrelated names meet by chance (成 朱 / Choe Chun Yong); an abjad leaves short
    vowels out, so one skeleton fits many names (حسین محمدی / Hassan Mahmood). Measured on
    the UN benchmark's negatives (ADR 0010). Cyrillic, Greek and other alphabets transliterate
    letter by letter and are not discounted."""
    wa, wb = writing(a), writing(b)
    return wa != wb


def _name(query: PersonRecord, cand: PersonRecord) -> Feature:
    best: tuple[float, bool, str, str] = (-1.0, False, "", "")
    for a in query.names:
        for b in cand.names:
            reading = through_reading(a, b)
            base = name_similarity(a, b) * (READING_CEILING if reading else NAME_CEILING)
            if base > best[0]:
                best = (base, reading, a, b)
    base, reading, a, b = best
    if base < 0:
        return Feature("name", 0.0, NAME_CEILING, "no names to compare")
    if reading:
        read = writing(a) if writing(a) != "other" else writing(b)
        return Feature(
            "name",
            round(base / READING_CEILING, 4),
            READING_CEILING,
            f"{a!r} ~ {b!r} (through a reading of {READS[read]}: weaker evidence)",
        )
    return Feature("name", round(base / NAME_CEILING, 4), NAME_CEILING, f"{a!r} ~ {b!r}")


def _given_name(query: PersonRecord, cand: PersonRecord) -> Feature | None:
    """Given names stated on both sides that share no part: a relative or a namesake
    (Kim Jong Un / Kim Jong Nam), not the same person written differently. Missing on one
    side says nothing; an initial agrees with any name it starts. Given names in different
    writings (大文 / Tai Man, 曉晴 / Io Cheng) are also compared whole, as names are, in
    every reading (`name_similarity`): their parts' one transliteration (da wen, xiao qing)
    is not how the other side spells them, and would make them contradict."""
    qa = [p for g in query.given_names for p in name_parts(g)]
    ca = [p for g in cand.given_names for p in name_parts(g)]
    if not qa or not ca:
        return None
    best = max(_given_part_similarity(a, b) for a in qa for b in ca)
    if best < GIVEN_NAME_AGREES:
        best = max(
            [best]
            + [
                name_similarity(a, b)
                for a in query.given_names
                for b in cand.given_names
                if writing(a) != writing(b)
            ]
        )
    if best >= GIVEN_NAME_AGREES:
        return None
    pair = f"{' '.join(query.given_names)!r} vs {' '.join(cand.given_names)!r}"
    return Feature("given_name", best, OTHER_GIVEN_NAME, f"{pair}: given names differ")


def _given_part_similarity(a: str, b: str) -> float:
    if len(a) == 1 or len(b) == 1:
        return 1.0 if a[0] == b[0] else 0.0
    return token_similarity(a, b)


# --- identifiers and the rest ----------------------------------------------------------


_normalised = lru_cache(maxsize=200_000)(normalise_document_number)


def _issuers(person: PersonRecord) -> set[str]:
    """Issuing countries of a person's documents: stated, or their only nationality."""
    if person.document_countries:
        return {c.lower() for c in person.document_countries}
    return {person.nationalities[0].lower()} if len(person.nationalities) == 1 else set()


def _document(query: PersonRecord, cand: PersonRecord) -> Feature | None:
    if not query.documents or not cand.documents:
        return None
    qa = {_normalised(d) for d in query.documents}
    ca = {_normalised(d) for d in cand.documents}
    same = qa & ca
    if same:
        return Feature("document", 1.0, SAME_DOCUMENT, f"{sorted(same)[0]} on both")
    shared = _issuers(query) & _issuers(cand)
    if not shared:
        why = "different numbers, issuers unknown or different: not compared"
        return Feature("document", 0.0, 0.0, why)
    return Feature(
        "document",
        0.0,
        OTHER_DOCUMENT,
        f"different numbers from the same issuer ({sorted(shared)[0]}): contradicts",
    )


def _nationality(query: PersonRecord, cand: PersonRecord) -> Feature | None:
    if not query.nationalities or not cand.nationalities:
        return None
    same = {n.lower() for n in query.nationalities} & {n.lower() for n in cand.nationalities}
    if same:
        return Feature("nationality", 1.0, SAME_NATIONALITY, "shared")
    return Feature("nationality", 0.0, OTHER_NATIONALITY, "different")


def _sex(query: PersonRecord, cand: PersonRecord) -> Feature | None:
    if not query.sex or not cand.sex:
        return None
    if query.sex == cand.sex:
        return Feature("sex", 1.0, 0.0, "same")
    return Feature("sex", 0.0, OTHER_SEX, "different")


def score_person(query: PersonRecord, cand: PersonRecord) -> Score:
    """The name's base plus every other feature's signed effect, within [0, 1]."""
    name = _name(query, cand)
    others = [
        f
        for f in (
            _birth_date(query, cand),
            _document(query, cand),
            _nationality(query, cand),
            _sex(query, cand),
            _given_name(query, cand),
        )
        if f is not None
    ]
    value = name.score * name.weight + sum(f.weight for f in others)
    if any(f.name == "document" and f.score == 1.0 for f in others):
        value = max(value, DOCUMENT_FLOOR)  # the same travel document is strong by itself
    return Score(round(min(max(value, 0.0), 1.0), 4), (name, *others))
