"""The links of an identity resolved before they were kept, computed when a split needs them
(issue 15, ADR 0046 amendments).

Migration 0019 created `xref_pair` empty: a view resolved before it holds identities but
no links until its next batch run, so an identity there that lost a record (a member no
longer readable) had nothing to tell which of its other records were joined directly, and
`ledger_pairs.split_hidden` cut it into single records. A migration cannot compute the
links (it would need the model, the records read as the viewer, and the resolver's code),
so they are computed here, once, the first time `ledger.visible_membership` or
`identity_lookup` meets such an identity (`bare`: two or more readable members, no stored
pair touching any of them):

- the view's persisted model (`incremental.load_model`, the batch's m, u and prior)
  scores every pair of the identity's readable members, compiled to Python
  (`pair_scorer.PairScorer`, no Splink); strong identifiers are laid over as in batch
  (`xref.strong_links`). No term-frequency adjustment: the view's value frequencies are
  not read for one identity, so a common name scores a little higher and a rare one a
  little lower than the batch would; `joins` is decided at the model's threshold.
- the records are read through the store as the viewer (its visibility rule in the
  query), so nothing the viewer may not read is scored;
- the rows are written under the view lock (`arrival_claim.lock_view`) and only for an
  identity that still has no stored pair then: a batch run or an arrival that wrote its
  links meanwhile wins, and the next batch run replaces these rows with its own (they are
  marked by their model version, `<version>+backfill`). Nothing but `xref_pair` is
  written: the identities, the ledger and the judgements are left as they are, so a wrong
  score can at worst split or keep together what the next batch run decides again.

Every pair is written, even one scored below the review floor (0.5): that row is what says
the identity was backfilled, so it is scored once, not on every read; the review queue
lists only pairs from 0.5 up.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from itertools import combinations

import sqlalchemy as sa

from palermo.access.viewer import Viewer
from palermo.match import ledger, ledger_pairs, xref
from palermo.match.arrival_claim import lock_view
from palermo.match.pair_scorer import PairScorer, Unsupported
from palermo.match.xref import Link, XrefRecord
from palermo.store.store import Store
from palermo.store.tables import xref_identity, xref_pair

log = logging.getLogger(__name__)
MEMBERS_MAX = 200  # an identity larger than this is left to the batch run (pairs grow n²)
SUFFIX = "+backfill"


def backfill(store: Store, viewer: Viewer, identities: Sequence[str]) -> bool:
    """Compute and store the links among the readable members of `identities` (the
    viewer's view's identities with no stored pair); True when any row was written."""
    from palermo.match.incremental import load_model, model_version  # the persisted model

    scope = ledger.scope_of(viewer)
    saved = load_model(store, scope)
    if saved is None or not identities:
        return False
    model, threshold = saved
    try:
        scorer = PairScorer(model, [], [])
    except (Unsupported, KeyError) as exc:
        log.warning("ledger backfill: the model of %s is not scored in Python (%s)", scope, exc)
        return False
    groups = _readable_groups(store, viewer, scope, identities)
    records = _records(store, viewer, sorted(r for rs in groups.values() for r in rs))
    version = model_version(model) + SUFFIX
    wrote = False
    with store.transaction() as conn:
        lock_view(conn, scope)
        for members in groups.values():
            found = [records[r] for r in members if r in records]
            if len(found) < 2 or len(found) > MEMBERS_MAX or _paired(conn, scope, members):
                continue
            links = _links(scorer, found)
            update = ledger_pairs.Update(links, threshold, frozenset(members))
            ledger_pairs.write(conn, scope, update, version)
            wrote = wrote or bool(links)
    return wrote


def _readable_groups(
    store: Store, viewer: Viewer, scope: str, identities: Sequence[str]
) -> dict[str, list[str]]:
    """identity -> its members the viewer reads now (the visibility rule in the query)."""
    readable = ledger_pairs.readable_persons(viewer)
    table = xref_identity
    query = sa.select(table.c.record_id, table.c.identity_id).where(
        table.c.scope == scope,
        table.c.identity_id.in_(list(identities)),
        table.c.record_id.in_(sa.select(readable.c.entity_id)),
    )
    out: dict[str, list[str]] = {}
    with store.engine.connect() as conn:
        for record_id, identity in conn.execute(query):
            out.setdefault(str(identity), []).append(str(record_id))
    return {i: sorted(rs) for i, rs in sorted(out.items())}


def _records(store: Store, viewer: Viewer, ids: Sequence[str]) -> dict[str, XrefRecord]:
    """The records as the view's resolver reads them (through the store, as the viewer)."""
    from palermo.match.resolution import record_of  # resolution imports the store's writers

    out: dict[str, XrefRecord] = {}
    for start in range(0, len(ids), 500):
        chunk = list(ids[start : start + 500])
        for entity in store.entities(viewer, ids=chunk, limit=len(chunk)):
            if entity.schema == "Person" and (record := record_of(entity)).names:
                out[record.id] = record
    return out


def _paired(conn: sa.Connection, scope: str, members: Sequence[str]) -> bool:
    """Whether a stored pair touches one of `members` (written since they were read)."""
    return any(
        conn.execute(
            sa.select(sa.exists().where(xref_pair.c.scope == scope, end.in_(list(members))))
        ).scalar()
        for end in (xref_pair.c.left_id, xref_pair.c.right_id)
    )


def _links(scorer: PairScorer, records: Sequence[XrefRecord]) -> list[Link]:
    """Every pair of `records` scored by the model, strong identifiers laid over."""
    rows = {r.id: xref.features(r) for r in records}
    scored = []
    for a, b in combinations(sorted(rows), 2):
        weights = scorer.weights(rows[a], rows[b])
        scored.append(Link(a, b, scorer.probability(weights), weights))
    return xref.merge_links(scored, xref.strong_links(records, rows, {}))
