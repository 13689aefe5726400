"""PPRL hit/no-hit over HTTP (coordination/pprl_remote.py; docs/trust.md).

``POST /exchange/v1/pprl`` is node-to-node: a peer's signed publication, answered with a
signed list of the publisher's matched references (no user login: the node signature is
the credential, checked like deconfliction offers). 400: malformed; 403: sender, key,
signature, receiver or freshness do not verify (logged, no detail beyond the reason);
429: more than one screening of that agency a minute.

``POST /exchange/v1/hit-notices`` is node-to-node too: hit notices a peer relays for this
node's records (coordination/hit_notice_relay.py), signed the same way.

``POST /api/v1/pprl/publish`` is for an analyst of this node's agency: publish its encoded
persons to one registered peer and record the hits; the answer says how many (the hits
themselves are the agency's owner-only `DeconflictionHit` records and hit notices).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from palermo.access.viewer import Viewer
from palermo.api.auth import current_viewer, store_of
from palermo.coordination import hit_notice_relay, pprl_remote
from palermo.exchange import registry
from palermo.exchange.psi_exchange import Refused
from palermo.store.store import Store

log = logging.getLogger(__name__)
router = APIRouter()
CurrentViewer = Annotated[Viewer, Depends(current_viewer)]
TITLES = {400: "Bad request", 429: "Too many requests"}


@router.post(pprl_remote.PPRL_PATH, tags=["exchange"])
async def pprl_screen_route(request: Request) -> JSONResponse:
    """Screen a peer node's signed PPRL publication; 200: the signed answer."""
    return await _signed_route(request, pprl_remote.answer, "pprl publication")


async def _signed_route(
    request: Request, handle: Callable[[Store, object], dict[str, Any]], what: str
) -> JSONResponse:
    """A node-to-node message: parsed, handed over, refusals as problem details."""
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
    title = TITLES.get(status, "Message rejected")
    body = {"type": "about:blank", "title": title, "status": status, "detail": reason}
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


@router.post(hit_notice_relay.RELAY_PATH, tags=["exchange"])
async def hit_notices_route(request: Request) -> JSONResponse:
    """Record the hit notices a peer node relays for this node's records (signed; see
    coordination/hit_notice_relay.py); 200: how many were recorded and skipped."""
    return await _signed_route(request, hit_notice_relay.accept, "hit notices")


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
