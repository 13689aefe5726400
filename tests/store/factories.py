"""Small builders for agencies, users and statements used across store tests."""

from __future__ import annotations

import sqlalchemy as sa

from palermo.access.viewer import Viewer
from palermo.model.sharing import Sharing
from palermo.model.statement import BASE, Statement, make_entity_id
from palermo.store.directory import Agency
from palermo.store.store import Store
from palermo.store.tables import entity_alias

SYSTEM = Viewer.system()


def setup_agencies(store: Store, specs: dict[str, tuple[str, ...]]) -> dict[str, Viewer]:
    """Agencies code -> groups; one analyst per agency; returns the analysts' viewers."""
    viewers = {}
    for code, groups in specs.items():
        store.add_agency(SYSTEM, Agency(code, f"Agency {code}", "DE", "police", groups))
        user = store.add_user(SYSTEM, f"analyst-{code}".lower(), code, "analyst")
        viewers[code] = user.viewer()
    return viewers


def person(agency: str, local_id: str, sharing: Sharing, **props: str) -> list[Statement]:
    eid = make_entity_id(agency, local_id)
    stmts = [Statement(eid, "Person", BASE, eid, agency, local_id, sharing)]
    stmts += [Statement(eid, "Person", p, v, agency, local_id, sharing) for p, v in props.items()]
    return stmts


def aliases_of(store: Store) -> dict[str, str]:
    """Real entity id -> alias (finding 3), read straight from the table: the test's view
    from above, which no viewer has."""
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(entity_alias.c.entity_id, entity_alias.c.alias)).all()
    return {entity_id: alias for entity_id, alias in rows}
