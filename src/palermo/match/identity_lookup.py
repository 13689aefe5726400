"""One record's identity exactly as the view's identities give it, without reading the
whole view (issue 15, ADR 0046).

The analyses, the profile and the review queue take identities from
`ledger.visible_membership` (the stored table, only records the viewer reads, identities
that lost a record split by `ledger_pairs.split_hidden`) with the judgements laid over
(`verdict_overlay.apply_verdicts`). The single-record lookup (`ledger_access.identity_of`,
the API's `GET /api/v1/identities/of/{id}` and the CLI) must give the same answer, or it
shows two records as one person while the chart shows them apart. Both functions are
local, so here they run on just the part of the view that decides the record's identity:

- the stored identities reachable from the record's one by confirmed pairs between records
  the viewer reads (a confirm joins whole identities; nothing else crosses identities),
  each with every stored record and whether the viewer reads it - the store's visibility
  rule in the query, as in `visible_membership`, but narrowed to these records' ids so it
  runs over them alone, not over the view;
- the joining links (`xref_pair`) touching those records. A link whose far end the view's
  membership holds, in an identity not read here, is left out: it neither splits nor
  joins (as in the whole view); a link to a record the membership does not hold (hidden,
  forgotten) marks the identity as one that lost a record, as it does in the whole view.

The judgements are read the same way: only those naming a record of the part
(`judgement_lookup`, an index probe), not all of the viewer's; an identity of the part that
lost a record and has no stored link gets its links computed first (`ledger_backfill`), as
in the whole view. `split_hidden` and `apply_verdicts` are then called unchanged on that
part: both only ever look at an identity's own records, its links, and confirms or
rejects between the identities it is connected to, so the part gives each of its records
the identity the whole view gives it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from palermo.access.viewer import Viewer
from palermo.match import ledger, ledger_backfill
from palermo.match.judgement_lookup import judgements_touching
from palermo.match.ledger_pairs import split_hidden
from palermo.match.verdict_overlay import Verdicts, apply_verdicts
from palermo.match.xref import CONFIRM
from palermo.model.statement import BASE
from palermo.store.store import Store
from palermo.store.tables import statement, xref_identity, xref_pair
from palermo.store.visibility import behind_aliases, for_ids, visible_entities

CHUNK = 1000


@dataclass(frozen=True)
class Found:
    """A record's identity as the view shows it: its id, its records (all readable by the
    viewer, sorted), and how many records of the stored identities they come from the
    viewer may no longer read."""

    identity: str
    members: list[str]
    hidden: int


@dataclass
class _Part:
    """The stored identities read so far: readable records -> identity, the unreadable
    records per identity, and the joining links touching the readable records."""

    shown: dict[str, str]
    unreadable: dict[str, list[str]]
    edges: set[tuple[str, str]]
    all_pairs: set[tuple[str, str]]  # every stored pair touching them, joining or not


def identity_around(
    store: Store, viewer: Viewer, record_id: str, verdicts: Verdicts | None = None
) -> Found | None:
    """`record_id`'s identity as `ledger.visible_membership` + `apply_verdicts(verdicts)`
    give it, or None when the view's identities do not hold the record (not a person the
    viewer reads, or not resolved in its view). `verdicts` None (the lookup's own case):
    only the judgements naming the records read here are read, through an index
    (`judgement_lookup`), as each stored identity is added - the same answer as with all
    of the viewer's judgements, since only those touching the part's records matter."""
    scope = ledger.scope_of(viewer)
    known: dict[tuple[str, str], str] = {} if verdicts is None else dict(verdicts)
    confirmed: dict[str, set[str]] = {}

    def learn(found: Verdicts) -> None:
        for (a, b), verdict in found.items():
            if verdict == CONFIRM:
                confirmed.setdefault(a, set()).add(b)
                confirmed.setdefault(b, set()).add(a)

    learn(known)
    with store.engine.connect() as conn:
        start = _shown(conn, scope, viewer, [record_id])
        if record_id not in start:
            return None
        part = _Part({}, {}, set(), set())
        pending = {start[record_id]}
        while pending:
            new = _load(conn, scope, viewer, sorted(pending), part)
            if verdicts is None and new:
                found = judgements_touching(store, viewer, new)
                known.update(found)
                learn(found)
            reach = {b for a in new for b in confirmed.get(a, ()) if b not in part.shown}
            loaded = set(part.shown) | {r for rs in part.unreadable.values() for r in rs}
            far = _shown(conn, scope, viewer, sorted(reach - loaded))
            pending = set(far.values()) - set(part.shown.values()) - set(part.unreadable)
        edges = _kept_edges(conn, scope, viewer, part)
        bare = _bare(part, edges)
    if bare and ledger_backfill.backfill(store, viewer, sorted(bare)):
        return identity_around(store, viewer, record_id, verdicts)
    split = split_hidden(part.shown, part.unreadable, edges)
    identity_of = apply_verdicts(split, known)
    identity = identity_of[record_id]
    members = sorted(r for r, i in identity_of.items() if i == identity)
    stored = {part.shown[m] for m in members}
    hidden = sum(len(part.unreadable.get(i, ())) for i in stored)
    return Found(identity, members, hidden)


def _bare(part: _Part, edges: Collection[tuple[str, str]]) -> set[str]:
    """The identities of `part` that lost a member and have two or more readable members
    but no stored pair touching them (resolved before migration 0019), as
    `ledger.visible_membership` finds them: their links are computed once
    (`ledger_backfill`) before they are split."""
    touched = {r for edge in part.all_pairs for r in edge}
    members: dict[str, list[str]] = {}
    for record, identity in part.shown.items():
        members.setdefault(identity, []).append(record)
    return {
        identity
        for identity in part.unreadable
        if len(members.get(identity, ())) >= 2 and not touched.intersection(members[identity])
    }


def _load(
    conn: Connection, scope: str, viewer: Viewer, identities: Sequence[str], part: _Part
) -> list[str]:
    """Read whole stored identities into `part`; returns their readable records."""
    table = xref_identity
    rows: list[tuple[str, str]] = []
    for chunk in _chunks(identities):
        query = sa.select(table.c.record_id, table.c.identity_id).where(
            table.c.scope == scope, table.c.identity_id.in_(chunk)
        )
        rows.extend((str(r), str(i)) for r, i in conn.execute(query))
    ok = _readable(conn, viewer, [r for r, _ in rows])
    new: list[str] = []
    for record, identity in rows:
        if record in ok:
            part.shown[record] = identity
            new.append(record)
        else:
            part.unreadable.setdefault(identity, []).append(record)
    for chunk in _chunks(sorted(new)):
        for end in (xref_pair.c.left_id, xref_pair.c.right_id):  # one index each
            query = sa.select(xref_pair.c.left_id, xref_pair.c.right_id, xref_pair.c.joins).where(
                xref_pair.c.scope == scope, end.in_(chunk)
            )
            for row in conn.execute(query):
                pair = (str(row[0]), str(row[1]))
                part.all_pairs.add(pair)
                if row[2]:
                    part.edges.add(pair)
    return new


def _kept_edges(conn: Connection, scope: str, viewer: Viewer, part: _Part) -> list[tuple[str, str]]:
    """The links of `part` as the whole view's `split_hidden` sees them: a link whose far
    end is a readable record of an identity not in `part` is left out (in the whole view
    that end has an identity, so the link does not mark a loss)."""
    far = {r for edge in part.edges for r in edge if r not in part.shown}
    elsewhere = set(_shown(conn, scope, viewer, sorted(far)))
    return sorted(e for e in part.edges if not elsewhere.intersection(e))


def _shown(
    conn: Connection, scope: str, viewer: Viewer, records: Collection[str]
) -> dict[str, str]:
    """record -> stored identity, for those of `records` the view holds and the viewer
    reads."""
    table = xref_identity
    held: dict[str, str] = {}
    for chunk in _chunks(sorted(records)):
        query = sa.select(table.c.record_id, table.c.identity_id).where(
            table.c.scope == scope, table.c.record_id.in_(chunk)
        )
        held.update({str(r): str(i) for r, i in conn.execute(query)})
    ok = _readable(conn, viewer, sorted(held))
    return {r: i for r, i in held.items() if r in ok}


def _readable(conn: Connection, viewer: Viewer, records: Sequence[str]) -> set[str]:
    """Those of `records` that are Person records the viewer reads now: the store's
    visibility rule in the query, as `ledger_pairs.readable_persons` (which
    `visible_membership` uses), narrowed to these ids (`visibility.for_ids`, an alias
    matched as the viewer knows the record) so the rule runs over them alone."""
    out: set[str] = set()
    for chunk in _chunks(records):
        candidates = [*chunk, *conn.execute(behind_aliases(chunk)).scalars()]
        persons = visible_entities(viewer).where(
            statement.c.schema == "Person", statement.c.prop == BASE
        )
        query = for_ids(persons, viewer, chunk, candidates)
        out.update(str(r) for (r,) in conn.execute(query))
    return out


def _chunks(items: Sequence[str], size: int = CHUNK) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
