"""Single sign-on for the web UI with OpenID Connect (authorization code flow with PKCE).

The agency's identity provider (Keycloak, Entra ID, ...) says who the user is; palermo decides
what they may do: the `preferred_username` claim (or ``PALERMO_OIDC_USERNAME_CLAIM``) must
name a palermo user, whose agency and roles apply. Configuration, from the environment:

    PALERMO_OIDC_ISSUER         https://idp.example.org/realms/bka
    PALERMO_OIDC_CLIENT_ID      palermo
    PALERMO_OIDC_CLIENT_SECRET  ...            (confidential client; optional with PKCE only)
    PALERMO_OIDC_NAME           "BKA login"    (the button's label)
    PALERMO_PUBLIC_URL          https://palermo.bka.example (required: the redirect URI is
                                built from it, never from the request's Host header)

The ID token is checked for signature (the provider's JWKS), issuer, audience, expiry and the
nonce of this login; state and the PKCE verifier live in a short-lived, HttpOnly cookie.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from palermo.api.auth import store_of
from palermo.api.security import is_tls, public_url
from palermo.web.csrf import csrf_protect
from palermo.web.render import page

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
CALLBACK_PATH = "/login/oidc/callback"
FLOW_COOKIE = "palermo_oidc"
FLOW_SECONDS = 600


@dataclass(frozen=True)
class OidcConfig:
    issuer: str
    client_id: str
    client_secret: str = ""
    name: str = "single sign-on"
    username_claim: str = "preferred_username"
    # This node's public base URL; the redirect URI is built from it (see redirect_uri).
    public_url: str = ""

    @classmethod
    def from_env(cls) -> OidcConfig | None:
        issuer, client = (
            os.environ.get("PALERMO_OIDC_ISSUER"),
            os.environ.get("PALERMO_OIDC_CLIENT_ID"),
        )
        if not issuer or not client:
            return None
        return cls(
            issuer.rstrip("/"),
            client,
            os.environ.get("PALERMO_OIDC_CLIENT_SECRET", ""),
            os.environ.get("PALERMO_OIDC_NAME", "single sign-on"),
            os.environ.get("PALERMO_OIDC_USERNAME_CLAIM", "preferred_username"),
            public_url(),
        )

    def redirect_uri(self) -> str:
        """Where the provider sends the browser back: from configuration, because the Host
        header is the client's to choose (a forged one would send the code elsewhere)."""
        if not self.public_url:
            raise OidcError("PALERMO_PUBLIC_URL: must be set for single sign-on")
        return self.public_url.rstrip("/") + CALLBACK_PATH


class OidcError(Exception):
    """A login that must not succeed; the message says why, for the log and the user."""


def config_of(request: Request) -> OidcConfig | None:
    if not hasattr(request.app.state, "oidc"):
        request.app.state.oidc = OidcConfig.from_env()
    found = request.app.state.oidc
    return found if isinstance(found, OidcConfig) else None


def client_of(request: Request) -> httpx.Client:
    """HTTP to the provider; tests hand in a transport that plays the provider."""
    transport = getattr(request.app.state, "oidc_transport", None)
    return httpx.Client(transport=transport, timeout=10)


def discover(request: Request, config: OidcConfig) -> dict[str, Any]:
    with client_of(request) as http:
        response = http.get(f"{config.issuer}/.well-known/openid-configuration")
        response.raise_for_status()
        meta: dict[str, Any] = response.json()
    if meta.get("issuer", "").rstrip("/") != config.issuer:
        raise OidcError("issuer: the provider's discovery document names another issuer")
    return meta


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@router.get("/login/oidc")
def start(request: Request) -> Response:
    config = config_of(request)
    if config is None:
        return _refuse(request, "Single sign-on is not configured on this node.", 404)
    try:
        redirect_uri = config.redirect_uri()
    except OidcError as exc:
        return _refuse(request, f"Single sign-on is misconfigured: {exc}", 500)
    try:
        meta = discover(request, config)
    except (httpx.HTTPError, ValueError, OidcError) as exc:
        return _refuse(request, f"The identity provider cannot be reached: {exc}", 502)
    flow = {
        "state": secrets.token_urlsafe(24),
        "nonce": secrets.token_urlsafe(24),
        "verifier": secrets.token_urlsafe(48),
        "expires": int(time.time()) + FLOW_SECONDS,
    }
    query = {
        "response_type": "code",
        "client_id": config.client_id,
        "redirect_uri": redirect_uri,
        "scope": "openid profile email",
        "state": flow["state"],
        "nonce": flow["nonce"],
        "code_challenge": _b64(hashlib.sha256(str(flow["verifier"]).encode()).digest()),
        "code_challenge_method": "S256",
    }
    redirect = RedirectResponse(f"{meta['authorization_endpoint']}?{urlencode(query)}", 303)
    redirect.set_cookie(
        FLOW_COOKIE,
        json.dumps(flow),
        max_age=FLOW_SECONDS,
        httponly=True,
        samesite="lax",
        secure=is_tls(request),
    )
    return redirect


@router.get(CALLBACK_PATH, name="oidc_callback")
def callback(request: Request, code: str = "", state: str = "", error: str = "") -> Response:
    from palermo.web.routes import start_session

    config = config_of(request)
    if config is None:
        return _refuse(request, "Single sign-on is not configured on this node.", 404)
    try:
        if error:
            raise OidcError(f"error: the identity provider refused the login ({error})")
        username = _verify(request, config, code, state)
    except (OidcError, httpx.HTTPError, JoseError, ValueError, KeyError) as exc:
        return _refuse(request, f"Single sign-on failed: {exc}", 401)
    try:
        viewer = store_of(request).viewer(username)
    except Exception:
        return _refuse(request, f"{username!r} is not a user of this node.", 403)
    response = start_session(request, viewer)
    response.delete_cookie(FLOW_COOKIE)
    return response


def _verify(request: Request, config: OidcConfig, code: str, state: str) -> str:
    flow = json.loads(request.cookies.get(FLOW_COOKIE) or "{}")
    if not flow or flow.get("expires", 0) < time.time():
        raise OidcError("state: no login in progress (or it took over 10 minutes)")
    if not code or not secrets.compare_digest(str(flow["state"]), state):
        raise OidcError("state: does not match this browser's login")
    meta = discover(request, config)
    with client_of(request) as http:
        answer = http.post(
            meta["token_endpoint"],
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": config.redirect_uri(),
                "client_id": config.client_id,
                "code_verifier": flow["verifier"],
                **({"client_secret": config.client_secret} if config.client_secret else {}),
            },
        )
        answer.raise_for_status()
        keys = KeySet.import_key_set(http.get(meta["jwks_uri"]).json())
    token = jwt.decode(answer.json()["id_token"], keys)
    jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": config.issuer},
        aud={"essential": True, "value": config.client_id},
        nonce={"essential": True, "value": flow["nonce"]},
        exp={"essential": True},
    ).validate(token.claims)
    username = token.claims.get(config.username_claim)
    if not isinstance(username, str) or not username:
        raise OidcError(f"{config.username_claim}: missing from the ID token")
    return username


def _refuse(request: Request, text: str, status: int) -> Response:
    response = page(request, "login.html", error=text, oidc=config_of(request))
    response.status_code = status
    return response
