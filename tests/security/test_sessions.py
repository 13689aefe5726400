"""Sessions, login, CSRF, headers and the API docs (review 2026-11-29, findings 8, 9, 10,
14, 18, 19, 28, 29). Data-backed tests run on SQLite and PostgreSQL (`store` fixture)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
import sqlalchemy as sa
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from palermo.access.viewer import AccessDenied
from palermo.api.app import create_app
from palermo.api.limits import LoginPolicy
from palermo.cli.main import app as cli
from palermo.store.directory import DirectoryError
from palermo.store.store import Store
from palermo.store.tables import api_token
from palermo.web.csrf import session_token
from palermo.web.oidc import OidcConfig
from palermo.web.render import HERE, VENDOR
from tests.store.factories import SYSTEM, setup_agencies

PASSWORD = "correct horse battery"
TEMPLATES = HERE / "templates"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def users(store: Store) -> Store:
    """Agencies A1 and B2; analyst-a1/analyst-b2 (no password), anna (A1, password)."""
    setup_agencies(store, {"A1": ("EU",), "B2": ("EU",)})
    store.add_user(SYSTEM, "anna", "A1", "analyst", password=PASSWORD)
    store.add_user(SYSTEM, "admin-a1", "A1", "admin")
    return store


@pytest.fixture
def client(users: Store) -> Iterator[TestClient]:
    policy = LoginPolicy(user_failures=3, address_failures=8, window=timedelta(minutes=15))
    with TestClient(create_app(users, rate_limit=0, login_policy=policy)) as c:
        yield c


def csrf_of(client: TestClient, path: str = "/login") -> str:
    """The CSRF token the page at ``path`` puts in its forms."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert found is not None, f"no CSRF field on {path}"
    return found.group(1)


def login(client: TestClient, username: str, password: str = PASSWORD) -> httpx.Response:
    form = {"username": username, "password": password, "csrf_token": csrf_of(client)}
    response: httpx.Response = client.post("/login", data=form, follow_redirects=False)
    return response


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --- finding 8: revocable, expiring tokens; disabled users ------------------------------


def test_finding_8_logout_revokes_token(client: TestClient, users: Store) -> None:
    assert login(client, "anna").status_code == 303
    token = client.cookies["palermo_token"]
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200  # now cached
    logout = client.post("/logout", data={"csrf_token": csrf_of(client, "/")})
    assert logout.status_code == 200 and "Log in" in logout.text  # back on the login page
    assert "palermo_token" not in client.cookies
    # The same token, replayed at once (the viewer cache must not outlive the logout).
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401
    client.cookies.set("palermo_token", token)
    assert client.get("/", follow_redirects=False).status_code == 303  # to /login
    assert any(e.action == "logout" and e.username == "anna" for e in users.audit_entries())


def test_finding_8_disabled_user_and_revoked_token_refused(
    client: TestClient, users: Store
) -> None:
    token = users.create_token(SYSTEM, "anna", "integration")
    other = users.create_token(SYSTEM, "anna", "laptop")
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200

    # Disabling: every token stops at once, login is refused; enabling brings them back.
    users.set_user_disabled(SYSTEM, "anna", True)
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401
    assert login(client, "anna").status_code == 401
    assert [u.disabled for u in users.users("A1") if u.username == "anna"] == [True]
    users.set_user_disabled(SYSTEM, "anna", False)
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200

    # Revoking one token by id leaves the other working.
    listed = {t.label: t for t in users.tokens("anna")}
    assert len(listed["integration"].id) == 16 and token not in str(listed)
    assert users.revoke_tokens(SYSTEM, token_id=listed["integration"].id) == 1
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401
    assert client.get("/api/v1/me", headers=bearer(other)).status_code == 200
    # ... by label, and by user.
    assert users.revoke_tokens(SYSTEM, label="laptop") == 1
    assert client.get("/api/v1/me", headers=bearer(other)).status_code == 401
    third = users.create_token(SYSTEM, "analyst-b2", "x")
    assert users.revoke_tokens(SYSTEM, username="analyst-b2") == 1
    assert client.get("/api/v1/me", headers=bearer(third)).status_code == 401

    # Who may: an agency admin for its own agency only; a user for its own tokens.
    with pytest.raises(AccessDenied):
        users.set_user_disabled(users.viewer("admin-a1"), "analyst-b2", True)
    with pytest.raises(AccessDenied):
        users.revoke_tokens(users.viewer("anna"), username="analyst-a1")
    users.create_token(SYSTEM, "analyst-a1", "y")
    assert users.revoke_tokens(users.viewer("admin-a1"), username="analyst-a1") == 1
    with pytest.raises(DirectoryError, match="token_id"):
        users.revoke_tokens(SYSTEM, token_id="ab")
    with pytest.raises(DirectoryError, match="token"):
        users.revoke_tokens(SYSTEM)
    actions = {e.action for e in users.audit_entries()}
    assert {"user.disable", "user.enable", "token.revoke"} <= actions


def test_finding_8_cli_user_and_token_commands(users: Store, backend_url: str) -> None:
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(cli, ["--db", backend_url, *args])
        assert result.exit_code == 0, result.output
        return result.output

    token = run("token", "create", "anna", "--label", "ci", "--days", "7").strip()
    listed = json.loads(run("token", "list", "--user", "anna", "--json"))
    assert [t["label"] for t in listed] == ["ci"] and listed[0]["status"] == "active"
    expires = datetime.fromisoformat(listed[0]["expires_at"])
    expires = expires if expires.tzinfo else expires.replace(tzinfo=UTC)
    assert timedelta(days=6) < expires - datetime.now(UTC) <= timedelta(days=7)
    assert "revoked 1 token" in run("token", "revoke", listed[0]["id"])
    assert users.viewer_for_token(token) is None
    run("user", "disable", "anna")
    listed_users = json.loads(run("user", "list", "--agency", "A1", "--json"))
    assert {u["username"]: u["disabled"] for u in listed_users} == {
        "admin-a1": False,
        "analyst-a1": False,
        "anna": True,
    }
    run("user", "enable", "anna")
    run("user", "set-password", "anna", "--password", "another long one")
    assert users.login("anna", "another long one") is not None
    assert users.login("anna", PASSWORD) is None


def test_finding_8_every_token_expires(users: Store) -> None:
    token = users.create_token(SYSTEM, "anna", "no expiry given")
    (info,) = users.tokens("anna")
    assert info.expires_at is not None
    expires = info.expires_at if info.expires_at.tzinfo else info.expires_at.replace(tzinfo=UTC)
    assert timedelta(days=89) < expires - datetime.now(UTC) <= timedelta(days=90)
    assert users.viewer_for_token(token) is not None
    with pytest.raises(DirectoryError, match="expires_at"):
        users.create_token(SYSTEM, "anna", "past", datetime.now(UTC) - timedelta(seconds=1))
    # A token past its expiry, or one without any (written before this release), is refused.
    for expiry in (datetime.now(UTC) - timedelta(seconds=1), None):
        with users.engine.begin() as conn:
            conn.execute(sa.update(api_token).values(expires_at=expiry))
        users._tokens.clear()
        assert users.viewer_for_token(token) is None


def test_finding_8_migration_gives_old_tokens_an_expiry(store: Store) -> None:
    """A node upgraded from 0003 keeps its users and tokens; tokens that never expired now
    do (in 90 days), and users start enabled."""
    from palermo.store import migrate
    from palermo.store.tables import metadata

    with store.engine.begin() as conn:
        metadata.drop_all(conn)
        conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
    migrate.upgrade(store.engine, "0003")
    with store.engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO agency VALUES ('A1', 'A', 'DE', 'police', '2026-01-01')"))
        conn.execute(
            sa.text(
                "INSERT INTO app_user (username, agency_code, display_name, roles, created_at)"
                " VALUES ('old', 'A1', 'old', 'analyst', '2026-01-01')"
            )
        )
        conn.execute(
            sa.text("INSERT INTO api_token VALUES (:h, 'old', 'cli', '2026-01-01', NULL, false)"),
            {"h": hashlib.sha256(b"plm_old").hexdigest()},
        )
    migrate.upgrade(store.engine)
    assert store.viewer_for_token("plm_old") is not None  # still works, but now expires
    (info,) = store.tokens("old")
    assert info.expires_at is not None and info.active
    assert [u.disabled for u in store.users()] == [False]


# --- finding 9: login lockout, constant-time failure, audit -----------------------------


def test_finding_9_login_lockout_and_audit(client: TestClient, users: Store) -> None:
    too_long = {"username": "a" * 129, "password": "x", "csrf_token": csrf_of(client)}
    refused = client.post("/login", data=too_long)
    assert refused.status_code == 422 and refused.json()["field"] == "username"
    codes = [login(client, "anna", f"wrong-{i}").status_code for i in range(3)]
    assert codes == [401, 401, 401]
    locked = login(client, "anna")  # the right password, but the username is locked
    assert locked.status_code == 429 and "palermo_token" not in client.cookies
    assert "Too many failed logins" in locked.text and int(locked.headers["retry-after"]) > 0
    # An unknown username locks the same way: the lock does not tell who exists.
    assert [login(client, "ghost", "x").status_code for _ in range(4)] == [401] * 3 + [429]
    # Per address: failures over many usernames lock out this client for everyone.
    assert [login(client, f"u{i}", "x").status_code for i in range(2)] == [401, 401]
    assert login(client, "analyst-a1", "x").status_code == 429
    failed = [e for e in users.audit_entries() if e.action == "login.failed"]
    assert {e.target for e in failed} >= {"anna", "ghost", "u0", "u1", "analyst-a1"}
    assert {json.loads(e.detail)["reason"] for e in failed} == {"bad credentials", "locked"}
    text = " ".join(f"{e.target} {e.detail}" for e in users.audit_entries())
    assert "wrong-0" not in text and PASSWORD not in text  # never the password


class _Clock:
    """The login guard's clock, moved by the test: a real one-second window failed when a
    loaded machine took over a second per scrypt login (the failures aged out)."""

    at = datetime(2026, 1, 1, tzinfo=UTC)

    @classmethod
    def now(cls, tz: Any = None) -> datetime:
        return cls.at


def test_finding_9_lock_lifts_and_success_resets(
    users: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from palermo.api import limits

    monkeypatch.setattr(limits, "datetime", _Clock)
    policy = LoginPolicy(user_failures=2, address_failures=50, window=timedelta(minutes=15))
    client = TestClient(create_app(users, rate_limit=0, login_policy=policy))
    assert [login(client, "anna", "no").status_code for _ in range(3)] == [401, 401, 429]
    _Clock.at += timedelta(minutes=14)
    assert login(client, "anna", "no").status_code == 429  # still inside the window
    _Clock.at += timedelta(minutes=2)
    assert login(client, "anna", "no").status_code == 401  # the window passed
    assert login(client, "anna").status_code == 303  # a success clears the username's count
    client.cookies.clear()
    assert login(client, "anna", "no").status_code == 401


def test_finding_9_unknown_user_costs_the_same(
    users: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    users.add_user(SYSTEM, "sso-only", "A1", "analyst")  # no password: SSO users
    users.add_user(SYSTEM, "gone", "A1", "analyst", password=PASSWORD)
    users.set_user_disabled(SYSTEM, "gone", True)
    users.login("warm-up", "x")  # the dummy hash is made once per process
    calls: list[int] = []
    real = hashlib.scrypt

    def counting(*args: Any, **kwargs: Any) -> bytes:
        calls.append(kwargs.get("n", 0))
        return real(*args, **kwargs)

    monkeypatch.setattr(hashlib, "scrypt", counting)
    for username, password in (
        ("anna", "wrong"),
        ("nobody", "wrong"),
        ("sso-only", "wrong"),
        ("gone", PASSWORD),
        ("anna", PASSWORD),
    ):
        calls.clear()
        users.login(username, password)
        assert calls == [2**14], username  # one full-cost scrypt, whoever it is


# --- finding 10: the rate limiter cannot be dodged by rotating tokens ------------------


def test_finding_10_rotating_headers_still_limited(users: Store) -> None:
    app = create_app(users, rate_limit=1)  # 1 request/s, bursts of 2
    good = users.create_token(SYSTEM, "anna", "integration")
    attacker = TestClient(app, client=("10.0.0.66", 4000))
    codes = [
        attacker.get("/api/v1/me", headers=bearer(f"plm_made-up-{i}")).status_code
        for i in range(20)
    ]
    assert codes[:2] == [401, 401] and codes.count(429) >= 12
    cookie_codes = [
        attacker.get("/api/v1/me", headers={"Cookie": f"palermo_token=x{i}"}).status_code
        for i in range(5)
    ]
    assert cookie_codes.count(429) >= 3  # a rotating cookie shares the address bucket too
    # A token known to be valid (looked up in the last seconds) keeps its own bucket, even
    # from the flooding address; another address is not affected either.
    assert users.viewer_for_token(good) is not None
    assert attacker.get("/api/v1/me", headers=bearer(good)).status_code == 200
    other = TestClient(app, client=("10.0.0.7", 4000))
    assert other.get("/api/v1/me", headers=bearer("plm_made-up")).status_code == 401
    # POST /login has its own, slower bucket per address (the lockout counts on top).
    limited = [
        attacker.post("/login", data={"username": "a", "password": "b"}).status_code
        for _ in range(25)
    ]
    assert limited[:5] == [403] * 5 and limited.count(429) >= 3  # 403: no CSRF token


# --- findings 14 and 29: self-hosted, login-only API docs --------------------------------


def test_finding_14_docs_self_hosted(client: TestClient, users: Store) -> None:
    headers = bearer(users.create_token(SYSTEM, "anna", "docs"))
    for path in ("/docs", "/redoc"):
        text = client.get(path, headers=headers).text
        assert "/static/vendor/" in text and not re.search(r"(src|href)=\"https?:", text)
        assert "cdn." not in text and "fonts.googleapis" not in text and "<script>" not in text
        for asset in re.findall(r"(?:src|href)=\"(/static/[^\"]+)\"", text):
            assert (HERE / asset.removeprefix("/")).exists() or not VENDOR.exists(), asset
            if VENDOR.exists():
                assert client.get(asset).status_code == 200, asset
    package = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))["dependencies"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", package["swagger-ui-dist"])  # pinned exactly
    assert re.fullmatch(r"\d+\.\d+\.\d+", package["redoc"])
    lock = json.loads((ROOT / "package-lock.json").read_text(encoding="utf-8"))["packages"]
    assert lock["node_modules/redoc"]["version"] == package["redoc"]
    assert "integrity" in lock["node_modules/swagger-ui-dist"]
    script = (ROOT / "scripts" / "vendor.sh").read_text(encoding="utf-8")
    assert "swagger-ui-bundle.js" in script and "redoc.standalone.js" in script


def test_finding_29_openapi_needs_login(client: TestClient, users: Store) -> None:
    assert client.get("/openapi.json").status_code == 401
    assert client.get("/openapi.json", headers=bearer("plm_made-up")).status_code == 401
    assert client.get("/docs", follow_redirects=False).headers["location"] == "/login"
    assert client.get("/redoc", follow_redirects=False).headers["location"] == "/login"
    spec = client.get("/openapi.json", headers=bearer(users.create_token(SYSTEM, "anna", "t")))
    assert "/api/v1/entities/{entity_id}" in spec.json()["paths"]
    assert login(client, "anna").status_code == 303  # the session cookie works too
    assert client.get("/docs").status_code == 200
    public = TestClient(create_app(users, rate_limit=0, public_docs=True))
    assert public.get("/openapi.json").status_code == 200  # the operator's explicit switch


# --- finding 18: security headers -----------------------------------------------------


def test_finding_18_security_headers(client: TestClient, users: Store) -> None:
    token = users.create_token(SYSTEM, "anna", "t")
    answers = {
        "api json": client.get("/api/v1/me", headers=bearer(token)),
        "api 401": client.get("/api/v1/me"),
        "api 404": client.get("/api/v1/entities/nope", headers=bearer(token)),
        "login page": client.get("/login"),
        "redirect": client.get("/", follow_redirects=False),
    }
    assert login(client, "anna").status_code == 303
    answers["search page"] = client.get("/search?q=an")
    answers["docs"] = client.get("/docs")
    for what, response in answers.items():
        h = response.headers
        csp = h["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp, what
        assert "script-src 'self';" in csp and "unsafe" not in csp.split("script-src")[1], what
        assert h["x-frame-options"] == "DENY" and h["x-content-type-options"] == "nosniff"
        assert h["referrer-policy"] == "same-origin" and h["cache-control"] == "no-store", what
    assert "cdn" not in client.get("/redoc").headers["content-security-policy"]
    static = client.get("/static/palermo.css")
    assert static.headers["x-content-type-options"] == "nosniff"
    assert "no-store" not in static.headers.get("cache-control", "")  # assets may be cached
    # The CSP allows no inline script or style: the templates must need none.
    for template in TEMPLATES.glob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), template.name
        assert not re.search(r"<style|\sstyle=|\son[a-z]+=", text), template.name


# --- finding 19: CSRF tokens, Origin check, Secure cookie ------------------------------


def test_finding_19_csrf_required_on_forms(client: TestClient, users: Store) -> None:
    # Every POST form of every template carries the token.
    for template in TEMPLATES.glob("*.html"):
        for form in re.findall(r"<form[^>]*method=\"post\".*?</form>", template.read_text(), re.S):
            assert 'name="csrf_token" value="{{ csrf }}"' in form, template.name
    # Login CSRF: no token, a wrong token or a foreign origin are refused.
    form = {"username": "anna", "password": PASSWORD}
    assert client.post("/login", data=form).status_code == 403
    assert client.post("/login", data={**form, "csrf_token": "guess"}).status_code == 403
    good = {**form, "csrf_token": csrf_of(client)}
    evil = {"Origin": "http://evil.example"}
    assert client.post("/login", data=good, headers=evil).status_code == 403
    sandboxed = {"Origin": "null"}  # a sandboxed frame or a data: page
    assert client.post("/login", data=good, headers=sandboxed).status_code == 403
    referer = {"Referer": "http://testserver.evil.example/x"}
    assert client.post("/login", data=good, headers=referer).status_code == 403
    assert "palermo_token" not in client.cookies
    ok = client.post("/login", data=good, headers={"Origin": "http://testserver"})
    assert ok.status_code == 200 and "palermo_token" in client.cookies
    session = client.cookies["palermo_token"]
    assert csrf_of(client, "/") == session_token(session)  # bound to this session
    # Every other form POST of the web UI refuses a missing or foreign token.
    app: Any = client.app
    posts = [p for p in post_paths(app.routes) if not p.startswith(("/api/", "/exchange/"))]
    assert {"/login", "/logout", "/screening/person", "/screening/document"} <= set(posts)
    other = session_token("plm_someone-elses-session")
    for path in posts:
        if path == "/login":
            continue
        assert client.post(path, data={"name": "x", "number": "x"}).status_code == 403, path
        refused = client.post(path, data={"csrf_token": other, "name": "x", "number": "x"})
        assert refused.status_code == 403, path
    token = session_token(session)
    screened = client.post("/screening/document", data={"csrf_token": token, "number": "X1"})
    assert screened.status_code == 200
    foreign = client.post(
        "/screening/document", data={"csrf_token": token, "number": "X1"}, headers=evil
    )
    assert foreign.status_code == 403
    # The API, called with the session cookie, refuses a request from another origin.
    sub = {"kind": "name", "value": "petrov"}
    assert client.post("/api/v1/subscriptions", json=sub, headers=evil).status_code == 403
    # Logout needs the token too; without it the session stays valid.
    assert client.post("/logout").status_code == 403
    assert client.get("/api/v1/me").status_code == 200


def post_paths(routes: list[Any]) -> list[str]:
    """Every POST route's path, into included routers (FastAPI keeps those apart)."""
    found: list[str] = []
    for route in routes:
        if isinstance(route, APIRoute) and "POST" in (route.methods or set()):
            found.append(route.path)
        elif hasattr(route, "original_router"):
            found += post_paths(route.original_router.routes)
    return found


@pytest.mark.parametrize(
    ("base", "env", "headers", "secure"),
    [
        ("http://testserver", {}, {}, False),
        ("https://testserver", {}, {}, True),
        ("http://testserver", {"PALERMO_SECURE_COOKIES": "1"}, {}, True),
        ("http://testserver", {}, {"X-Forwarded-Proto": "https"}, False),
        ("http://testserver", {"PALERMO_TRUST_PROXY": "1"}, {"X-Forwarded-Proto": "https"}, True),
    ],
)
def test_finding_19_secure_cookie_behind_tls(
    users: Store,
    monkeypatch: pytest.MonkeyPatch,
    base: str,
    env: dict[str, str],
    headers: dict[str, str],
    secure: bool,
) -> None:
    for name in ("PALERMO_SECURE_COOKIES", "PALERMO_TRUST_PROXY", "PALERMO_PUBLIC_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    client = TestClient(create_app(users, rate_limit=0), base_url=base, headers=headers)
    form_page = client.get("/login")
    assert ("secure" in form_page.headers["set-cookie"].lower()) is secure  # pre-session
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form_page.text)
    assert csrf is not None
    # (TLS ends in front of the node: the browser sends its Secure cookie over https.)
    client.cookies.set("palermo_csrf", csrf.group(1))
    form = {"username": "anna", "password": PASSWORD, "csrf_token": csrf.group(1)}
    done = client.post("/login", data=form, follow_redirects=False)
    cookie = done.headers["set-cookie"]
    assert cookie.startswith("palermo_token=") and "HttpOnly" in cookie
    assert "samesite=strict" in cookie.lower()
    assert ("; secure" in cookie.lower()) is secure


# --- finding 28: OIDC redirect URI from configuration -----------------------------------


def _provider(request: httpx.Request) -> httpx.Response:
    issuer = "https://idp.example.org/realms/a1"
    return httpx.Response(
        200,
        json={
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/auth",
            "token_endpoint": f"{issuer}/token",
            "jwks_uri": f"{issuer}/certs",
        },
    )


def test_finding_28_oidc_redirect_from_config(
    users: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PALERMO_OIDC_ISSUER", "https://idp.example.org/realms/a1")
    monkeypatch.setenv("PALERMO_OIDC_CLIENT_ID", "palermo")
    monkeypatch.setenv("PALERMO_PUBLIC_URL", "https://palermo.a1.example/")
    monkeypatch.delenv("PALERMO_SECURE_COOKIES", raising=False)
    app = create_app(users, rate_limit=0)
    app.state.oidc_transport = httpx.MockTransport(_provider)
    client = TestClient(app)  # plain http to the node, as behind a TLS proxy
    started = client.get("/login/oidc", headers={"Host": "evil.example"}, follow_redirects=False)
    assert started.status_code == 303
    query = parse_qs(urlparse(started.headers["location"]).query)
    assert query["redirect_uri"] == ["https://palermo.a1.example/login/oidc/callback"]
    flow = started.headers["set-cookie"]
    assert flow.startswith("palermo_oidc=") and "; secure" in flow.lower()
    # Without a configured public URL there is no Host header to fall back on.
    app.state.oidc = OidcConfig("https://idp.example.org/realms/a1", "palermo")
    refused = client.get("/login/oidc", follow_redirects=False)
    assert refused.status_code == 500 and "PALERMO_PUBLIC_URL" in refused.text
