"""The links behind a view's identities, kept beside the ledger (issue 15, ADR 0046).

The ledger (`match.ledger`) keeps record -> identity per view, but not the links that made
the identities: those lived only in the resolver's memory, in the process that resolves
(ADR 0033), so the review queue resolved the viewer's records in batch again, and an
identity joined through a record its viewer can no longer read could not be split until
the next batch run. Here every pair a view's resolver scored (`xref_pair`) is written in
the same transaction as the identities it produced (`ledger.record(..., pairs=...)`):

- the probability, Splink's match weight per comparison, the strong identifier that
  decided it and the impostor flag (`Link`), so the queue shows the explained score;
- `joins`: whether the link joined identities (probability at the view's threshold, or a
  strong identifier), so the links among the records a viewer reads now say which of an
  identity's records are still joined (`split_hidden`).

A batch run replaces the view's pairs (writing only the difference); an arrival replaces
the pairs of the records that arrived. A record forgotten by the view keeps its pairs until
the next batch run: they are what tells `split_hidden` that an identity was joined through
it. Every read goes through the ledger, whose queries hold the store's visibility rule.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from palermo.access.viewer import Viewer
from palermo.match.xref import Link
from palermo.model.statement import BASE
from palermo.store.store import Store
from palermo.store.tables import statement, xref_pair
from palermo.store.visibility import visible_entities

CHUNK = 5000
Key = tuple[str, str]


@dataclass(frozen=True)
class Update:
    """Pairs a resolver scored, to be stored with the identities they made. `records` None:
    they are every pair of the view (a batch run); otherwise only the pairs touching these
    records are replaced (an arrival: its links all touch the record that arrived)."""

    links: Sequence[Link]
    threshold: float
    records: frozenset[str] | None = None


def joins(link: Link, threshold: float) -> bool:
    """Whether the resolver could join identities by this link (as `xref.cluster` and the
    incremental `_join` use links; a rejection is laid over at read time)."""
    return link.probability >= threshold or link.strong


def _row(scope: str, link: Link, threshold: float, version: str) -> dict[str, Any]:
    left, right = sorted((link.left, link.right))
    return {
        "scope": scope,
        "left_id": left,
        "right_id": right,
        "probability": float(link.probability),
        "joins": joins(link, threshold),
        "weights": json.dumps({k: round(v, 3) for k, v in sorted(link.weights.items())}),
        "evidence": link.evidence,
        "review": link.review,
        "model_version": version,
    }


def _rows(scope: str, update: Update, version: str) -> dict[Key, dict[str, Any]]:
    """One row per pair (the most probable link where a pair was scored twice)."""
    out: dict[Key, dict[str, Any]] = {}
    for link in update.links:
        if link.left == link.right:
            continue
        row = _row(scope, link, update.threshold, version)
        key = (row["left_id"], row["right_id"])
        if key not in out or row["probability"] > out[key]["probability"]:
            out[key] = row
    return out


COMPARED = ("probability", "joins", "weights", "evidence", "review", "model_version")


def write(conn: Connection, scope: str, update: Update, version: str) -> None:
    """Store the view's pairs (see `Update`); only rows that differ are written, so a rerun
    that changes a few links of a million records touches a few rows."""
    table = xref_pair
    rows = _rows(scope, update, version)
    if update.records is None:
        query = sa.select(table).where(table.c.scope == scope)
        stored = {(r.left_id, r.right_id): dict(r._mapping) for r in conn.execute(query)}
        gone = [
            k
            for k, old in stored.items()
            if k not in rows or any(old[c] != rows[k][c] for c in COMPARED)
        ]
        new = [row for k, row in rows.items() if k in gone or k not in stored]
        _delete_keys(conn, scope, gone)
    else:
        touched = sorted(update.records)
        for chunk in _chunks(touched):
            conn.execute(
                table.delete().where(
                    table.c.scope == scope,
                    sa.or_(table.c.left_id.in_(chunk), table.c.right_id.in_(chunk)),
                )
            )
        new = list(rows.values())
    for part in _chunks(new):
        conn.execute(table.insert(), list(part))


def _delete_keys(conn: Connection, scope: str, keys: Sequence[Key]) -> None:
    table = xref_pair
    by_left: dict[str, list[str]] = {}
    for left, right in keys:
        by_left.setdefault(left, []).append(right)
    for left, rights in by_left.items():
        for chunk in _chunks(rights):
            conn.execute(
                table.delete().where(
                    table.c.scope == scope, table.c.left_id == left, table.c.right_id.in_(chunk)
                )
            )


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def joining(conn: Connection, scope: str) -> list[Key]:
    """The view's pairs that joined identities."""
    query = sa.select(xref_pair.c.left_id, xref_pair.c.right_id).where(
        xref_pair.c.scope == scope, xref_pair.c.joins.is_(True)
    )
    return [(str(a), str(b)) for a, b in conn.execute(query)]


def joining_links(store: Store, scope: str, records: Collection[str]) -> list[Link]:
    """The view's pairs that joined identities touching any of ``records``, each with its
    probability, weights and evidence: what a purpose's identities weigh again without the
    values withheld from it (`analysis.purpose_identities`)."""
    table = xref_pair
    found: dict[Key, Link] = {}
    with store.engine.connect() as conn:
        for chunk in _chunks(sorted(records)):
            query = sa.select(table).where(
                table.c.scope == scope,
                table.c.joins.is_(True),
                sa.or_(table.c.left_id.in_(chunk), table.c.right_id.in_(chunk)),
            )
            for row in conn.execute(query):
                found[(str(row.left_id), str(row.right_id))] = link_of(dict(row._mapping))
    return list(found.values())


def readable_persons(viewer: Viewer) -> sa.Subquery:
    """The ids of the Person records the viewer may read now (column `entity_id`): the
    store's visibility rule (ADR 0002), for use inside a ledger query."""
    return (
        visible_entities(viewer)
        .where(statement.c.schema == "Person", statement.c.prop == BASE)
        .subquery()
    )


def uncertain(store: Store, scope: str, readable: Collection[str]) -> list[Link]:
    """The view's pairs an analyst should decide: those that did not join identities (below
    the view's threshold, no strong identifier) and those that did but carry an impostor
    flag (`Link.review`), between two of `readable` - the records of the view's membership
    as `ledger.visible_membership` read it, with the store's visibility rule in its query
    (one evaluation of the rule, not one per side of every pair). Strongest first."""
    table = xref_pair
    query = (
        sa.select(table)
        .where(
            table.c.scope == scope,
            sa.or_(table.c.joins.is_(False), table.c.review.is_not(None)),
        )
        .order_by(table.c.probability.desc(), table.c.left_id, table.c.right_id)
    )
    with store.engine.connect() as conn:
        rows = [dict(row._mapping) for row in conn.execute(query)]
    return [
        link_of(row) for row in rows if row["left_id"] in readable and row["right_id"] in readable
    ]


def link_of(row: Mapping[str, Any]) -> Link:
    """A stored pair as the resolver's Link (probability, weights, evidence, flag)."""
    return Link(
        str(row["left_id"]),
        str(row["right_id"]),
        float(row["probability"]),
        {str(k): float(v) for k, v in json.loads(row["weights"] or "{}").items()},
        None,
        row["evidence"],
        row["review"],
    )


def split_hidden(
    membership: Mapping[str, str], lost: Iterable[str], edges: Iterable[Key]
) -> dict[str, str]:
    """`membership` (record -> identity, only records the viewer reads) with every identity
    that lost a record split into the parts its joining links among the records left still
    hold together.

    An identity lost a record when one of its stored records is no longer readable
    (`lost`, the identity ids), or when one of its records has a joining link to a record
    the membership does not hold (taken out of the view: retracted, no longer a person).
    Such an identity is cut into the connected parts of its readable records over the
    joining links between them: records joined only through the lost one come apart, at
    once, whatever a later run does. The part with the most records keeps the identity's id
    (ties: the part whose smallest record id sorts first); each other part is named by its
    smallest record id (records' and identities' ids never collide, `ledger.ID_PREFIX`),
    as `analysis.ledger_identities` names a record it separates. An identity that lost a
    record and has no joining link among the rest falls into single records: without the
    links no one can tell they were joined directly, and showing two people as one is the
    error not to make (ADR 0036). (An identity resolved before links were kept gets them
    computed first, `ledger_backfill`, when the view has a persisted model.)"""
    out = dict(membership)
    touched = set(lost)
    inside: dict[str, list[Key]] = {}
    for a, b in edges:
        ia, ib = out.get(a), out.get(b)
        if ia is not None and ib is None:
            touched.add(ia)
        elif ib is not None and ia is None:
            touched.add(ib)
        elif ia is not None and ia == ib:
            inside.setdefault(ia, []).append((a, b))
    if not touched:
        return out
    members: dict[str, list[str]] = {}
    for record, identity in out.items():
        if identity in touched:
            members.setdefault(identity, []).append(record)
    for identity, records in members.items():
        for index, part in enumerate(connected_parts(records, inside.get(identity, []))):
            if index:
                for record in part:
                    out[record] = part[0]
    return out


def connected_parts(records: Sequence[str], edges: Iterable[Key]) -> list[list[str]]:
    """Connected parts of `records` over `edges`, largest first (ties: smallest id first),
    each sorted. An edge with an end outside `records` is left out."""
    parent = {r: r for r in records}

    def root(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        if a not in parent or b not in parent:
            continue
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups: dict[str, list[str]] = {}
    for record in records:
        groups.setdefault(root(record), []).append(record)
    parts = [sorted(g) for g in groups.values()]
    return sorted(parts, key=lambda p: (-len(p), p[0]))
