"""Deconfliction between nodes: signed private-set-intersection rounds over HTTP.

Node A POSTs a signed offer (its selectors, blinded under its own secret) to a peer's
``/exchange/v1/deconfliction``; the peer verifies the sender as it verifies batches
(registered peer, active key, signature, addressed to it, fresh), answers at most once per
``MIN_INTERVAL`` per peer, audits the round and returns a signed answer (the offer reblinded,
and its own selectors). A verifies that answer with the peer's registered key and records its
own hits (``coordination.deconfliction.psi_conclude``). Nothing here is a statement: no
selector, case or hit is synced. See docs/trust.md, "Deconfliction".
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from palermo.access.viewer import Viewer
from palermo.api.auth import store_of
from palermo.coordination import deconfliction
from palermo.coordination.psi import InvalidPoint
from palermo.exchange import registry
from palermo.exchange.keys import NodeKey, verify
from palermo.exchange.peer_tls import json_transport
from palermo.exchange.registry import Peer
from palermo.exchange.wire import PROTOCOL, canonical
from palermo.store.store import Store

PSI_PATH = "/exchange/v1/deconfliction"
MAX_SKEW = timedelta(minutes=5)  # an offer older (or newer) than this is a replay
MIN_INTERVAL = 60.0  # seconds between two rounds a peer may ask of this node
EVERY = 300.0  # seconds between the rounds this node's worker runs with each peer
# A prompt round (ADR 0042) offers only the selectors just published: at most this many
# values, and at most PROMPT_ROUNDS of them per peer per MIN_INTERVAL, beside the full round.
MAX_PROMPT_OFFER = 500
PROMPT_ROUNDS = 30

log = logging.getLogger(__name__)

# (endpoint, signed offer) -> (HTTP status, response JSON). Tests swap in other transports.
Transport = Callable[[str, dict[str, Any]], tuple[int, dict[str, Any]]]


class Refused(Exception):
    """A round that was not answered; ``status`` is the HTTP status to send."""

    def __init__(self, reason: str, status: int = 403) -> None:
        super().__init__(reason)
        self.status = status


# --- signing ------------------------------------------------------------------------------


def _signed(body: dict[str, Any], key: NodeKey) -> dict[str, Any]:
    body = {"protocol": PROTOCOL, **body, "key": key.public_key}
    return {**body, "signature": key.sign(canonical(body))}


def _verified(
    store: Store, data: object, kind: str, sender: str | None = None
) -> tuple[Peer, dict[str, Any]]:
    """The registered peer that signed ``data`` and the message, if everything checks out."""
    if not isinstance(data, dict):
        raise Refused("(body): a JSON object is expected", 400)
    body = {k: v for k, v in data.items() if k != "signature"}
    if body.get("protocol") != PROTOCOL or body.get("kind") != kind:
        raise Refused(f"kind: expected a {kind!r} of {PROTOCOL!r}", 400)
    with store.engine.connect() as conn:
        me = registry.identity(conn)
        if me is None or body.get("receiver") != me.node_id:
            raise Refused(f"receiver: this node is not {body.get('receiver')!r}")
        claimed = str(body.get("sender"))
        peer = registry.get_peer(conn, claimed)
        if peer is None or (sender is not None and claimed != sender):
            raise Refused(f"sender: {claimed!r} is not the expected registered peer")
        problem = registry.key_problem(conn, peer.node_id, str(body.get("key")))
    if problem:
        raise Refused(problem)
    if not verify(str(body.get("key")), canonical(body), str(data.get("signature"))):
        raise Refused("signature: does not verify with the sender's key")
    return peer, data


def _fresh(sent_at: object) -> None:
    try:
        when = datetime.fromisoformat(str(sent_at))
    except ValueError:
        raise Refused("sent_at: not an ISO timestamp", 400) from None
    if when.tzinfo is None or abs(datetime.now(UTC) - when) > MAX_SKEW:
        raise Refused("sent_at: outside the accepted clock skew (replayed or stale)")


def _strings(data: dict[str, Any], field: str) -> list[str]:
    value = data.get(field)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise Refused(f"{field}: a list of hex strings is expected", 400)
    return value


# --- answering (the peer's side) ----------------------------------------------------------

_last_answer: dict[tuple[int, str], float] = {}
_lock = threading.Lock()


def answer(store: Store, data: object) -> dict[str, Any]:
    """Verify a peer's offer and return the signed answer; raises ``Refused``."""
    peer, offer = _verified(store, data, "psi-offer")
    _fresh(offer.get("sent_at"))
    offered = _strings(offer, "offered")
    if offer.get("prompt") is True:
        if len(offered) > MAX_PROMPT_OFFER:
            raise Refused(f"offered: a prompt round offers at most {MAX_PROMPT_OFFER}", 400)
        _throttle_prompt(store, peer)
    else:
        _throttle(store, peer)
    try:
        reply = deconfliction.psi_answer(store, peer.agency, offered)
    except (InvalidPoint, ValueError) as exc:
        detail = {"reason": str(exc)}
        store.audit_event(_actor(peer), "deconfliction.psi.refused", peer.node_id, detail)
        raise Refused(str(exc), 400) from None
    with store.engine.connect() as conn:
        me = registry.identity(conn)
    if me is None:  # _verified checked it; the node was reset meanwhile
        raise Refused("receiver: this node has no identity", 403)
    body = {
        "kind": "psi-answer",
        "sender": me.node_id,
        "receiver": peer.node_id,
        "nonce": str(offer.get("nonce")),
        "reblinded": reply.reblinded,
        "held": [list(pair) for pair in reply.held],
    }
    return _signed(body, me.key())


def _throttle(store: Store, peer: Peer) -> None:
    """At most one answered round per peer per ``MIN_INTERVAL`` (guessing costs time)."""
    now = time.monotonic()
    slot = (id(store), peer.node_id)
    with _lock:
        last = _last_answer.get(slot)
        if last is not None and now - last < MIN_INTERVAL:
            wait = MIN_INTERVAL - (now - last)
            raise Refused(f"rate: one round per {MIN_INTERVAL:.0f} s; retry in {wait:.0f} s", 429)
        _last_answer[slot] = now


_prompts: dict[tuple[int, str], list[float]] = {}


def _throttle_prompt(store: Store, peer: Peer) -> None:
    """At most ``PROMPT_ROUNDS`` prompt rounds per peer per ``MIN_INTERVAL`` (ADR 0042):
    with ``MAX_PROMPT_OFFER`` values each, guessing stays bounded as for full rounds."""
    now = time.monotonic()
    slot = (id(store), peer.node_id)
    with _lock:
        recent = [t for t in _prompts.get(slot, []) if now - t < MIN_INTERVAL]
        if len(recent) >= PROMPT_ROUNDS:
            wait = MIN_INTERVAL - (now - recent[0])
            raise Refused(
                f"rate: {PROMPT_ROUNDS} prompt rounds per {MIN_INTERVAL:.0f} s; "
                f"retry in {wait:.0f} s",
                429,
            )
        _prompts[slot] = [*recent, now]


def _actor(peer: Peer) -> Viewer:
    return Viewer(peer.agency, f"exchange:{peer.node_id}")


# --- asking (this node's side) ------------------------------------------------------------


def run_round(
    store: Store, peer: Peer, transport: Transport, offered: list[str] | None = None
) -> list[deconfliction.Hit]:
    """One signed round with ``peer``: send our selectors (or, in a prompt round, only
    ``offered``: ADR 0042), verify its answer, record hits and queue the peer's notices."""
    prompt = offered is not None
    offered = deconfliction.psi_offer(store) if offered is None else offered
    if not offered:
        return []
    with store.engine.connect() as conn:
        me = registry.identity(conn)
    if me is None:
        raise Refused("node: run `palermo node init` first", 400)
    nonce = secrets.token_hex(16)
    offer = {
        "kind": "psi-offer",
        "sender": me.node_id,
        "receiver": peer.node_id,
        "nonce": nonce,
        "sent_at": datetime.now(UTC).isoformat(),
        "offered": offered,
        **({"prompt": True} if prompt else {}),
    }
    status, reply = transport(peer.endpoint, _signed(offer, me.key()))
    if status != 200:
        raise Refused(f"peer {peer.node_id} answered {status}: {reply.get('detail', '')}", status)
    _verified(store, reply, "psi-answer", sender=peer.node_id)
    if reply.get("nonce") != nonce:
        raise Refused("nonce: the answer is not for this offer")
    held = reply.get("held")
    if not isinstance(held, list) or not all(
        isinstance(p, list) and len(p) == 2 and all(isinstance(x, str) for x in p) for p in held
    ):
        raise Refused("held: a list of [agency, selector] pairs is expected", 400)
    theirs = deconfliction.PsiAnswer(_strings(reply, "reblinded"), [(a, s) for a, s in held])
    return deconfliction.psi_conclude(store, peer.agency, offered, theirs, peer.node_id)


def run_all(store: Store, transport: Transport | None = None) -> list[deconfliction.Hit]:
    """A round with every registered peer; a failing peer is logged and skipped."""
    send = transport or http_transport()
    with store.engine.connect() as conn:
        peers = registry.peers(conn)
    found: list[deconfliction.Hit] = []
    for peer in peers:
        try:
            found += run_round(store, peer, send)
        except (Refused, InvalidPoint, ValueError, httpx.HTTPError) as exc:
            log.warning("deconfliction round with %r failed: %r", peer.node_id, str(exc)[:300])
    return found


_last_run: dict[int, float] = {}


def run_due(store: Store, transport: Transport | None = None, every: float = EVERY) -> None:
    """For the node's worker: ``run_all`` at most once per ``every`` seconds."""
    now = time.monotonic()
    if now - _last_run.get(id(store), -every) >= every:
        _last_run[id(store)] = now
        run_all(store, transport)


def http_transport(timeout: float = 60.0) -> Transport:
    return json_transport(PSI_PATH, timeout)  # mutual TLS when configured


# --- the route ----------------------------------------------------------------------------

router = APIRouter(tags=["exchange"])


@router.post(PSI_PATH)
async def psi_round_route(request: Request) -> JSONResponse:
    """Answer a peer node's signed deconfliction offer (see docs/trust.md, "Deconfliction").

    200: the signed answer. 400: malformed; 403: sender, key, signature, receiver or
    freshness do not verify (server log only); 429: more than one round per minute."""
    return await signed_message_route(request, answer, "deconfliction offer", "Offer rejected")


async def signed_message_route(
    request: Request,
    handle: Callable[[Store, Any], dict[str, Any]],
    what: str,
    rejected: str = "Message rejected",
) -> JSONResponse:
    """A node-to-node message (deconfliction, PPRL, relayed hit notices): parsed, handed to
    ``handle`` off the event loop, a :class:`Refused` answered as problem details. The
    signature is the credential, so a 403's reason goes to the server log, not further."""
    store = store_of(request)
    try:
        data: Any = json.loads(await request.body())
    except (ValueError, RecursionError):
        data = None
    try:
        if data is None:
            raise Refused("body: not valid JSON (or nested too deeply)", 400)
        return JSONResponse(await run_in_threadpool(handle, store, data))
    except Refused as exc:
        status, reason = exc.status, str(exc).splitlines()[0]
        if status == 403:
            log.warning("%s refused: %r", what, reason[:300])
    title = {400: "Bad request", 429: "Too many requests"}.get(status, rejected)
    body = {"type": "about:blank", "title": title, "status": status, "detail": reason}
    return JSONResponse(body, status_code=status, media_type="application/problem+json")
