"""The judgements naming given records, read through an index (issue 15, ADR 0046
amendments).

`resolution.judgements` reads every MatchJudgement the viewer may read: right for the
analyses, which lay all of them over the whole view, but the single-record identity lookup
(`identity_lookup.identity_around`) needs only the judgements touching the records of the
identity it builds, and its cost then grew with the agency's judgements instead of with the
identity. Here the judgements naming one of `records` as `left` or `right` are found by the
partial index on those values (`tables.JUDGEMENT_ENDS`, migration 0020), with the store's
visibility rule in the same query, and read as the viewer (`Store.entities`, audited).
For every pair touching `records` the answer is `resolution.judgements`'s: each judgement
of such a pair names one of the records, so all of them are found, and the newest wins
the same way (`newest`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime

import sqlalchemy as sa

from palermo.access.viewer import Viewer
from palermo.store.store import Store
from palermo.store.tables import JUDGEMENT_ENDS, statement
from palermo.store.views import Entity
from palermo.store.visibility import behind_aliases, is_current, may_see

CHUNK = 500
Pair = tuple[str, str]


def judgements_touching(store: Store, viewer: Viewer, records: Collection[str]) -> dict[Pair, str]:
    """The newest visible judgement of every pair naming one of `records` (ids sorted)."""
    ids = sorted(set(records))
    found: set[str] = set()
    with store.engine.connect() as conn:
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            values = [*chunk, *conn.execute(behind_aliases(chunk)).scalars()]
            query = (
                sa.select(statement.c.entity_id)
                .where(sa.text(JUDGEMENT_ENDS), statement.c.value.in_(values))
                .where(may_see(viewer), is_current())
                .distinct()
            )
            found.update(str(e) for e in conn.execute(query).scalars())
    entities: list[Entity] = []
    named = sorted(found)
    for start in range(0, len(named), CHUNK):
        chunk = named[start : start + CHUNK]
        entities.extend(
            store.entities(viewer, ids=chunk, schema="MatchJudgement", limit=len(chunk))
        )
    return {pair: verdict for pair, (_, verdict) in newest(entities).items()}


def newest(judgements: Iterable[Entity]) -> dict[Pair, tuple[datetime, str]]:
    """Per pair (ids sorted): when its newest judgement was made, and its verdict. The one
    rule: `resolution._newest_judgements` reads every visible judgement through it."""
    out: dict[Pair, tuple[datetime, str]] = {}
    for j in judgements:
        left, right, verdict = j.first("left"), j.first("right"), j.first("judgement")
        if not (left and right and verdict):
            continue
        when = max(v.first_seen for v in j.properties["judgement"])
        key = (min(left, right), max(left, right))
        if key not in out or out[key][0] < when:
            out[key] = (when, verdict)
    return out
