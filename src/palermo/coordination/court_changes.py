"""Correcting and retracting a court outcome, keeping its history (issue 20, ADR 0028).

A court outcome is corrected the way every value in palermo is (`store.corrections`):
nothing is edited in place; the recording agency's old statement of a changed value is
retracted and the new value written under the same source record and sharing, in one
audited write. A retraction withdraws every statement the agency made of the outcome, as
`Store.retract` does, so the outcome stops existing for every reader (the GLOTIP submission
and its trace no longer count it, and the exchange carries the retraction to every peer
the record reached). Statements carry who (agency) and when, but not why, and a retracted
record cannot be read again; so each change also writes a `CourtOutcomeChange` record in
the same write: the outcome, its defendant, "corrected" or "retracted", what changed
("prop: old -> new", or the values withdrawn), the reason, the user and the time, shared as
the outcome was. That record is the history a reader sees beside the outcome (the case
page, the outcome's page, the API), and it stays when the outcome itself is withdrawn.

Rules: only the agency that recorded an outcome corrects or retracts it (403 otherwise, 404
when the caller cannot read it), with a data role, as recording needs; a correction passes
the same check as recording (`court.check`, ICCS code against the form included) and
keeps the defendant (an outcome about the wrong person is retracted and recorded again);
both need a reason; a correction that changes nothing is refused.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

from palermo.access.viewer import AccessDenied, NotVisible, Viewer
from palermo.coordination import court
from palermo.ingest.build import build, new_entity_id
from palermo.model.statement import Statement, change_time
from palermo.store.store import Store
from palermo.store.views import Entity, as_utc

CHANGE = "CourtOutcomeChange"
CORRECTED, RETRACTED = "corrected", "retracted"
REASON = 2000  # characters of a reason
ARROW = " -> "
# the outcome's values a correction may change: the check's field name -> the property
FIELDS: dict[str, str] = {
    "verdict": "verdict",
    "prosecution_date": "prosecutionDate",
    "verdict_date": "verdictDate",
    "offence_code": "offenceCode",
    "exploitation_form": "exploitationForm",
    "court": "court",
}


@dataclass(frozen=True)
class Change:
    """What one correction or retraction wrote."""

    outcome: str
    change_id: str
    change: str
    changed: tuple[str, ...]

    def to_json(self) -> dict[str, object]:
        return {"id": self.outcome, "change_id": self.change_id, "change": self.change,
                "changed": list(self.changed)}  # fmt: skip


def own_outcome(store: Store, viewer: Viewer, outcome_id: str) -> tuple[Entity, list[Statement]]:
    """The outcome and the viewer agency's current statements of it: 404 if the viewer
    reads no such court outcome, 403 if another agency recorded it (the recorder is the
    agency that states its defendant; a partner that added a value to it is not)."""
    viewer.require_data_role("correct a court outcome")
    outcome = store.entity(viewer, outcome_id, purpose=None)  # judged on every value
    # a retracted outcome may keep a value a partner added, but no defendant: it is gone
    if outcome is None or outcome.schema != "CourtOutcome" or not outcome.values("defendant"):
        raise NotVisible(f"outcome_id: no court outcome {outcome_id[:80]!r} you can read")
    own = store.own_current(viewer, outcome.id, None)
    if not any(s.prop == "defendant" for s in own):  # a value added to it is not the record
        recorders = sorted({v.agency for v in outcome.properties.get("defendant", [])})
        raise AccessDenied(
            f"outcome_id: {outcome.id} was recorded by {', '.join(recorders) or 'another agency'}"
            "; only the agency that recorded a court outcome corrects or retracts it"
        )
    return outcome, own


def _values(own: list[Statement]) -> dict[str, list[Statement]]:
    found: dict[str, list[Statement]] = {}
    for s in own:
        found.setdefault(s.prop, []).append(s)
    return found


def _first(values: dict[str, list[Statement]], prop: str) -> str:
    return sorted(s.value for s in values.get(prop, []))[0] if values.get(prop) else ""


def current_input(own: list[Statement]) -> court.CourtOutcomeInput:
    """The outcome as the recording agency stated it, in the form's fields (to prefill)."""
    values = _values(own)
    typed = {name: _first(values, prop) for name, prop in FIELDS.items()}
    return court.CourtOutcomeInput(defendant=_first(values, "defendant"), **typed)


def check_reason(reason: str) -> str:
    text = reason.strip()
    if not text:
        raise ValueError("reason: say why (a court outcome's history keeps the reason)")
    if len(text) > REASON:
        raise ValueError(f"reason: at most {REASON} characters")
    return text


def correct_court_outcome(
    store: Store,
    viewer: Viewer,
    outcome_id: str,
    values: court.CourtOutcomeInput,
    reason: str,
    today: date | None = None,
) -> Change:
    """Correct the outcome's values (checked as when recorded) and write its history."""
    outcome, own = own_outcome(store, viewer, outcome_id)
    stated = _values(own)
    defendant = _first(stated, "defendant")
    if values.defendant.strip() and values.defendant.strip() != defendant:
        raise ValueError(
            f"defendant: a correction keeps the defendant {defendant}; retract the outcome "
            "and record it for the other person"
        )
    props = court.check(replace(values, defendant=defendant), today)
    why = check_reason(reason)
    template = (stated.get("defendant") or own)[0]
    when = change_time()
    lines: list[str] = []
    writes: list[Statement] = []
    for prop in FIELDS.values():
        old = sorted(s.value for s in stated.get(prop, []))
        new = str(props.get(prop, ""))
        if old == ([new] if new else []):
            continue
        lines.append(f"{prop}: {', '.join(old) or '(none)'}{ARROW}{new or '(none)'}")
        writes += [s.retraction(when) for s in stated.get(prop, [])]
        if new:
            writes.append(
                Statement(
                    outcome.id,
                    template.schema,
                    prop,
                    new,
                    template.agency,
                    template.source_record_id,
                    template.sharing,
                    when,
                )
            )
    if not lines:
        raise ValueError("values: nothing to correct, every value is as recorded")
    return _write(store, viewer, outcome.id, defendant, CORRECTED, lines, why, writes, template)


def retract_court_outcome(store: Store, viewer: Viewer, outcome_id: str, reason: str) -> Change:
    """Withdraw the outcome (every statement the agency made of it) and write its history,
    which keeps the values withdrawn."""
    outcome, own = own_outcome(store, viewer, outcome_id)
    stated = _values(own)
    why = check_reason(reason)
    lines = [f"{prop}: {_first(stated, prop)}" for prop in ("defendant", *FIELDS.values())
             if stated.get(prop)]  # fmt: skip
    when = change_time()
    template = (stated.get("defendant") or own)[0]
    writes = [s.retraction(when) for s in own]
    return _write(
        store, viewer, outcome.id, _first(stated, "defendant"), RETRACTED, lines, why, writes,
        template,
    )  # fmt: skip


def _write(
    store: Store,
    viewer: Viewer,
    outcome_id: str,
    defendant: str,
    change: str,
    lines: list[str],
    reason: str,
    writes: list[Statement],
    template: Statement,
) -> Change:
    """The outcome's statements and its history record in one audited write
    (``court.correct`` / ``court.retract``, target the outcome)."""
    change_id = new_entity_id(viewer.agency, "court-change")
    record = {
        "outcome": outcome_id,
        "defendant": defendant,
        "change": change,
        "changed": "\n".join(lines),
        "reason": reason,
        "changedBy": viewer.username,
        "changedAt": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    # first seen to the microsecond (``changedAt`` keeps seconds): the history's order
    written = change_time()
    history = [
        replace(s, first_seen=written)
        for s in build(viewer.agency, change_id, CHANGE, record, template.sharing)
    ]
    action = "court.correct" if change == CORRECTED else "court.retract"
    store.write(viewer, [*writes, *history], action=action, target=outcome_id)
    return Change(outcome_id, change_id, change, tuple(lines))


def history(store: Store, viewer: Viewer, outcome_id: str) -> list[Entity]:
    """The outcome's corrections and retractions the viewer reads, oldest first (the store
    handed in decides the purpose of the read)."""
    found = store.referencing(viewer, outcome_id, schema=CHANGE)
    mine = [e for e in found if outcome_id in e.values("outcome")]
    return sorted(mine, key=_written)


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _written(change: Entity) -> tuple[str, datetime, str]:
    """When a change was written: ``changedAt`` is kept to the second (an FtM date), so two
    changes within one second are ordered by when their statements were first seen."""
    stated = change.properties.get("changedAt") or change.properties.get("change") or []
    seen = [as_utc(v.first_seen) or EPOCH for v in stated]
    return change.first("changedAt") or "", min(seen, default=EPOCH), change.id


def withdrawn_values(change: Entity) -> dict[str, str]:
    """The values a retraction withdrew, by property (its ``changed`` lines)."""
    out: dict[str, str] = {}
    for line in (change.first("changed") or "").splitlines():
        prop, _, value = line.partition(": ")
        if prop and ARROW not in value:
            out[prop] = value
    return out
