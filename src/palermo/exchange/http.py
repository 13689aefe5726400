"""The HTTP face of exchange: peers POST signed batches here."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from palermo.api.auth import store_of
from palermo.exchange import inbox

router = APIRouter(prefix="/exchange/v1", tags=["exchange"])


@router.post("/batches")
async def receive_batch(request: Request) -> JSONResponse:
    """Receive one signed batch from a peer node (see docs/exchange.md).

    200 `{"status": "applied"|"duplicate", "cursor": N}`; 409 `{"status": "gap", "cursor": N}`
    (resend from N); 403 `{"status": "rejected", "reason": ...}`.
    """
    try:
        data: Any = await request.json()
    except ValueError:
        data = None
    outcome = inbox.receive(store_of(request), data)
    body = {
        "status": outcome.status,
        "cursor": outcome.cursor,
        "reason": outcome.reason,
        "stored": outcome.stored,
    }
    return JSONResponse(body, status_code=outcome.http_status)
