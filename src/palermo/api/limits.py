"""Rate limits: a token bucket per caller, in front of every API route and the login form;
and the login lockout.

The caller is its bearer token (or session cookie) once that token is known to be valid,
else its address, so one busy integration cannot starve the analysts of its own or another
agency, and a client sending a new made-up token with each request still shares one bucket
(its address's). The rate comes from ``PALERMO_RATE_LIMIT`` (requests per second,
sustained; bursts of twice that pass; ``0`` turns limiting off, e.g. behind a gateway that
limits already). Refusals are 429 problem details with ``Retry-After``.

The lockout (`attempt_login`) counts failed logins in the database, per username and per
client address, so it holds across processes and restarts.
"""

from __future__ import annotations

import enum
import json
import math
import os
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.cookies import SimpleCookie
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from palermo.access.viewer import Viewer
from palermo.store import directory
from palermo.store.store import Store

DEFAULT_RATE = 200.0  # requests per second per caller
LOGIN_RATE = 1.0  # login attempts per second per address, sustained
LOGIN_BURST = 20.0
_clock = time.monotonic  # a test freezes it: a loaded machine must not refill buckets mid-test


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
        now = _clock() if now is None else now
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
    """ASGI middleware applying `Buckets` to /api/ and /exchange/ paths, and a slower
    bucket per address to ``POST /login`` (each failure is audited: this bounds how fast
    one address can guess passwords or grow the audit log)."""

    def __init__(self, app: ASGIApp, rate: float | None = None) -> None:
        self.app = app
        rate = configured_rate() if rate is None else rate
        self.buckets = Buckets(rate) if rate > 0 else None
        self.logins = Buckets(min(rate, LOGIN_RATE), LOGIN_BURST) if rate > 0 else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.buckets is None or scope["type"] != "http" or not _limited(scope):
            await self.app(scope, receive, send)
            return
        if scope["path"] == "/login" and self.logins is not None:
            wait = self.logins.take(client_address(scope))
        else:
            wait = self.buckets.take(_caller(scope))
        if wait <= 0:
            await self.app(scope, receive, send)
            return
        await _refuse(send, wait)


def _limited(scope: Scope) -> bool:
    path: str = scope["path"]
    if path == "/login":
        return bool(scope.get("method") == "POST")
    return path.startswith(("/api/", "/exchange/"))


def _caller(scope: Scope) -> str:
    """A valid token's own bucket; anyone else (no token, a wrong or unchecked one) shares
    the bucket of its address. Validity is checked only in the store's memory of recently
    valid tokens: a made-up token costs no database lookup here."""
    token = _token_in(scope)
    app: Any = scope.get("app")
    store = getattr(getattr(app, "state", None), "store", None)
    if token and isinstance(store, Store) and store.cached_viewer(token) is not None:
        return "t:" + token
    return "a:" + client_address(scope)


def client_address(scope: Scope) -> str:
    client: Any = scope.get("client") or ("?", 0)
    return str(client[0])


def _token_in(scope: Scope) -> str | None:
    headers: list[tuple[bytes, bytes]] = scope.get("headers", [])
    for name, value in headers:
        if name == b"authorization":
            text = value.decode("latin-1")
            return text[7:].strip() if text.lower().startswith("bearer ") else None
    for name, value in headers:
        if name == b"cookie":
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # a malformed cookie header is just no token
                continue
            if "palermo_token" in jar:
                return jar["palermo_token"].value
    return None


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


# --- login lockout -------------------------------------------------------------------------


@dataclass(frozen=True)
class LoginPolicy:
    """How many failed logins lock a username (or an address) and for how long.

    ``window`` is both the span failures are counted over and the lock's length: a lock
    lifts once the oldest counted failures are older than the window."""

    user_failures: int = 5
    address_failures: int = 20
    window: timedelta = timedelta(minutes=15)

    @classmethod
    def from_env(cls) -> LoginPolicy:
        return cls(
            _env_int("PALERMO_LOGIN_MAX_FAILURES", cls.user_failures),
            _env_int("PALERMO_LOGIN_MAX_ADDRESS_FAILURES", cls.address_failures),
            timedelta(seconds=_env_int("PALERMO_LOGIN_LOCKOUT_SECONDS", 900)),
        )


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    try:
        value = int(raw) if raw else default
    except ValueError:
        raise ValueError(f"{name}: {raw!r} is not a whole number") from None
    if value < 1:
        raise ValueError(f"{name}: {raw!r} must be at least 1")
    return value


class LoginOutcome(enum.Enum):
    OK = "ok"
    FAILED = "failed"  # unknown user, wrong password or disabled user: one answer for all
    LOCKED = "locked"  # too many failures for this username or from this address


ANONYMOUS = Viewer(agency="-", username="anonymous")


def attempt_login(
    store: Store, policy: LoginPolicy, username: str, password: str, address: str
) -> tuple[LoginOutcome, Viewer | None]:
    """Check a login against the lockout, then the password; audit every failure.

    A locked username or address is refused before the password is checked, whether or
    not the user exists, so the lock itself tells nothing about which usernames exist."""
    now = datetime.now(UTC)
    since = now - policy.window
    with store.engine.connect() as conn:
        by_user, by_address = directory.login_failures_since(conn, username, address, since)
    if by_user >= policy.user_failures or by_address >= policy.address_failures:
        _audit_failure(store, username, address, "locked")
        return LoginOutcome.LOCKED, None
    viewer = store.login(username, password)
    with store.transaction() as conn:
        if viewer is None:
            directory.record_login_failure(conn, username, address, now)
        directory.forget_login_failures(
            conn, since, username=viewer.username if viewer is not None else None
        )
    if viewer is None:
        _audit_failure(store, username, address, "bad credentials")
        return LoginOutcome.FAILED, None
    return LoginOutcome.OK, viewer


def _audit_failure(store: Store, username: str, address: str, reason: str) -> None:
    """The username tried and where from; never the password."""
    detail = {"address": address, "reason": reason}
    store.audit_event(ANONYMOUS, "login.failed", username[:128], detail)
