"""Corrections: retract a value, replace it, or narrow who may see it.

Statements are never edited in place. A correction appends a retraction of the value (the
history stays readable, and the exchange carries the retraction to every peer the value
reached) and, for a replacement or a narrowing, a new statement. Only the agency that said
a value may correct it, and a narrowing may not widen the audience: widening is a new
decision to share, made by writing the value again, not a correction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from palermo.access.viewer import AccessDenied, NotVisible, Viewer
from palermo.model.schemata import model
from palermo.model.sharing import GROUP_PREFIX, Sharing
from palermo.model.statement import BASE, Statement, change_time
from palermo.store.store import Store

# Schemata whose values change only through their own checked path, which also keeps a
# reason (issue 20): a court outcome's ICCS code is checked against its form of
# exploitation, and one value retracted alone would leave an outcome without a verdict.
# Narrowing who sees a value stays a correction of its own.
OWN_PATHS = {"CourtOutcome": "POST /api/v1/court-outcomes/{id}/correct or .../retract"}


class Action(StrEnum):
    RETRACT = "retract"
    REPLACE = "replace"
    SHARE = "share"


@dataclass(frozen=True)
class Outcome:
    """What a correction wrote: how many retractions and new statements."""

    entity_id: str
    prop: str
    action: Action
    retracted: int
    asserted: int

    def to_json(self) -> dict[str, object]:
        return {
            "entity_id": self.entity_id,
            "prop": self.prop,
            "action": self.action.value,
            "retracted": self.retracted,
            "asserted": self.asserted,
        }


def correct(
    store: Store,
    viewer: Viewer,
    entity_id: str,
    prop: str,
    value: str,
    action: Action | str,
    new_value: str | None = None,
    sharing: Sharing | None = None,
) -> Outcome:
    """One correction of one of the viewer agency's current values, as one audited write."""
    try:
        act = Action(action)
    except ValueError:
        allowed = ", ".join(a.value for a in Action)
        raise ValueError(f"action: {action!r} is not one of {allowed}") from None
    if prop == BASE:
        raise ValueError(f"prop: {BASE!r} is not a value (retract the entity's values instead)")
    own = owned_values(store, viewer, entity_id, prop, value)
    path = OWN_PATHS.get(own[0].schema)
    if path is not None and act is not Action.SHARE:
        raise ValueError(
            f"action: a {own[0].schema} is corrected or retracted as a whole, with a reason "
            f"({path.format(id=entity_id)}), so its values are checked together"
        )
    when = change_time()
    new: list[Statement] = []
    if act is Action.REPLACE:
        new = _replacements(own, _clean(own[0].schema, prop, new_value, value), when)
    elif act is Action.SHARE:
        if sharing is None:
            raise ValueError("sharing: give the narrower sharing (AUDIENCE|HANDLING)")
        new = _narrowed(store, own, sharing, when)
        if not new:
            return Outcome(entity_id, prop, act, 0, 0)
    retractions = [s.retraction(when) for s in own]
    store.write(viewer, [*retractions, *new], action=f"correct.{act.value}", target=entity_id)
    return Outcome(entity_id, prop, act, len(retractions), len(new))


def owned_values(
    store: Store, viewer: Viewer, entity_id: str, prop: str, value: str
) -> list[Statement]:
    """The viewer agency's current statements of this value: 404 if the viewer sees no
    such value, 403 if it is another agency's (only the owner corrects its values)."""
    viewer.require_data_role("correct entity data")
    own = [s for s in store.own_current(viewer, entity_id, prop) if s.value == value]
    if own:
        return own
    entity = store.entity(viewer, entity_id)
    if entity is None:
        raise NotVisible(f"entity_id: no visible entity {entity_id!r}")
    owners = sorted({v.agency for v in entity.properties.get(prop, []) if v.value == value})
    if owners:
        raise AccessDenied(
            f"value: {prop} {value!r} of {entity_id} is said by {', '.join(owners)}; "
            f"only the owning agency may correct its values"
        )
    raise NotVisible(f"value: {entity_id} has no current {prop} {value!r} of {viewer.agency}")


def _clean(schema_name: str, prop: str, new_value: str | None, old: str) -> str:
    """The replacement value, checked like an imported one (a date must be a date)."""
    if new_value is None or not new_value.strip():
        raise ValueError("new_value: give the value that replaces the old one")
    schema = model.get(schema_name)
    found = schema.get(prop) if schema is not None else None
    if found is None:
        raise ValueError(f"prop: {schema_name} has no property {prop!r}")
    text = new_value.strip()
    cleaned = text if found.type.name == "entity" else found.type.clean(text)
    if cleaned is None:
        raise ValueError(f"new_value: {text!r} is not a valid {found.type.label.lower()}")
    if str(cleaned) == old:
        raise ValueError(f"new_value: {text!r} is the current value (nothing to replace)")
    return str(cleaned)


def _replacements(own: list[Statement], value: str, when: datetime) -> list[Statement]:
    """The new value under each source record and sharing the old one had."""
    seen: dict[tuple[str, str, str], Statement] = {}
    for s in own:
        key = (s.schema, s.source_record_id, s.sharing.canonical)
        seen.setdefault(
            key,
            Statement(
                s.entity_id,
                s.schema,
                s.prop,
                value,
                s.agency,
                s.source_record_id,
                s.sharing,
                when,
            ),
        )
    return list(seen.values())


def _narrowed(
    store: Store, own: list[Statement], sharing: Sharing, when: datetime
) -> list[Statement]:
    """The same value under the narrower sharing (none if nothing changes)."""
    groups = {a.code: set(a.groups) for a in store.agencies()}
    out: dict[tuple[str, str], Statement] = {}
    for s in own:
        why = widening(s.sharing, sharing, groups)
        if why:
            raise ValueError(
                f"sharing: {sharing.canonical!r} is wider than {s.sharing.canonical!r} "
                f"({why}); a correction may only narrow who sees a value"
            )
        if sharing == s.sharing:
            continue
        out.setdefault(
            (s.schema, s.source_record_id),
            Statement(
                s.entity_id,
                s.schema,
                s.prop,
                s.value,
                s.agency,
                s.source_record_id,
                sharing,
                when,
            ),
        )
    return list(out.values())


def widening(old: Sharing, new: Sharing, groups_of: dict[str, set[str]]) -> str:
    """Why ``new`` would reach someone ``old`` does not ('' if it is narrower or equal).

    Every agency ``new`` names must be reached by ``old`` (named, or a member of one of its
    groups), every group must be one of ``old``'s, and no handling code may be dropped
    (dropping victim-sensitive unmasks, dropping no-onward lets a peer pass it on)."""
    dropped = sorted(h.value for h in old.handling - new.handling)
    if dropped:
        return f"drops handling {', '.join(dropped)}"
    if old.purposes and not (new.purposes and new.purposes <= old.purposes):
        return f"allows purposes beyond H0:{',H0:'.join(sorted(old.purposes))}"
    lost = sorted(old.restrictions - new.restrictions)  # H3 texts, ADR 0034
    if lost:
        return f"drops the H3 restriction {lost[0]!r}"
    if old.everyone:
        return ""
    if new.everyone:
        return "'all' reaches every agency"
    extra_groups = sorted(new.groups - old.groups)
    if extra_groups:
        return f"adds {GROUP_PREFIX}{extra_groups[0]}"
    for agency in sorted(new.agencies):
        if agency not in old.agencies and not groups_of.get(agency, set()) & old.groups:
            return f"adds {agency}"
    return ""


def actions() -> Iterable[str]:
    return (a.value for a in Action)
