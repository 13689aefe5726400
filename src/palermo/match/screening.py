"""Screening: documents, persons and whole passenger manifests against what a viewer may see.

An index is built from the entities *one viewer* may read (through the store's visibility
rule), so screening cannot return a record the viewer may not see: the record is not in
its index. Documents are a hash lookup on the normalised number; persons are blocked on
phonetic name keys and document numbers, then scored with explanations.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from operator import itemgetter
from typing import Any

import numpy as np
from rapidfuzz import fuzz, process

from palermo.match import screening_purpose
from palermo.match.mrz import normalise_document_number
from palermo.match.names import fold, keys, tokens
from palermo.match.person import PersonRecord, Score, person_record_from_entity, score_person
from palermo.store.purpose_view import H0_KEY

MASK = "[masked]"
NOTICE_RISK = {
    "red": 1.0,
    "yellow": 0.9,
    "blue": 0.7,
    "green": 0.6,
    "orange": 0.8,
    "purple": 0.5,
    "black": 0.5,
}
WATCH_TOPICS = {"crime.traffick.human": "trafficking suspect", "wanted": "wanted"}
MAX_CANDIDATES = 300
EMPTY: np.ndarray[Any, Any] = np.zeros(0, dtype=np.int32)
BLOCK_BUDGET = 5000  # candidate ids gathered from blocking keys per query
PREFILTER = 10
PREFILTER_CUTOFF = 60  # ratio of sorted folded parts below which a name cannot reach 0.6
ALWAYS_SCORED = 2  # candidates sharing most blocking keys, scored without the prefilter ...
PREFILTER_SURE = 95  # ... unless it found a name this close
SCREENING_THRESHOLD = 0.7  # see docs/adr/0010-screening-calibration.md


def name_keys(name: str) -> set[str]:
    """Blocking keys of a name: the phonetic keys of its parts (`names.keys`) and the
    whole name glued, so a space in the wrong place (Lauren Tnkunda / Laurent Nkunda,
    Xiaoming / Xiao Ming) still meets its record."""
    glued = fold("".join(tokens(name)))
    return keys(name) | ({"g:" + glued} if len(glued) >= 4 else set())


def folded_name(names: Iterable[str]) -> str:
    return " ".join(sorted({fold(t) for name in names for t in tokens(name)}))


@dataclass(frozen=True)
class DocumentHit:
    number: str
    status: str
    agency: str
    reported: str
    entity_id: str


@dataclass(frozen=True)
class DocumentCheck:
    number: str
    status: str  # clear, or the worst reported status
    hits: tuple[DocumentHit, ...] = ()

    def age_days(self, today: date) -> int | None:
        dated = [h.reported for h in self.hits if len(h.reported) >= 10]
        return (today - date.fromisoformat(min(dated)[:10])).days if dated else None


@dataclass(frozen=True)
class Candidate:
    person: PersonRecord
    score: Score
    flags: tuple[str, ...]
    risk: float


@dataclass
class ScreeningIndex:
    persons: list[PersonRecord] = field(default_factory=list)
    folded: list[str] = field(default_factory=list)  # per person: folded name parts, sorted
    blocks: dict[str, list[int]] = field(default_factory=dict)  # added since finish()
    arrays: dict[str, np.ndarray[Any, Any]] = field(default_factory=dict)  # frozen by finish()
    documents: dict[str, list[DocumentHit]] = field(default_factory=dict)
    flags: dict[str, list[tuple[str, float]]] = field(default_factory=dict)
    _passports: dict[str, str] = field(default_factory=dict)
    _pending: list[Mapping[str, Any]] = field(default_factory=list)
    # H0 per record (`store.purpose_view`), documents each person holds, and the declared
    # purpose of a view made by `for_purpose`: its answers withhold what H0 excludes
    h0: dict[str, list[Any]] = field(default_factory=dict)
    held: dict[str, list[str]] = field(default_factory=dict)
    purpose: str | None = None

    def for_purpose(self, purpose: str) -> ScreeningIndex:
        """The same index (shared, not copied) answering for ``purpose`` (ADR 0041)."""
        return replace(self, purpose=purpose)

    def add(self, entity: Mapping[str, Any]) -> None:
        """Add one entity (FtM dict, optionally with "agency")."""
        schema = entity.get("schema")
        props: Mapping[str, list[str]] = entity.get("properties", {})
        if copies := entity.get(H0_KEY):
            self.h0[str(entity["id"])] = copies
        if schema == "Person":
            self._add_person(entity, props)
        elif schema in ("Passport", "Identification"):
            for number in props.get("number", []):
                if number != MASK:
                    self._passports[str(entity["id"])] = normalise_document_number(number)
            if props.get("holder"):
                self._pending.append(entity)
        elif schema in ("DocumentReport", "Notice"):
            self._pending.append(entity)

    def _add_person(self, entity: Mapping[str, Any], props: Mapping[str, list[str]]) -> None:
        record = person_record_from_entity(entity)
        names = tuple(n for n in record.names if n != MASK)
        if not names:
            return
        record = replace(record, names=names)
        index = len(self.persons)
        self.persons.append(record)
        self.folded.append(folded_name(names))
        block_keys = {k for n in names for k in name_keys(n)}
        block_keys |= {"d:" + normalise_document_number(d) for d in record.documents}
        for key in block_keys:
            self.blocks.setdefault(key, []).append(index)
        for topic in props.get("topics", []):
            if topic in WATCH_TOPICS:
                self.flags.setdefault(record.id, []).append((f"watch: {WATCH_TOPICS[topic]}", 0.8))

    def finish(self) -> ScreeningIndex:
        """Resolve reports and notices that point at documents and persons."""
        held = [e for e in self._pending if e.get("schema") in ("Passport", "Identification")]
        if held:
            self._add_held_documents(held)
        for entity in self._pending:
            props: Mapping[str, list[str]] = entity.get("properties", {})
            if entity.get("schema") == "DocumentReport":
                self._add_report(entity, props)
            elif entity.get("schema") == "Notice":
                self._add_notice(props)
        self._pending.clear()
        # Blocks as int32 arrays: a seventh of the memory of lists of ints, and candidates
        # are counted with numpy instead of a Counter (half the time of a screening).
        for key, ids in self.blocks.items():
            old = self.arrays.get(key)
            new = np.asarray(ids, dtype=np.int32)
            self.arrays[key] = new if old is None else np.concatenate((old, new))
        self.blocks.clear()
        return self

    def _add_held_documents(self, documents: list[Mapping[str, Any]]) -> None:
        """Documents recorded as their own entities (Passport with a holder) become the
        holder's, with the issuing country: a different number from the same country then
        counts against a match, and the number finds the person."""
        position = {p.id: n for n, p in enumerate(self.persons)}
        for entity in documents:
            props: Mapping[str, list[str]] = entity.get("properties", {})
            numbers = [n for n in props.get("number", []) if n != MASK]
            countries = [c for c in props.get("country", []) if c != MASK]
            for holder in props.get("holder", []):
                if holder not in position or not numbers:
                    continue
                n = position[holder]
                self.held.setdefault(holder, []).append(str(entity["id"]))
                person = self.persons[n]
                self.persons[n] = replace(
                    person,
                    documents=tuple(dict.fromkeys([*person.documents, *numbers])),
                    document_countries=tuple(
                        dict.fromkeys([*person.document_countries, *countries])
                    ),
                )
                for number in numbers:
                    self.blocks.setdefault("d:" + normalise_document_number(number), []).append(n)

    def _block(self, key: str) -> np.ndarray[Any, Any]:
        frozen, recent = self.arrays.get(key), self.blocks.get(key)
        if recent is None:
            return frozen if frozen is not None else EMPTY
        added = np.asarray(recent, dtype=np.int32)
        return added if frozen is None else np.concatenate((frozen, added))

    def _add_report(self, entity: Mapping[str, Any], props: Mapping[str, list[str]]) -> None:
        numbers = {
            normalise_document_number(n) for n in props.get("documentNumber", []) if n != MASK
        }
        numbers |= {self._passports[d] for d in props.get("document", []) if d in self._passports}
        for number in numbers:
            for status in props.get("reportStatus", ["reported"]):
                hit = DocumentHit(
                    number,
                    status,
                    str(entity.get("agency", "")),
                    (props.get("date") or [""])[0],
                    str(entity["id"]),
                )
                self.documents.setdefault(number, []).append(hit)

    def _add_notice(self, props: Mapping[str, list[str]]) -> None:
        statuses = props.get("noticeStatus", [])
        if "withdrawn" in statuses or "active" not in statuses:  # requested: not yet approved
            return
        end = (props.get("endDate") or [""])[0]
        if end and end[:10] < date.today().isoformat():
            return
        for kind in props.get("noticeType", []):
            label = f"{kind} notice" + (
                " (missing person / possible victim)" if kind == "yellow" else ""
            )
            for subject in props.get("subject", []):
                self.flags.setdefault(subject, []).append((label, NOTICE_RISK.get(kind, 0.5)))

    # --- queries -----------------------------------------------------------------------

    def check_document(self, number: str) -> DocumentCheck:
        key = normalise_document_number(number)
        hits = tuple(self.documents.get(key, ()))
        order = ("stolen", "stolen-blank", "forged", "revoked", "invalidated", "lost")
        statuses = sorted(
            {h.status for h in hits}, key=lambda s: order.index(s) if s in order else len(order)
        )
        check = DocumentCheck(key, statuses[0] if statuses else "clear", hits)
        if self.purpose is None:
            return check
        return screening_purpose.document(self, check, self.purpose)

    def screen(
        self, query: PersonRecord, limit: int = 10, threshold: float = SCREENING_THRESHOLD
    ) -> list[Candidate]:
        lists = sorted((self._block(k) for n in query.names for k in name_keys(n)), key=len)
        chosen, gathered = [], 0
        for block in lists:  # rarest keys first; common ones (popular given names) add little
            if gathered and gathered + len(block) > BLOCK_BUDGET:
                break
            chosen.append(block)
            gathered += len(block)
        doc_blocks = [self._block("d:" + normalise_document_number(d)) for d in query.documents]
        shortlist = most_shared(chosen + doc_blocks, MAX_CANDIDATES)
        if shortlist:  # cheap C-speed ranking before the full scorer
            ranked = process.extract(
                folded_name(query.names),
                itemgetter(*shortlist)(self.folded)
                if len(shortlist) > 1
                else [self.folded[shortlist[0]]],
                scorer=fuzz.ratio,  # folded names are sorted tokens: token_sort_ratio, 5x faster
                limit=PREFILTER,
                score_cutoff=PREFILTER_CUTOFF,
            )
            doc_hits = [i for block in doc_blocks for i in block.tolist()]
            # Unless the prefilter found a near-exact name, the few sharing most keys are
            # scored whatever it says: a typo in a first letter re-sorts the folded parts
            # it compares (umdakumura / mudakumura).
            sure = bool(ranked) and ranked[0][1] >= PREFILTER_SURE
            shared = [] if sure else shortlist[:ALWAYS_SCORED]
            ranked_ids = (shortlist[k] for _, _, k in ranked)
            shortlist = list(dict.fromkeys([*doc_hits, *shared, *ranked_ids]))
        found = []
        for index in shortlist:
            person = self.persons[index]
            score = score_person(query, person)
            if score.value >= threshold:
                flags = self.flags.get(person.id, [])
                risk = score.value * max((w for _, w in flags), default=0.3)
                found.append(Candidate(person, score, tuple(f for f, _ in flags), risk))
        found.sort(key=lambda c: (-c.score.value, c.person.id))
        if self.purpose is not None:
            return [screening_purpose.candidate(self, c, self.purpose) for c in found[:limit]]
        return found[:limit]


def most_shared(blocks: list[np.ndarray[Any, Any]], limit: int) -> list[int]:
    """The ids found in most blocks (ties: lower id first), at most ``limit``."""
    if not blocks:
        return []
    ids = np.concatenate(blocks)
    if not ids.size:
        return []
    unique, counts = np.unique(ids, return_counts=True)
    if len(unique) > limit:
        keep = np.argpartition(-counts, limit - 1)[:limit]
        unique, counts = unique[keep], counts[keep]
    return list(unique[np.lexsort((unique, -counts))].tolist())


def build_index(entities: Iterable[Mapping[str, Any]]) -> ScreeningIndex:
    index = ScreeningIndex()
    for entity in entities:
        index.add(entity)
    return index.finish()
