"""Single sign-on: a provider played in-process (discovery, JWKS, token endpoint)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import RSAKey

from palermo.api.app import create_app
from palermo.store.store import Store
from palermo.web.oidc import OidcConfig
from tests.store.factories import setup_agencies

ISSUER = "https://idp.example.org/realms/bka"


class Provider:
    """Just enough of an OpenID provider; `claims` changes what the next ID token says."""

    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "k1"})
        self.claims: dict[str, Any] = {}
        self.nonce = ""
        self.verifier_seen = ""

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/.well-known/openid-configuration"):
            return httpx.Response(
                200,
                json={
                    "issuer": ISSUER,
                    "authorization_endpoint": f"{ISSUER}/auth",
                    "token_endpoint": f"{ISSUER}/token",
                    "jwks_uri": f"{ISSUER}/certs",
                },
            )
        if path.endswith("/certs"):
            return httpx.Response(200, json={"keys": [self.key.as_dict(private=False)]})
        if path.endswith("/token"):
            form = parse_qs(request.content.decode())
            self.verifier_seen = form["code_verifier"][0]
            claims = {
                "iss": ISSUER,
                "aud": "palermo",
                "exp": int(time.time()) + 300,
                "nonce": self.nonce,
                "preferred_username": "analyst-de-bka",
                **self.claims,
            }
            token = jwt.encode({"alg": "RS256", "kid": "k1"}, claims, self.key)
            return httpx.Response(200, json={"id_token": token, "access_token": "x"})
        return httpx.Response(404)


@pytest.fixture
def sso(tmp_path: Path) -> tuple[TestClient, Provider]:
    store = Store.open(f"sqlite:///{tmp_path / 'o.db'}")
    setup_agencies(store, {"DE-BKA": ()})
    app = create_app(store)
    provider = Provider()
    app.state.oidc = OidcConfig(
        ISSUER, "palermo", "secret", "BKA login", public_url="https://palermo.test"
    )
    app.state.oidc_transport = httpx.MockTransport(provider.handle)
    return TestClient(app, base_url="https://palermo.test"), provider


def begin(client: TestClient, provider: Provider) -> dict[str, str]:
    login = client.get("/login")
    assert "Log in with BKA login" in login.text
    started = client.get("/login/oidc", follow_redirects=False)
    assert started.status_code == 303
    target = urlparse(started.headers["location"])
    assert target.netloc == "idp.example.org"
    query = {k: v[0] for k, v in parse_qs(target.query).items()}
    assert query["code_challenge_method"] == "S256" and query["client_id"] == "palermo"
    assert query["redirect_uri"] == "https://palermo.test/login/oidc/callback"
    provider.nonce = query["nonce"]
    return query


def test_sign_on_maps_the_claim_to_a_palermo_user(sso: tuple[TestClient, Provider]) -> None:
    client, provider = sso
    query = begin(client, provider)
    done = client.get(f"/login/oidc/callback?code=c1&state={query['state']}")
    assert done.status_code == 200 and "Signed in" in done.text
    assert provider.verifier_seen  # PKCE: the verifier went to the token endpoint
    me = client.get("/api/v1/me").json()  # the session cookie now authenticates
    assert me["username"] == "analyst-de-bka" and me["agency"] == "DE-BKA"


@pytest.mark.parametrize(
    ("claims", "state", "status", "reason"),
    [
        ({}, "forged-state", 401, "state"),
        ({"aud": "someone-else"}, None, 401, "aud"),
        ({"iss": "https://evil.example.org"}, None, 401, "iss"),
        ({"exp": int(time.time()) - 10}, None, 401, "exp"),
        ({"nonce": "replayed"}, None, 401, "nonce"),
        ({"preferred_username": "stranger"}, None, 403, "not a user"),
    ],
)
def test_bad_sign_ons_are_refused(
    sso: tuple[TestClient, Provider],
    claims: dict[str, Any],
    state: str | None,
    status: int,
    reason: str,
) -> None:
    client, provider = sso
    query = begin(client, provider)
    provider.claims = claims
    done = client.get(f"/login/oidc/callback?code=c1&state={state or query['state']}")
    assert done.status_code == status and reason in done.text
    assert client.get("/api/v1/me").status_code == 401  # no session


def test_without_configuration_there_is_no_button(tmp_path: Path) -> None:
    client = TestClient(create_app(Store.open(f"sqlite:///{tmp_path / 'n.db'}")))
    client.app.state.oidc = None  # type: ignore[attr-defined]
    assert "Log in with" not in client.get("/login").text
    assert client.get("/login/oidc").status_code == 404
