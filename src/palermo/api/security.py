"""Browser-facing hardening shared by the API and the web UI: security headers on every
response, whether the node is reached over TLS (for ``Secure`` cookies), its public URL,
and the same-origin check for state-changing requests made with the session cookie.

Configuration, from the environment:

    PALERMO_PUBLIC_URL       https://palermo.bka.example  (the URL users and the identity
                             provider see; redirect URIs are built from it, never from Host)
    PALERMO_SECURE_COOKIES   1: cookies are always ``Secure`` (TLS terminated in front)
    PALERMO_TRUST_PROXY      1: believe ``X-Forwarded-Proto`` from the proxy in front
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The UI loads scripts, styles, fonts and images only from this node: no inline script or
# style, no CDN, no framing by another site.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# ReDoc styles itself with generated <style> elements and runs its search in a blob: worker.
CSP_REDOC = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; worker-src 'self' blob:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# Referrer-Policy is "same-origin", not "no-referrer": no URL (with its entity ids) ever goes
# to another site either way, but under "no-referrer" Chromium sends `Origin: null` with the
# UI's own form posts, which would defeat the same-origin check below.
HEADERS = [
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Encoded once, not per response (the middleware runs on every request).
_CSP_HEADER = (b"content-security-policy", CSP.encode())
_CSP_REDOC_HEADER = (b"content-security-policy", CSP_REDOC.encode())


class SecurityHeaders:
    """ASGI middleware adding CSP, anti-framing, nosniff and referrer headers to every
    response, and ``Cache-Control: no-store`` to everything but static assets (pages and
    API answers hold case data that must not stay in shared or browser caches)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        policy = _CSP_REDOC_HEADER if path == "/redoc" else _CSP_HEADER
        cacheable = path.startswith("/static/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                extra = [*HEADERS, policy]
                if not cacheable:
                    extra.append((b"cache-control", b"no-store"))
                headers += [(n, v) for n, v in extra if n not in present]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


def public_url() -> str:
    """``PALERMO_PUBLIC_URL`` without a trailing slash ("" when unset)."""
    raw = os.environ.get("PALERMO_PUBLIC_URL", "").strip().rstrip("/")
    if raw and urlsplit(raw).scheme not in ("http", "https"):
        raise ValueError(f"PALERMO_PUBLIC_URL: {raw!r} must start with https:// (or http://)")
    return raw


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes")


def is_tls(request: Request) -> bool:
    """Whether the browser reached this node over TLS, so cookies must be ``Secure``."""
    if _flag("PALERMO_SECURE_COOKIES") or request.url.scheme == "https":
        return True
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    if _flag("PALERMO_TRUST_PROXY") and forwarded == "https":
        return True
    return public_url().startswith("https://")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else ""


def allowed_origins(request: Request) -> set[str]:
    """This node's own origin as the browser sees it (and the configured public one)."""
    host = request.headers.get("host", "")
    scheme = "https" if is_tls(request) else request.url.scheme
    found = {f"{scheme}://{host}".lower()} if host else set()
    configured = public_url()
    if configured:
        found.add(_origin(configured))
    return found


def same_origin(request: Request) -> bool:
    """False when the request says it comes from another origin (Origin, else Referer).

    Browsers send Origin with every form POST, so a page on a sibling subdomain or another
    port (same-site, which SameSite cookies do not stop) is refused here. A request naming
    no origin at all (a script, not a browser) passes this check; the CSRF token still
    applies to it."""
    origin = request.headers.get("origin")
    if origin is None:
        referer = request.headers.get("referer")
        if not referer:
            return True
        origin = _origin(referer)
    return origin.lower() in allowed_origins(request)


def unsafe(request: Request) -> bool:
    return request.method.upper() not in SAFE_METHODS
