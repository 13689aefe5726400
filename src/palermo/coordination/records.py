"""Small helpers the workflows share: changing one property of an own record, reading ints."""

from __future__ import annotations

from palermo.access.viewer import AccessDenied, Viewer
from palermo.model.sharing import Sharing
from palermo.model.statement import Statement
from palermo.store.store import Store
from palermo.store.views import Entity


def own_entity(store: Store, viewer: Viewer, entity_id: str, schema: str) -> Entity:
    entity = store.entity(viewer, entity_id)
    if entity is None or entity.schema != schema or viewer.agency not in entity.agencies:
        raise AccessDenied(f"{entity_id}: not a {schema} of {viewer.agency}")
    return entity


def sharing_of(entity: Entity, agency: str) -> Sharing:
    for values in entity.properties.values():
        for v in values:
            if v.agency == agency:
                return Sharing.from_canonical(v.policy)
    return Sharing.owner_only()


def set_value(store: Store, viewer: Viewer, entity: Entity, prop: str, value: str) -> None:
    """Replace the viewer agency's value(s) of one property: retract old, assert new."""
    sharing = sharing_of(entity, viewer.agency)
    old = [v for v in entity.properties.get(prop, []) if v.agency == viewer.agency]
    stmts = [
        Statement(
            entity.id, entity.schema, prop, v.value, viewer.agency, v.source_record_id, sharing
        ).retraction()
        for v in old
    ]
    source = old[0].source_record_id if old else entity.id
    stmts.append(Statement(entity.id, entity.schema, prop, value, viewer.agency, source, sharing))
    store.write(viewer, stmts, action=f"set.{prop}", target=entity.id)


def as_int(value: str | None) -> int:
    try:
        return int(float(value)) if value else 0
    except ValueError:
        return 0
