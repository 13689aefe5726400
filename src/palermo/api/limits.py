"""Rate limits: a token bucket per caller, in front of every API route.

The caller is its bearer token (or session cookie), else its address, so one busy
integration cannot starve the analysts of its own or another agency. The rate comes from
``PALERMO_RATE_LIMIT`` (requests per second, sustained; bursts of twice that pass; ``0``
turns limiting off, e.g. behind a gateway that limits already). Refusals are 429 problem
details with ``Retry-After``.
"""

from __future__ import annotations

import json
import math
import os
import threading
import time
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

DEFAULT_RATE = 200.0  # requests per second per caller


def configured_rate() -> float:
    raw = os.environ.get("PALERMO_RATE_LIMIT", "")
    try:
        return float(raw) if raw else DEFAULT_RATE
    except ValueError:
        raise ValueError(
            f"PALERMO_RATE_LIMIT: {raw!r} is not a number of requests per second"
        ) from None


class Buckets:
    """Token buckets by key; thread-safe, old keys forgotten once refilled."""

    def __init__(self, rate: float, burst: float | None = None) -> None:
        self.rate = rate
        self.burst = burst if burst is not None else max(1.0, 2 * rate)
        self._state: dict[str, tuple[float, float]] = {}  # key -> (tokens, last time)
        self._lock = threading.Lock()

    def take(self, key: str, now: float | None = None) -> float:
        """0 if the request may pass, else the seconds to wait."""
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._state.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= 1:
                self._state[key] = (tokens - 1, now)
                if len(self._state) > 100_000:
                    self._forget(now)
                return 0.0
            self._state[key] = (tokens, now)
            return (1 - tokens) / self.rate

    def _forget(self, now: float) -> None:
        full = [
            k for k, (t, last) in self._state.items() if t + (now - last) * self.rate >= self.burst
        ]
        for key in full:
            del self._state[key]


class RateLimit:
    """ASGI middleware applying `Buckets` to /api/ and /exchange/ paths."""

    def __init__(self, app: ASGIApp, rate: float | None = None) -> None:
        self.app = app
        rate = configured_rate() if rate is None else rate
        self.buckets = Buckets(rate) if rate > 0 else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.buckets is None or scope["type"] != "http" or not _limited(scope["path"]):
            await self.app(scope, receive, send)
            return
        wait = self.buckets.take(_caller(scope))
        if wait <= 0:
            await self.app(scope, receive, send)
            return
        await _refuse(send, wait)


def _limited(path: str) -> bool:
    return path.startswith(("/api/", "/exchange/"))


def _caller(scope: Scope) -> str:
    headers: list[tuple[bytes, bytes]] = scope.get("headers", [])
    for name, value in headers:
        if name == b"authorization":
            return "t:" + value.decode("latin-1")
        if name == b"cookie" and b"palermo_token=" in value:
            return "c:" + value.decode("latin-1")
    client: Any = scope.get("client") or ("?", 0)
    return "a:" + str(client[0])


async def _refuse(send: Send, wait: float) -> None:
    body = json.dumps(
        {
            "type": "about:blank",
            "title": "Too many requests",
            "status": 429,
            "detail": f"rate limit: retry after {wait:.2f} s",
        }
    ).encode()
    headers = [
        (b"content-type", b"application/problem+json"),
        (b"retry-after", str(max(1, math.ceil(wait))).encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    await send({"type": "http.response.start", "status": 429, "headers": headers})
    await send({"type": "http.response.body", "body": body})
