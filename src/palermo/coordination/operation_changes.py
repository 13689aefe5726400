"""Changing an operation's plan after it was made: name, participants, action time, targets.

`operations.plan_operation` writes the plan once; plans change (a country joins, the action
day moves). Only the coordinator agency, the one that made the plan, may change it: its
statements are the plan. The change retracts every current statement of the coordinator on
the operation and writes the new plan in the same batch, shared with the new participants,
so an agency taken off the plan stops seeing it (as `cases.remove_from_team` re-shares a
case) and an agency added sees it whole. The participants' own results stay theirs.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from palermo.access.viewer import AccessDenied, NotVisible, Viewer
from palermo.coordination.operations import Participant, check_participants
from palermo.ingest.build import build
from palermo.model.sharing import Sharing
from palermo.model.statement import Statement, change_time
from palermo.store.store import Store
from palermo.store.views import Entity


def coordinator_of(operation: Entity) -> str:
    """The agency that planned the operation: the one that stated its coordinator."""
    for value in operation.properties.get("coordinator", []):
        return value.agency
    return ""


def planned_operation(store: Store, viewer: Viewer, operation_id: str) -> Entity:
    """The operation if the viewer's agency coordinates it: 404 if not a visible
    operation, 403 if another agency's plan (participants read it, they do not change it)."""
    operation = store.entity(viewer, operation_id)
    if operation is None or operation.schema != "JointOperation":
        raise NotVisible(f"operation_id: no visible operation {operation_id!r}")
    coordinator = coordinator_of(operation)
    if viewer.agency != coordinator:
        raise AccessDenied(
            f"operation_id: only the coordinator {coordinator or '(unknown)'} changes the plan "
            f"of {operation_id}"
        )
    return operation


def amend_operation(
    store: Store,
    viewer: Viewer,
    operation_id: str,
    name: str,
    participants: list[Participant],
    action_time: datetime,
    targets: list[str],
    target_notes: str = "",
) -> bool:
    """Replace the plan (coordinator only); False when nothing changed (nothing written).
    The status and the case link the coordinator stated are kept."""
    viewer.require_data_role("plan operations")
    operation = planned_operation(store, viewer, operation_id)
    if action_time.tzinfo is None:
        raise ValueError("action_time: give a time zone (e.g. 2026-12-01T05:00+01:00)")
    check_participants(store, participants)
    props: dict[str, str | list[str]] = {
        "name": name,
        "coordinator": viewer.agency,
        "operationStatus": _own(operation, viewer, "operationStatus") or "planned",
        "participants": [p.encode() for p in participants],
        "actionTime": action_time.astimezone(UTC).isoformat(),
        "targets": targets,
        "targetNotes": target_notes,
        "case": _own(operation, viewer, "case"),
    }
    audience = Sharing(agencies=frozenset({p.agency for p in participants} - {viewer.agency}))
    new = build(viewer.agency, operation.id, operation.schema, props, audience)
    old = store.own_current(viewer, operation.id, None)
    if _same(old, new):
        return False
    when = change_time()
    retractions = [s.retraction(when) for s in old]
    fresh = [replace(s, first_seen=when) for s in new]
    # every retraction before every new statement: a retraction retracts its whole key
    store.write(viewer, [*retractions, *fresh], action="operation.amend", target=operation.id)
    return True


def _own(operation: Entity, viewer: Viewer, prop: str) -> str:
    own = (v.value for v in operation.properties.get(prop, []) if v.agency == viewer.agency)
    return next(own, "")


def _same(old: list[Statement], new: list[Statement]) -> bool:
    def shape(stmts: list[Statement]) -> set[tuple[str, str, str]]:
        return {(s.prop, s.value, s.sharing.canonical) for s in stmts}

    return shape(old) == shape(new)
