"""PPRL between nodes over HTTP: a signed publication, a signed hit/no-hit answer.

Node A's agency publishes its encoded persons to a peer (`ask`): the publication
(`pprl_exchange.publish`, keyed with the federation key stored on A) travels in a message
signed with A's node key, addressed to the peer, with a nonce and a timestamp, to
``POST /exchange/v1/pprl`` (api/pprl_routes.py). The peer (`answer`) verifies it exactly as
a deconfliction offer (registered sender, active key, signature, addressed to it, fresh:
`exchange.psi_exchange`), refuses a publication in the name of an agency other than the
sending node's, screens it against its own agency's persons with its own stored key
(`pprl_exchange.screen`: its side's `DeconflictionHit` and the hit notice to its owner,
at most one screening per peer agency a minute) and returns the publisher's matched
references in a signed answer. A verifies the answer with the peer's registered key and
the nonce, and records its side (`pprl_exchange.acknowledge`: the same hit and notice).
So a fuzzy match between nodes gives each owner the same hit/no-hit notice as
deconfliction, and neither learns the other's record, name or id. The federation key never
travels: a peer keyed differently matches nothing.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from palermo.access.viewer import Role, Viewer
from palermo.coordination import federation_key, pprl_exchange
from palermo.coordination.deconfliction import Hit
from palermo.exchange import registry
from palermo.exchange.peer_tls import json_transport
from palermo.exchange.psi_exchange import Refused, _fresh, _signed, _strings, _verified
from palermo.exchange.registry import Peer
from palermo.store.store import Store

PPRL_PATH = "/exchange/v1/pprl"
OFFER, ANSWER = "pprl-publication", "pprl-answer"

# (endpoint, signed message) -> (HTTP status, response JSON). Tests swap in other transports.
Transport = Callable[[str, dict[str, Any]], tuple[int, dict[str, Any]]]


def _node(store: Store) -> registry.NodeIdentity:
    with store.engine.connect() as conn:
        me = registry.identity(conn)
    if me is None:
        raise Refused("node: run `palermo node init` first", 400)
    return me


def _service(agency: str) -> Viewer:
    """The node acting for its agency in a screening (reads its own persons, writes hits)."""
    return Viewer(agency, pprl_exchange.SERVICE_USER, frozenset({Role.ANALYST}))


# --- the peer's side ----------------------------------------------------------------------


def answer(store: Store, data: object) -> dict[str, Any]:
    """Verify a peer's signed publication, screen it, return the signed answer; raises
    ``Refused`` (with the HTTP status) for anything that does not check out."""
    peer, offer = _verified(store, data, OFFER)
    _fresh(offer.get("sent_at"))
    try:
        publication = pprl_exchange.Publication.from_wire(offer.get("publication"))
    except ValueError as exc:
        raise Refused(str(exc), 400) from None
    if publication.agency != peer.agency:
        raise Refused(f"publication.agency: {peer.node_id} publishes for {peer.agency} only")
    me = _node(store)
    try:
        key = federation_key.key_of(store, publication.federation)
        _, matched = pprl_exchange.screen(store, _service(me.agency), key, publication)
    except pprl_exchange.RateLimited as exc:
        raise Refused(str(exc), 429) from None
    except ValueError as exc:
        raise Refused(str(exc), 400) from None
    body = {
        "kind": ANSWER,
        "sender": me.node_id,
        "receiver": peer.node_id,
        "nonce": str(offer.get("nonce")),
        "matched": matched,
    }
    return _signed(body, me.key())


# --- this node's side ---------------------------------------------------------------------


def ask(store: Store, viewer: Viewer, peer: Peer, transport: Transport) -> list[Hit]:
    """Publish the viewer agency's encoded persons to ``peer`` and record the hits it
    answers (none: no hit). The viewer must be of this node's agency."""
    me = _node(store)
    if viewer.agency != me.agency:
        raise ValueError(f"agency: this node publishes for {me.agency} only")
    key = federation_key.key_of(store)
    publication = pprl_exchange.publish(store, viewer, key)
    nonce = secrets.token_hex(16)
    offer = {
        "kind": OFFER,
        "sender": me.node_id,
        "receiver": peer.node_id,
        "nonce": nonce,
        "sent_at": datetime.now(UTC).isoformat(),
        "publication": publication.to_wire(),
    }
    status, reply = transport(peer.endpoint, _signed(offer, me.key()))
    if status != 200:
        raise Refused(f"peer {peer.node_id} answered {status}: {reply.get('detail', '')}", status)
    _verified(store, reply, ANSWER, sender=peer.node_id)
    if reply.get("nonce") != nonce:
        raise Refused("nonce: the answer is not for this publication")
    matched = _strings(reply, "matched")
    return pprl_exchange.acknowledge(store, viewer, key, peer.agency, matched)


def http_transport(timeout: float = 120.0) -> Transport:
    return json_transport(PPRL_PATH, timeout)  # mutual TLS when configured
