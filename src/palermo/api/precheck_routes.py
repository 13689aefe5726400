"""The name-free pre-check for outside organisations, and the owners' hit notices.

``POST /api/v1/precheck`` is the only route a ``precheck`` account may call (every other
route refuses it with 403, ``auth.refuse_precheck``). Its answer is one constant body,
status 202, after at least ``PALERMO_PRECHECK_FLOOR_MS`` (default 150 ms) whether the
number is held or not, so neither the bytes nor the time tell a hit; each submitter has
its own rate limit (``PALERMO_PRECHECK_RATE`` per minute, default 60, bursts of 20).

``/api/v1/hit-notices``: the owner's notices and their replies, the searcher's follow-ups
(``/sent``), and the agency's follow-up deadline (admins). See docs/trust.md.
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from palermo.access.viewer import Viewer
from palermo.api.auth import app_cache, current_viewer, store_of, token_of
from palermo.api.limits import Buckets
from palermo.api.schemas import SHORT
from palermo.coordination import hit_notices, precheck
from palermo.store.store import Store

router = APIRouter()
precheck_router = APIRouter(prefix="/api/v1/precheck", tags=["pre-check"])
notices_router = APIRouter(prefix="/api/v1/hit-notices", tags=["hit notices"])
CurrentViewer = Annotated[Viewer, Depends(current_viewer)]

ANSWER = b'{"status":"received"}'  # the same bytes for every accepted pre-check
DEFAULT_FLOOR_MS = 150.0
DEFAULT_RATE_PER_MINUTE = 60.0
BURST = 20.0


def floor_seconds() -> float:
    raw = os.environ.get("PALERMO_PRECHECK_FLOOR_MS", "")
    try:
        return (float(raw) if raw else DEFAULT_FLOOR_MS) / 1000
    except ValueError:
        raise ValueError(f"PALERMO_PRECHECK_FLOOR_MS: {raw!r} is not a number") from None


def _buckets(_: Store) -> Buckets:
    raw = os.environ.get("PALERMO_PRECHECK_RATE", "")
    try:
        per_minute = float(raw) if raw else DEFAULT_RATE_PER_MINUTE
    except ValueError:
        raise ValueError(f"PALERMO_PRECHECK_RATE: {raw!r} is not a number") from None
    return Buckets(per_minute / 60, BURST)


async def precheck_viewer(request: Request) -> Viewer:
    """The submitting account: a valid token of a ``precheck`` user, else 401 / 403."""
    token = token_of(request)
    store = store_of(request)
    viewer = store.cached_viewer(token) if token else None
    if viewer is None and token:
        viewer = await run_in_threadpool(store.viewer_for_token, token)
    if viewer is None:
        raise HTTPException(status_code=401, detail="authentication required: a valid bearer token")
    if not viewer.is_precheck:
        raise HTTPException(status_code=403, detail="role: pre-checks need the precheck role")
    return viewer


class PrecheckIn(BaseModel):
    document_number: str | None = Field(None, min_length=1, max_length=SHORT)
    document_digest: str | None = Field(
        None, min_length=64, max_length=64, description="HMAC-SHA256 under the pre-check key"
    )
    country: str = Field(min_length=2, max_length=2, examples=["DE"])


@precheck_router.post("", status_code=202, response_class=Response)
async def submit_precheck(
    request: Request, body: PrecheckIn, viewer: Annotated[Viewer, Depends(precheck_viewer)]
) -> Response:
    """Submit a document number (or its keyed hash) and issuing country. The answer is
    always the same: it says the check was received, never whether anything matched."""
    started = time.monotonic()
    wait = app_cache(request, "precheck_buckets", _buckets).take(viewer.agency)
    if wait > 0:
        raise HTTPException(status_code=429, detail=f"rate limit: retry after {wait:.2f} s")
    submission = precheck.Submission.parse(body.document_number, body.document_digest, body.country)
    await run_in_threadpool(precheck.submit, store_of(request), viewer, submission)
    await asyncio.sleep(max(0.0, floor_seconds() - (time.monotonic() - started)))
    return Response(ANSWER, status_code=202, media_type="application/json")


class ReplyIn(BaseModel):
    text: str = Field(min_length=1, max_length=hit_notices.MAX_REPLY)


class DeadlineIn(BaseModel):
    hours: int = Field(ge=1, le=hit_notices.MAX_DEADLINE_HOURS)


@notices_router.get("")
def list_notices(
    request: Request,
    viewer: CurrentViewer,
    status: Annotated[str | None, Query(max_length=SHORT)] = None,
) -> list[dict[str, Any]]:
    """Notices of other agencies' hits on this agency's records, newest first."""
    return [n.to_json() for n in hit_notices.received(store_of(request), viewer, status)]


@notices_router.get("/sent")
def list_sent(request: Request, viewer: CurrentViewer) -> list[dict[str, Any]]:
    """Follow-ups this agency's hits opened elsewhere, with the owners' replies."""
    return [f.to_json() for f in hit_notices.sent(store_of(request), viewer)]


@notices_router.post("/{notice_id}/reply")
def reply_notice(
    request: Request, viewer: CurrentViewer, notice_id: int, body: ReplyIn
) -> dict[str, Any]:
    """Answer a notice about one of this agency's records; the searcher reads the reply."""
    return hit_notices.reply(store_of(request), viewer, notice_id, body.text).to_json()


@notices_router.put("/deadline")
def set_deadline(request: Request, viewer: CurrentViewer, body: DeadlineIn) -> dict[str, Any]:
    """This agency's follow-up deadline in hours (admins; default 48)."""
    hit_notices.set_deadline(store_of(request), viewer, viewer.agency, body.hours)
    return {"agency": viewer.agency, "hours": body.hours}


router.include_router(precheck_router)
router.include_router(notices_router)
