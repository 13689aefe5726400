"""Building entities in code (notices, messages, cases) with the importer's validation."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence

from palermo.access.viewer import Viewer
from palermo.ingest.errors import RowProblem
from palermo.ingest.validate import entity_statements
from palermo.model.sharing import Sharing
from palermo.model.statement import Statement, make_entity_id
from palermo.store.store import Store


def new_entity_id(agency: str, kind: str) -> str:
    return make_entity_id(agency, f"{kind}-{uuid.uuid4().hex[:16]}")


def build(
    agency: str,
    entity_id: str,
    schema: str,
    properties: Mapping[str, str | Sequence[str]],
    sharing: Sharing,
) -> list[Statement]:
    """Statements for an entity with global ids; a bad value raises ValueError naming it."""
    props = {k: [v] if isinstance(v, str) else list(v) for k, v in properties.items() if v}
    data = {"id": entity_id, "schema": schema, "properties": props}
    try:
        return entity_statements(data, agency, sharing, local_ids=False)
    except RowProblem as problem:
        raise ValueError(f"{problem.field}: {problem.reason}") from None


def write_entity(
    store: Store,
    viewer: Viewer,
    schema: str,
    properties: Mapping[str, str | Sequence[str]],
    sharing: Sharing,
    entity_id: str | None = None,
    kind: str = "e",
) -> str:
    """Validate and write one entity as the viewer's agency; returns its id."""
    eid = entity_id or new_entity_id(viewer.agency, kind)
    store.write(viewer, build(viewer.agency, eid, schema, properties, sharing), target=eid)
    return eid
