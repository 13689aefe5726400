"""H0 in a screening answer: the hit is reported, values stated for other purposes are not.

A border officer must learn that a passenger or a document hits a record, whatever the
record's handling; but a value another agency stated (H0) for, say, investigation only may
not be handed out for a border check (ADR 0041). So a screening for a purpose answers with
the same candidates, scores, flags and document hits, and leaves out the values H0 excludes:

- a candidate's names that are (or contain) a withheld name value are dropped, and the
  explanation of every feature that compared a withheld property is replaced by
  :data:`WITHHELD`; a flag names the withholding (``H0: values withheld ...``), so the
  officer knows to ask the owner;
- a document report whose status or date is withheld counts as status ``withheld`` (never
  ``clear``: it is still a hit) with no date.

The record's owner hears of the hit through the hit-notice path with the purpose, marked
as withheld (`notice_purpose`). The screening's purpose is its declared purpose when that is
one of the coded purposes (`model.handling_terms.PURPOSES`), otherwise ``screening``: a
free-text purpose ("border check at AMS") is told to the owner but allows only values whose
H0 lists ``screening``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from palermo.model.handling_terms import PURPOSES
from palermo.model.statement import BASE
from palermo.store.purpose_view import H0_KEY, Copy, withheld

if TYPE_CHECKING:
    from palermo.match.screening import Candidate, DocumentCheck, DocumentHit, ScreeningIndex

SCREENING = "screening"
WITHHELD = "withheld: H0 (stated for other purposes)"
WITHHELD_STATUS = "withheld"
NAME_PROPS = frozenset({"name", "alias", "firstName", "lastName", "middleName"})
DOCUMENT_VALUE_PROPS = frozenset({"passportNumber", "idNumber", "number", "country"})
FEATURE_PROPS: Mapping[str, frozenset[str]] = {
    "name": NAME_PROPS,
    "given_name": NAME_PROPS,
    "birth_date": frozenset({"birthDate"}),
    "document": DOCUMENT_VALUE_PROPS,
    "nationality": frozenset({"nationality"}),
    "sex": frozenset({"gender"}),
}


def screening_purpose(declared: str | None) -> str:
    """The H0 purpose of a screening: its declared purpose if coded, else ``screening``."""
    text = (declared or "").strip().lower()
    return text if text in PURPOSES else SCREENING


def notice_purpose(declared: str | None, purpose: str, limit: int) -> str:
    """The purpose told to an owner whose values were withheld from the answer."""
    said = (declared or "").strip()
    text = f"{said} " if said and said.lower() != purpose else ""
    return f"{text}[{purpose}; H0 values withheld from the answer]"[-limit:]


def withheld_of(index: ScreeningIndex, entity_id: str, purpose: str) -> dict[str, set[str]]:
    """prop -> values of the record (and of documents it holds) withheld for ``purpose``."""
    out: dict[str, set[str]] = {}
    for rid in (entity_id, *index.held.get(entity_id, ())):
        copies: list[Copy] | None = index.h0.get(rid)
        if copies:
            for prop, values in withheld({H0_KEY: copies}, purpose).items():
                out.setdefault(prop, set()).update(values)
    return out


def withheld_ids(index: ScreeningIndex, ids: Iterable[str], purpose: str) -> list[str]:
    """The records among ``ids`` with a value withheld for ``purpose``."""
    return [i for i in dict.fromkeys(ids) if withheld_of(index, i, purpose)]


def candidate(index: ScreeningIndex, found: Candidate, purpose: str) -> Candidate:
    """``found`` with its withheld values left out of names and explanations."""
    gone = withheld_of(index, found.person.id, purpose)
    if not gone:
        return found
    names_gone = {v for p in NAME_PROPS for v in gone.get(p, ())}
    names = tuple(n for n in found.person.names if not any(g in n for g in names_gone))
    features = tuple(
        replace(f, explanation=WITHHELD)
        if FEATURE_PROPS.get(f.name, frozenset()) & gone.keys()
        else f
        for f in found.score.features
    )
    props = ", ".join(sorted(p for p in gone if p != BASE)) or "record"
    flag = f"H0: values withheld ({props}); ask {found.person.agency}"
    return replace(
        found,
        person=replace(found.person, names=names),
        score=replace(found.score, features=features),
        flags=(*found.flags, flag),
    )


def document(index: ScreeningIndex, check: DocumentCheck, purpose: str) -> DocumentCheck:
    """``check`` with withheld statuses and dates of its reports left out (still a hit)."""
    hits = tuple(_hit(index, h, purpose) for h in check.hits)
    if hits == check.hits:
        return check
    return replace(check, status=worst(h.status for h in hits), hits=hits)


def _hit(index: ScreeningIndex, hit: DocumentHit, purpose: str) -> DocumentHit:
    gone = withheld_of(index, hit.entity_id, purpose)
    if not gone:
        return hit
    status = WITHHELD_STATUS if hit.status in gone.get("reportStatus", ()) else hit.status
    reported = "" if hit.reported in gone.get("date", ()) else hit.reported
    return replace(hit, status=status, reported=reported)


ORDER = ("stolen", "stolen-blank", "forged", "revoked", "invalidated", "lost")


def worst(statuses: Iterable[str]) -> str:
    """The status a document check reports: the worst known, ``clear`` with no report."""
    found = sorted(set(statuses), key=lambda s: ORDER.index(s) if s in ORDER else len(ORDER))
    return found[0] if found else "clear"
