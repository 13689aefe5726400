"""Deconfliction (hit/no-hit) that reveals nothing but the hit, and only to the two parties.

For every identifier of a case (document numbers, phones, accounts, vehicles, e-mails,
resolved identities) the lead agency publishes a *selector*: ``k·H(type:normalised value)``
on edwards25519 (``coordination.psi``) under the node's secret scalar ``k``. No agency holds
``k``: guessing an identifier needs the node, which evaluates only on publication of a case
the caller's agency leads, limits how many new selectors an agency may have evaluated per
hour, and audits every publication. Selectors live in the node-private table
``deconfliction_selector``: they are not statements, never synced, never returned by any
entity, search or export API.

When a published selector equals one of another agency, the node records a hit: each party
gets its own ``DeconflictionHit`` (owner-only, so no third agency sees it) naming the
identifier type, the other agency and the party's *own* case reference; neither learns the
other's case. Between nodes, ``psi_offer``/``psi_answer``/``psi_conclude`` run a DH private
set intersection over the same selectors (each node's secret blinds, the peer reblinds);
the asking node sends the peer a signed notice of each new hit with a proof that it holds
the identifier, and the peer records its side on it (``receive_peer_hits``; ADR 0042).
See docs/trust.md, "Deconfliction".
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from palermo.access.viewer import AccessDenied, NotVisible, Role, Viewer
from palermo.coordination import hit_notices, node_messages, psi, psi_proof
from palermo.coordination.hit_notices import HitRef
from palermo.ingest.build import build
from palermo.model.sharing import Sharing
from palermo.store import audit
from palermo.store.store import Store
from palermo.store.tables import (
    deconfliction_hit,
    deconfliction_secret,
    deconfliction_selector,
    node_self,
    peer,
)
from palermo.store.views import Entity
from palermo.store.visibility import MASK

# Which property of which schema yields which selector type.
SELECTOR_PROPS: dict[str, tuple[str, ...]] = {
    "document": ("passportNumber", "idNumber", "number:Identification", "documentNumber"),
    "phone": ("phone", "number:Phone"),
    "account": ("iban", "accountNumber"),
    "vehicle": ("registrationNumber:Vehicle",),
    "email": ("email",),
    "identity": ("resolvedIdentity",),
}
LINKED_SCHEMATA = ("Passport", "Identification", "Phone", "Vehicle", "BankAccount")
SERVICE_USER = "deconfliction"  # the node, recording a hit for the agency it concerns
MAX_SELECTORS_PER_CASE = 500
MAX_NEW_PER_HOUR = 2000  # new selector evaluations per agency per hour (guessing costs)
MAX_PSI_OFFER = 100_000  # blinded values a peer node may send in one PSI round


class RateLimited(Exception):
    """The agency asked the node for more selector evaluations than it allows per hour."""


@dataclass(frozen=True)
class Hit:
    """One party's view of an overlap: never the other side's case."""

    id: str
    selector_type: str
    agencies: tuple[str, ...]
    case_references: tuple[str, ...]  # the viewer's own ("AGENCY:reference")
    other_agency: str = ""
    case_id: str = ""  # the viewer's own case the hit is filed under


@dataclass(frozen=True)
class _Row:
    agency: str
    case_id: str
    case_reference: str
    selector_type: str
    selector: str


@dataclass(frozen=True)
class PsiAnswer:
    """A peer's reply: our offer reblinded (same order) and its own blinded selectors."""

    reblinded: list[str]
    held: list[tuple[str, str]]  # (holder agency, peer-blinded selector), shuffled


# --- identifiers ----------------------------------------------------------------------


def normalise(kind: str, value: str) -> str:
    if kind == "email":
        return value.strip().lower()
    return re.sub(r"[^0-9A-Z+]", "", value.upper())


def message(kind: str, value: str) -> bytes:
    """What is hashed to the group: the type binds the selector to its kind."""
    return f"{kind}:{normalise(kind, value)}".encode()


def identifiers(entity: Entity, agency: str) -> set[tuple[str, str]]:
    """(selector type, value) pairs of an entity: only values the agency owns and reads
    unmasked, so a masked value is never hashed (finding 6) and no one's data is elevated."""
    out = set()
    for kind, props in SELECTOR_PROPS.items():
        for spec in props:
            prop, _, schema = spec.partition(":")
            if schema and not _is_a(entity, schema):
                continue
            for v in entity.properties.get(prop, []):
                if v.masked or v.value == MASK or v.agency != agency:
                    continue
                if normalise(kind, v.value):
                    out.add((kind, v.value))
    return out


def _is_a(entity: Entity, schema: str) -> bool:
    from palermo.model.schemata import model

    found = model.get(entity.schema)
    return found is not None and found.is_a(schema)


def case_identifiers(store: Store, viewer: Viewer, case: Entity) -> set[tuple[str, str]]:
    """Identifiers of a case's subjects and of the documents, phones, ... pointing at them,
    read with the publisher's own view."""
    out: set[tuple[str, str]] = set()
    for subject_id in case.values("subjects"):
        subject = store.entity(viewer, subject_id)
        if subject is not None:
            out |= identifiers(subject, viewer.agency)
        for linked in store.referencing(viewer, subject_id):
            if linked.schema in LINKED_SCHEMATA:
                out |= identifiers(linked, viewer.agency)
    return out


# --- the node secret ------------------------------------------------------------------


def node_secret(store: Store) -> bytes:
    """The node's secret scalar, made at first use; no agency and no API ever sees it."""
    with store.engine.connect() as conn:
        found = conn.execute(sa.select(deconfliction_secret.c.scalar)).scalar()
    if found is not None:
        return psi.check_secret(bytes.fromhex(found))
    try:
        with store.transaction() as conn:
            scalar = psi.new_secret()
            row = {"id": 1, "scalar": scalar.hex(), "created_at": datetime.now(UTC)}
            conn.execute(deconfliction_secret.insert().values(**row))
            audit.append(conn, "_system", "system", "deconfliction.secret", "node", {})
        return scalar
    except IntegrityError:  # another request made it first
        return node_secret(store)


def _keyed(secret: bytes, *parts: str) -> str:
    """An opaque digest under the node secret (hit keys and ids reveal nothing)."""
    data = "\x1f".join(parts).encode()
    return hashlib.blake2b(data, key=secret, digest_size=32).hexdigest()


# --- publishing -----------------------------------------------------------------------


def owned_case(store: Store, viewer: Viewer, case_id: str) -> Entity:
    """The case, if the viewer's agency owns it and leads its team (finding 5).

    Owner: the case id is in the agency's namespace and the agency wrote its case number and
    named itself ``lead``. Team members of other agencies, observers included, are refused."""
    viewer.require_data_role("publish deconfliction selectors")
    case = store.entity(viewer, case_id)
    if case is None or case.schema != "InvestigationCase":
        raise NotVisible(f"case_id: no visible case {case_id!r}")
    own_number = any(v.agency == viewer.agency for v in case.properties.get("caseNumber", []))
    leads = any(
        v.agency == viewer.agency and v.value == f"{viewer.agency}:lead"
        for v in case.properties.get("team", [])
    )
    if not (case.id.startswith(f"{viewer.agency.lower()}.") and own_number and leads):
        raise AccessDenied(
            f"{viewer.username}@{viewer.agency} may not publish selectors of case {case_id}: "
            "only the agency that owns and leads the case may"
        )
    return case


def publish_case(store: Store, viewer: Viewer, case_id: str) -> int:
    """Evaluate and store the case's selectors, then record any hits; returns how many
    selectors the case has. Detection happens here, on the POST (finding 26)."""
    case = owned_case(store, viewer, case_id)
    reference = next(
        (v.value for v in case.properties.get("caseNumber", []) if v.agency == viewer.agency),
        case.id,
    )
    found = sorted(case_identifiers(store, viewer, case))
    if len(found) > MAX_SELECTORS_PER_CASE:
        raise ValueError(
            f"case_id: the case holds {len(found)} identifiers, "
            f"more than {MAX_SELECTORS_PER_CASE} may be published per case"
        )
    secret = node_secret(store)
    points = psi.blind(secret, [message(kind, value) for kind, value in found])
    rows = {
        point.hex(): _Row(viewer.agency, case.id, reference, kind, point.hex())
        for (kind, _), point in zip(found, points, strict=True)
    }
    try:
        with store.transaction() as conn:
            new = _store_selectors(conn, viewer, case.id, list(rows.values()))
            detail = {"selectors": len(rows), "new": new}
            audit.append(
                conn, viewer.agency, viewer.username, "deconfliction.publish", case.id, detail
            )
            _record_overlaps(store, conn, secret, set(rows))
            if new and conn.execute(sa.select(peer.c.node_id).limit(1)).first() is not None:
                conn.info[node_messages.WAKE_KEY] = True  # a prompt round with each peer
            node_messages.wake_on_commit(store, conn)
    except RateLimited as exc:  # the refusal is audited too (the transaction rolled back)
        store.audit_event(viewer, "deconfliction.refused", case.id, {"reason": str(exc)})
        raise
    except IntegrityError:  # the same case published twice at the same moment
        raise ValueError(f"case_id: {case.id} is being published right now; retry") from None
    return len(rows)


def _store_selectors(conn: Connection, viewer: Viewer, case_id: str, rows: list[_Row]) -> int:
    """Replace the case's live selectors with ``rows``; returns how many were new."""
    table = deconfliction_selector
    now = datetime.now(UTC)
    mine = (table.c.agency == viewer.agency) & (table.c.case_id == case_id)
    known = set(conn.execute(sa.select(table.c.selector).where(mine)).scalars())
    new = [r for r in rows if r.selector not in known]
    _check_rate(conn, viewer, len(new), now)
    current = [r.selector for r in rows]
    conn.execute(
        table.update()
        .where(mine, table.c.selector.not_in(current), table.c.retired_at.is_(None))
        .values(retired_at=now)
    )
    if current:
        conn.execute(
            table.update().where(mine, table.c.selector.in_(current)).values(retired_at=None)
        )
    if new:
        conn.execute(
            table.insert(),
            [
                {
                    "agency": r.agency,
                    "case_id": r.case_id,
                    "case_reference": r.case_reference,
                    "selector_type": r.selector_type,
                    "selector": r.selector,
                    "published_by": viewer.username,
                    "published_at": now,
                }
                for r in new
            ],
        )
    return len(new)


def _check_rate(conn: Connection, viewer: Viewer, new: int, now: datetime) -> None:
    """Refuse more than ``MAX_NEW_PER_HOUR`` new evaluations per agency (retired ones count)."""
    table = deconfliction_selector
    since = now - timedelta(hours=1)
    recent = conn.execute(
        sa.select(sa.func.count())
        .select_from(table)
        .where(table.c.agency == viewer.agency, table.c.published_at >= since)
    ).scalar_one()
    if new and recent + new > MAX_NEW_PER_HOUR:
        raise RateLimited(
            f"deconfliction: {viewer.agency} had {recent} selectors evaluated in the last hour; "
            f"{new} more would exceed {MAX_NEW_PER_HOUR}"
        )


# --- hits -----------------------------------------------------------------------------


def _live(conn: Connection, selectors: Iterable[str] | None = None) -> list[_Row]:
    table = deconfliction_selector
    query = sa.select(
        table.c.agency,
        table.c.case_id,
        table.c.case_reference,
        table.c.selector_type,
        table.c.selector,
    ).where(table.c.retired_at.is_(None))
    if selectors is not None:
        query = query.where(table.c.selector.in_(sorted(selectors)))
    return [_Row(*row) for row in conn.execute(query.order_by(table.c.id))]


def _record_overlaps(
    store: Store, conn: Connection, secret: bytes, selectors: set[str] | None
) -> list[tuple[str, Hit]]:
    """Record a hit for every pair of live selectors of different agencies that are equal."""
    by_selector: dict[str, list[_Row]] = {}
    for row in _live(conn, selectors):
        by_selector.setdefault(row.selector, []).append(row)
    created: list[tuple[str, Hit]] = []
    for selector, rows in by_selector.items():
        for i, one in enumerate(rows):
            for other in rows[i + 1 :]:
                if one.agency != other.agency:
                    created += _record_pair(store, conn, secret, selector, one, other)
    return created


def _record_pair(
    store: Store, conn: Connection, secret: bytes, selector: str, one: _Row, other: _Row
) -> list[tuple[str, Hit]]:
    sides = sorted([(one.agency, one.case_id), (other.agency, other.case_id)])
    key = _keyed(secret, "pair", selector, *(part for side in sides for part in side))
    if _known(conn, key):
        return []
    return [
        _record_side(store, conn, secret, key, own, other_side.agency)
        for own, other_side in ((one, other), (other, one))
    ]


def _known(conn: Connection, key: str) -> bool:
    found = conn.execute(
        sa.select(deconfliction_hit.c.hit_id).where(deconfliction_hit.c.hit_key == key).limit(1)
    ).first()
    return found is not None


def _record_side(
    store: Store, conn: Connection, secret: bytes, key: str, own: _Row, other_agency: str
) -> tuple[str, Hit]:
    """Write the one party's hit record (owner-only) and audit it."""
    hit_id = f"{own.agency.lower()}.hit-{_keyed(secret, 'id', key, own.agency)[:24]}"
    agencies = tuple(sorted({own.agency, other_agency}))
    refs = (f"{own.agency}:{own.case_reference}",)
    props: dict[str, str | list[str]] = {
        "selectorType": own.selector_type,
        "agencies": list(agencies),
        "otherAgency": other_agency,
        "caseReferences": list(refs),
    }
    service = Viewer(own.agency, SERVICE_USER, frozenset({Role.ANALYST}))
    stmts = build(own.agency, hit_id, "DeconflictionHit", props, Sharing.owner_only())
    store.write(service, stmts, action="deconfliction.hit", target=hit_id, conn=conn)
    conn.execute(
        deconfliction_hit.insert().values(
            hit_id=hit_id,
            hit_key=key,
            agency=own.agency,
            case_id=own.case_id,
            created_at=datetime.now(UTC),
        )
    )
    detail = {"case": own.case_id, "other_agency": other_agency, "type": own.selector_type}
    audit.append(conn, own.agency, SERVICE_USER, "deconfliction.told", hit_id, detail)
    # The owner of the case is told who hit it (hit notice + follow-up clock): ADR 0018.
    told = [HitRef(own.case_id, own.agency)]
    hit_notices.notify_in(conn, other_agency, SERVICE_USER, told, "deconfliction")
    hit = Hit(hit_id, own.selector_type, agencies, refs, other_agency, own.case_id)
    return own.agency, hit


def detect(store: Store, viewer: Viewer | None = None) -> list[Hit]:
    """Node-wide sweep: record hits publications raced past (two agencies publishing the same
    identifier at once); returns the new hits of the viewer's agency (all if no viewer).
    Called by the node's worker and the demo, never by a GET."""
    table = deconfliction_selector
    shared = (
        sa.select(table.c.selector)
        .where(table.c.retired_at.is_(None))
        .group_by(table.c.selector)
        .having(sa.func.count(sa.distinct(table.c.agency)) > 1)
    )
    with store.engine.connect() as conn:
        overlapping = set(conn.execute(shared).scalars())
    if not overlapping:
        return []
    secret = node_secret(store)
    with store.transaction() as conn:
        created = _record_overlaps(store, conn, secret, overlapping)
    return [hit for agency, hit in created if viewer is None or agency == viewer.agency]


def hits(store: Store, viewer: Viewer) -> list[Hit]:
    """The viewer agency's own hit records (read only; no detection here)."""
    with store.engine.connect() as conn:
        cases = dict(
            conn.execute(
                sa.select(deconfliction_hit.c.hit_id, deconfliction_hit.c.case_id).where(
                    deconfliction_hit.c.agency == viewer.agency
                )
            ).all()
        )
    out = []
    for e in store.entities(viewer, schema="DeconflictionHit", limit=100_000):
        own = [v for v in e.properties.get("selectorType", []) if v.agency == viewer.agency]
        if not own:
            continue
        out.append(
            Hit(
                e.id,
                own[0].value,
                tuple(sorted(set(e.values("agencies")))),
                tuple(sorted(set(e.values("caseReferences")))),
                e.first("otherAgency") or "",
                cases.get(e.id, ""),
            )
        )
    return out


# --- between nodes: DH private set intersection ---------------------------------------


def psi_offer(store: Store) -> list[str]:
    """This node's live selectors (single-blinded under its secret), to send to a peer."""
    with store.engine.connect() as conn:
        return sorted({row.selector for row in _live(conn)})


def psi_answer(store: Store, peer_agency: str, offered: Sequence[str]) -> PsiAnswer:
    """A peer's offer reblinded under our secret, and our own selectors (shuffled).

    Bounded and audited: a peer that offers guesses blinded under its own secret learns
    whether we hold them, as every hit/no-hit system must allow, at most ``MAX_PSI_OFFER`` per
    round, and every round is in our audit log."""
    if len(offered) > MAX_PSI_OFFER:
        raise ValueError(f"offered: {len(offered)} values, at most {MAX_PSI_OFFER} per round")
    secret = node_secret(store)
    reblinded = [p.hex() for p in psi.reblind(secret, [_point(s) for s in offered])]
    with store.engine.connect() as conn:
        held = sorted({(row.agency, row.selector) for row in _live(conn)})
    random.SystemRandom().shuffle(held)
    detail = {"offered": len(offered), "held": len(held)}
    store.audit_event(Viewer(peer_agency, "exchange"), "deconfliction.psi", peer_agency, detail)
    return PsiAnswer(reblinded, held)


def psi_conclude(
    store: Store,
    peer_agency: str,
    offered: Sequence[str],
    answer: PsiAnswer,
    peer_node: str | None = None,
) -> list[Hit]:
    """Intersect: our offer as reblinded by the peer vs the peer's selectors reblinded by us.

    Records a hit for our side. With ``peer_node`` (a signed round over the exchange) each
    new hit of this node's agency is also queued, in the same transaction, as a signed
    notice to that node with a proof that we hold the identifier (``psi_proof``), so the
    peer's owner learns its side at once instead of in its own round (ADR 0042)."""
    if len(answer.reblinded) != len(offered):
        raise ValueError("reblinded: the peer answered a different number of values")
    secret = node_secret(store)
    mine = [_point(s) for s in answer.reblinded]
    theirs = psi.reblind(secret, [_point(s) for _, s in answer.held])
    holders: dict[bytes, set[str]] = {}
    held_by: dict[bytes, set[tuple[str, str]]] = {}  # double-blinded -> (agency, their value)
    for (agency, selector), point in zip(answer.held, theirs, strict=True):
        holders.setdefault(point, set()).add(agency)
        held_by.setdefault(point, set()).add((agency, selector))
    found = psi.intersect(mine, theirs)
    matched = {offered[i]: holders[mine[i]] for i in found}
    their_values = {offered[i]: held_by[mine[i]] for i in found}
    created: list[Hit] = []
    with store.transaction() as conn:
        me = conn.execute(sa.select(node_self.c.node_id, node_self.c.agency_code)).first()
        for own in _live(conn, matched):
            for other_agency in sorted(matched[own.selector] - {own.agency}):
                key = _keyed(secret, "peer", own.selector, own.agency, own.case_id, other_agency)
                if _known(conn, key):
                    continue
                created.append(_record_side(store, conn, secret, key, own, other_agency)[1])
                if peer_node is None or me is None or own.agency != me.agency_code:
                    continue  # a node speaks for its own agency only
                for agency, value in sorted(their_values[own.selector]):
                    if agency == other_agency:
                        item = hit_item(secret, me.node_id, peer_node, own, value)
                        node_messages.queue(conn, peer_node, node_messages.DECONFLICTION, item)
        node_messages.wake_on_commit(store, conn)
    return created


def hit_item(secret: bytes, sender: str, receiver: str, own: _Row, theirs: str) -> dict[str, str]:
    """The notice for the receiver: its own selector ``theirs``, our blinded value of the
    same identifier, and the proof that links them (nothing the receiver did not already
    see in the round or could compute itself)."""
    public, commitment, response = psi_proof.prove(
        secret, _point(theirs), proof_context(sender, receiver, own.agency, theirs, own.selector)
    )
    return {
        "agency": own.agency,
        "selector": theirs,
        "offered": own.selector,
        "double": public.hex(),
        "commitment": commitment.hex(),
        "response": response.hex(),
    }


def proof_context(sender: str, receiver: str, agency: str, theirs: str, offered: str) -> bytes:
    """What a notice's proof is bound to: it proves nothing for another pair of nodes,
    agency or selector."""
    return "\x1f".join((sender, receiver, agency, theirs, offered)).encode()


def receive_peer_hits(
    store: Store, sender: str, receiver: str, sender_agency: str, items: Sequence[object]
) -> dict[str, Any]:
    """Record the hits a peer node's round found on our selectors (its signed notice,
    checked by the caller): for each item, every live selector of ours equal to the one it
    names gets its owner's hit, as our own round would record it (the same key, so a
    replayed notice, a repeated delivery or our own later round records nothing twice).

    An item is refused, with its reason, when it is malformed, speaks for another agency
    than the sender's, names a selector we do not hold (never published here, or retired
    with its case's identifier), or when its proof does not show that the sender holds
    the identifier (``psi_proof``: a selector seen in one of our answers is not enough)."""
    secret = node_secret(store)
    recorded: list[Hit] = []
    refused: list[dict[str, Any]] = []
    with store.transaction() as conn:
        for index, item in enumerate(items):
            problem = _check_item(conn, secret, sender, receiver, sender_agency, item)
            if problem is not None or not isinstance(item, dict):
                refused.append({"index": index, "reason": problem})
                continue
            for own in _live(conn, {item["selector"]}):
                if own.agency == sender_agency:
                    continue
                key = _keyed(secret, "peer", own.selector, own.agency, own.case_id, sender_agency)
                if not _known(conn, key):
                    recorded.append(_record_side(store, conn, secret, key, own, sender_agency)[1])
        detail = {"items": len(items), "recorded": len(recorded), "refused": len(refused)}
        actor = f"exchange:{sender}"
        audit.append(conn, sender_agency, actor, "deconfliction.notice", sender, detail)
    return {
        "recorded": len(recorded),
        "skipped": len(items) - len(recorded) - len(refused),
        "refused": refused,
    }


HEX_FIELDS = ("selector", "offered", "double", "commitment", "response")


def _check_item(
    conn: Connection, secret: bytes, sender: str, receiver: str, agency: str, item: object
) -> str | None:
    """Why an item of a peer's hit notice is refused, or None if it holds."""
    if not isinstance(item, dict):
        return "(item): a JSON object is expected"
    if item.get("agency") != agency:
        return f"agency: node {sender} speaks for {agency} only"
    values: dict[str, bytes] = {}
    for field in HEX_FIELDS:
        value = item.get(field)
        try:
            raw = bytes.fromhex(value) if isinstance(value, str) and len(value) == 64 else None
        except ValueError:
            raw = None
        if raw is None:
            return f"{field}: 64 hexadecimal characters are expected"
        values[field] = raw
    if not _live(conn, {item["selector"]}):
        return (
            "selector: no live deconfliction selector of this node matches "
            "(never published here, or its case no longer holds the identifier)"
        )
    try:
        ours = psi.reblind(secret, [values["offered"]])[0]
    except psi.InvalidPoint:
        return "offered: not an element of the prime-order group"
    context = proof_context(sender, receiver, agency, item["selector"], item["offered"])
    proof = (values["double"], values["commitment"], values["response"])
    if ours != values["double"] or not psi_proof.verify(values["selector"], *proof, context):
        return "proof: does not show that the sender holds the identifier"
    return None


def psi_round(store: Store, peer_agency: str, ask: Callable[[list[str]], PsiAnswer]) -> list[Hit]:
    """One PSI round with a peer node; ``ask`` carries our offer to it and brings its answer."""
    offered = psi_offer(store)
    if not offered:
        return []
    return psi_conclude(store, peer_agency, offered, ask(offered))


def _point(text: str) -> bytes:
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raise psi.InvalidPoint("point: not hexadecimal") from None
    return psi.check_point(raw)
