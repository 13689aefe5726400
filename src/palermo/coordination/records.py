"""Small helpers the workflows share: changing one property of an own record, reading ints."""

from __future__ import annotations

from datetime import datetime

from palermo.access.viewer import AccessDenied, Viewer
from palermo.model.sharing import Sharing
from palermo.model.statement import Statement, change_time
from palermo.store.store import Store
from palermo.store.views import Entity


def own_entity(store: Store, viewer: Viewer, entity_id: str, schema: str) -> Entity:
    entity = store.entity(viewer, entity_id)
    if entity is None or entity.schema != schema or viewer.agency not in entity.agencies:
        raise AccessDenied(f"{entity_id}: not a {schema} of {viewer.agency}")
    return entity


def sharing_of(entity: Entity, agency: str) -> Sharing:
    """The sharing the agency last gave the record: after a case is shared with one more
    agency its older statements keep the older, narrower sharing, and a value written
    later must reach the whole current audience, not the first one."""
    latest: tuple[datetime, str] | None = None
    for values in entity.properties.values():
        for v in values:
            if v.agency == agency and (latest is None or v.first_seen >= latest[0]):
                latest = (v.first_seen, v.policy)
    return Sharing.from_canonical(latest[1]) if latest else Sharing.owner_only()


def set_value(store: Store, viewer: Viewer, entity: Entity, prop: str, value: str) -> None:
    """Replace the viewer agency's value(s) of one property: retract old, assert new."""
    sharing = sharing_of(entity, viewer.agency)
    when = change_time()
    old = [v for v in entity.properties.get(prop, []) if v.agency == viewer.agency]
    stmts = [
        Statement(
            entity.id, entity.schema, prop, v.value, viewer.agency, v.source_record_id, sharing
        ).retraction(when)
        for v in old
    ]
    source = old[0].source_record_id if old else entity.id
    stmts.append(
        Statement(entity.id, entity.schema, prop, value, viewer.agency, source, sharing, when)
    )
    store.write(viewer, stmts, action=f"set.{prop}", target=entity.id)


def as_int(value: str | None) -> int:
    try:
        return int(float(value)) if value else 0
    except ValueError:
        return 0
