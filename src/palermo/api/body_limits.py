"""Request body size limits, in front of every route (API, exchange and web forms).

Without a limit one request can make the server buffer and parse any amount of data (a
20 MB exchange batch was parsed in full before being refused). Each path prefix has a
ceiling sized for its largest legitimate body; a declared ``Content-Length`` above it is
refused before anything is read, and a body that streams past it (chunked, or a lying
header) is cut off as soon as it crosses the ceiling. Refusals are 413 problem details
naming ``body``.

Wiring (in ``api/app.py``, next to the rate limit): ``app.add_middleware(BodyLimit)``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MIB = 1024 * 1024
DEFAULT_LIMIT = 1 * MIB  # JSON bodies of the API and web forms
# Longest prefix wins. Messages carry up to MAX_ATTACHMENTS base64 attachments of 5 MB
# each (4/3 of that as base64); manifests up to MAX_MANIFEST_ROWS rows; exchange batches
# up to 2,000 statements; deconfliction rounds up to 100,000 blinded points (64 hex each).
LIMITS: Mapping[str, int] = {
    "/api/v1/messages": 40 * MIB,
    "/messages/new": 26 * MIB,  # the web form: the same 5 files of 5 MB, multipart (raw)
    "/api/v1/screening/manifest": 4 * MIB,
    "/exchange/v1/batches": 16 * MIB,
    "/exchange/v1/deconfliction": 16 * MIB,
    "/exchange/v1/pprl": 16 * MIB,  # a publication: up to MAX_PUBLICATION encodings
}


def limit_for(path: str, limits: Mapping[str, int] = LIMITS, default: int = DEFAULT_LIMIT) -> int:
    """The ceiling for one path: the longest configured prefix, else the default."""
    best = ""
    for prefix in limits:
        if path.startswith(prefix) and len(prefix) > len(best):
            best = prefix
    return limits[best] if best else default


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` when a streamed body crosses its ceiling; FastAPI passes
    HTTP exceptions through its body parsing, so it ends as a 413 problem."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"body: larger than the limit of {limit} bytes for this path")


class BodyLimit:
    """Pure ASGI middleware (no buffering of its own): counts bytes as they arrive."""

    def __init__(
        self,
        app: ASGIApp,
        limits: Mapping[str, int] | None = None,
        default: int = DEFAULT_LIMIT,
    ) -> None:
        self.app = app
        self.limits = LIMITS if limits is None else limits
        self.default = default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = limit_for(scope.get("path", ""), self.limits, self.default)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _refuse(send, limit)
            return
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge:
            if started:
                raise
            await _refuse(send, limit)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _refuse(send: Send, limit: int) -> None:
    detail = f"body: larger than the limit of {limit} bytes for this path"
    body = json.dumps(
        {
            "type": "about:blank",
            "title": "Payload too large",
            "status": 413,
            "detail": detail,
            "field": "body",
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
