"""The HTTP face of exchange: peers POST signed batches here."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from palermo.api.auth import store_of
from palermo.exchange import inbox

router = APIRouter(prefix="/exchange/v1", tags=["exchange"])


@router.post("/batches")
async def receive_batch(request: Request) -> JSONResponse:
    """Receive one signed batch from a peer node (see docs/exchange.md).

    The body is capped by `api.body_limits` (16 MiB); malformed or too deeply nested JSON
    is a 400. The sender is verified (registered peer, active key, signature) before
    anything is written; unauthenticated refusals go to the server log, not the audit log.

    200 `{"status": "applied"|"duplicate", "cursor": N}`; refusals are problem details:
    409 `{"outcome": "gap", "cursor": N, ...}` (resend from N); 403 `{"outcome": "rejected",
    "reason": ...}`.
    """
    try:
        data: Any = json.loads(await request.body())
    except (ValueError, RecursionError) as exc:
        # Not JSON, or nested deeper than the parser's recursion allows: a client error,
        # answered before anything is checked or stored (and never a 500).
        reason = "nested too deeply" if isinstance(exc, RecursionError) else "not valid JSON"
        return JSONResponse(
            {
                "type": "about:blank",
                "title": "Bad request",
                "status": 400,
                "detail": f"body: {reason}",
                "field": "body",
            },
            status_code=400,
            media_type="application/problem+json",
        )
    outcome = inbox.receive(store_of(request), data)
    body = {
        "status": outcome.status,
        "cursor": outcome.cursor,
        "reason": outcome.reason,
        "stored": outcome.stored,
    }
    if outcome.http_status == 200:
        return JSONResponse(body, status_code=200)
    # Refusals are RFC 9457 problem details like every other error; the protocol's own
    # outcome ("gap", "rejected") and the cursor travel as extension members.
    title = "Gap: resend from cursor" if outcome.status == "gap" else "Batch rejected"
    problem = {
        "type": "about:blank",
        "title": title,
        "status": outcome.http_status,
        "detail": outcome.reason or outcome.status,
        **{k: v for k, v in body.items() if k != "status"},
        "outcome": outcome.status,
    }
    return JSONResponse(
        problem, status_code=outcome.http_status, media_type="application/problem+json"
    )
