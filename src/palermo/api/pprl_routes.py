"""PPRL hit/no-hit over HTTP (coordination/pprl_remote.py; docs/trust.md).

``POST /exchange/v1/pprl`` is node-to-node: a peer's signed publication, answered with a
signed list of the publisher's matched references (no user login: the node signature is
the credential, checked like deconfliction offers). 400: malformed; 403: sender, key,
signature, receiver or freshness do not verify (logged, no detail beyond the reason);
429: more than one screening of that agency a minute.

``POST /exchange/v1/hit-notices`` is node-to-node too: hit notices a peer relays for this
node's records (coordination/hit_notice_relay.py), signed the same way; so are
``/exchange/v1/hit-replies`` (an owner's replies to notices this node's agency caused) and
``/exchange/v1/erasures`` (the owner purged a record: purge the copy received from it)
and ``/exchange/v1/deconfliction-hits`` (a peer's round matched this node's selectors).

``POST /api/v1/pprl/publish`` is for an analyst of this node's agency: publish its encoded
persons to one registered peer and record the hits; the answer says how many (the hits
themselves are the agency's owner-only `DeconflictionHit` records and hit notices).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from palermo.access.viewer import Viewer
from palermo.api.auth import current_viewer, store_of
from palermo.coordination import deconfliction_relay, hit_notice_relay, pprl_remote
from palermo.exchange import registry
from palermo.exchange.psi_exchange import Refused, signed_message_route

router = APIRouter()
CurrentViewer = Annotated[Viewer, Depends(current_viewer)]


@router.post(pprl_remote.PPRL_PATH, tags=["exchange"])
async def pprl_screen_route(request: Request) -> JSONResponse:
    """Screen a peer node's signed PPRL publication; 200: the signed answer."""
    return await signed_message_route(request, pprl_remote.answer, "pprl publication")


@router.post(hit_notice_relay.RELAY_PATH, tags=["exchange"])
async def hit_notices_route(request: Request) -> JSONResponse:
    """Record the hit notices a peer node relays for this node's records (signed; see
    coordination/hit_notice_relay.py); 200: how many were recorded and skipped."""
    return await signed_message_route(request, hit_notice_relay.accept, "hit notices")


@router.post(hit_notice_relay.REPLY_PATH, tags=["exchange"])
async def hit_replies_route(request: Request) -> JSONResponse:
    """Record an owner node's replies to hit notices this node's agency caused (signed;
    ADR 0035); 200: how many were recorded and skipped."""
    return await signed_message_route(request, hit_notice_relay.accept_replies, "hit replies")


@router.post(hit_notice_relay.ERASURE_PATH, tags=["exchange"])
async def erasures_route(request: Request) -> JSONResponse:
    """Purge the received copies of records their owner's node erased (signed; ADR 0035);
    200: how many records were purged and skipped."""
    return await signed_message_route(request, hit_notice_relay.accept_erasures, "erasures")


@router.post(deconfliction_relay.PATH, tags=["exchange"])
async def deconfliction_hits_route(request: Request) -> JSONResponse:
    """Record the deconfliction hits a peer node's round found on this node's selectors
    (signed, each with a proof; ADR 0042); 200: recorded, skipped, and refused items with
    their reasons."""
    return await signed_message_route(request, deconfliction_relay.accept, "deconfliction hits")


class PublishIn(BaseModel):
    peer: str = Field(min_length=1, max_length=128, description="the peer's node id")


@router.post("/api/v1/pprl/publish", tags=["coordination"])
async def publish(request: Request, body: PublishIn, viewer: CurrentViewer) -> dict[str, Any]:
    """Publish this agency's encoded persons to a peer node and record the hits."""
    viewer.require_data_role("publish encoded persons")
    store = store_of(request)
    with store.engine.connect() as conn:
        peer = registry.get_peer(conn, body.peer)
    if peer is None:
        raise HTTPException(404, f"peer: no registered peer {body.peer!r}")
    transport = getattr(request.app.state, "pprl_transport", None) or pprl_remote.http_transport()
    try:
        hits = await run_in_threadpool(pprl_remote.ask, store, viewer, peer, transport)
    except Refused as exc:
        raise HTTPException(502 if exc.status < 500 else exc.status, str(exc)) from None
    return {"peer": peer.node_id, "hits": len(hits), "hit_ids": [h.id for h in hits]}
