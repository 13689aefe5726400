"""Administering users and tokens over the API: admins only (403), own agency only (404 for
another agency's user or token), changes take effect on the next request, all audited."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from palermo.api.app import create_app
from palermo.store.store import Store
from tests.conftest import wipe
from tests.store.factories import SYSTEM, setup_agencies

PASSWORD = "correct horse battery"
CLI = [sys.executable, "-c", "from palermo.cli.main import main; main()"]


@dataclass
class World:
    store: Store
    client: TestClient
    tokens: dict[str, str]

    def as_(self, username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[username]}"}


def make_world(store: Store) -> World:
    setup_agencies(store, {"A1": (), "B2": ()})
    for name, agency, roles in [
        ("admin-a", "A1", "admin"),
        ("admin-a2", "A1", "admin,analyst"),
        ("ana", "A1", "analyst"),
        ("admin-b", "B2", "admin"),
        ("bob", "B2", "analyst"),
    ]:
        store.add_user(SYSTEM, name, agency, roles, password=PASSWORD)
    tokens = {n: store.create_token(SYSTEM, n, "t") for n in ("admin-a", "ana", "admin-b", "bob")}
    return World(store, TestClient(create_app(store)), tokens)


@pytest.fixture
def world(store: Store) -> World:
    return make_world(store)


ENDPOINTS = [
    ("GET", "/api/v1/admin/users", None),
    ("POST", "/api/v1/admin/users", {"username": "new", "roles": ["analyst"]}),
    ("PUT", "/api/v1/admin/users/bob/roles", {"roles": ["admin"]}),
    ("PUT", "/api/v1/admin/users/admin-a/roles", {"roles": ["analyst"]}),
    ("POST", "/api/v1/admin/users/admin-a/disable", None),
    ("POST", "/api/v1/admin/users/admin-a/enable", None),
    ("POST", "/api/v1/admin/users/admin-a/password", {"password": "x" * 12}),
    ("GET", "/api/v1/admin/tokens", None),
    ("DELETE", "/api/v1/admin/tokens/0123456789abcdef", None),
]


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
def test_non_admins_are_refused_everywhere(
    world: World, method: str, path: str, body: dict[str, object] | None
) -> None:
    for user in ("ana", "bob"):
        response = world.client.request(method, path, json=body, headers=world.as_(user))
        assert response.status_code == 403, (user, response.text)
    assert world.client.request(method, path, json=body).status_code == 401
    assert world.store.user("new") is None
    assert not world.store.user("admin-a").disabled  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PUT", "/api/v1/admin/users/bob/roles", {"roles": ["admin"]}),
        ("POST", "/api/v1/admin/users/bob/disable", None),
        ("POST", "/api/v1/admin/users/bob/enable", None),
        ("POST", "/api/v1/admin/users/bob/password", {"password": "y" * 12}),
        ("PUT", "/api/v1/admin/users/nobody/roles", {"roles": ["analyst"]}),
    ],
)
def test_another_agencys_user_is_not_found(
    world: World, method: str, path: str, body: dict[str, object] | None
) -> None:
    response = world.client.request(method, path, json=body, headers=world.as_("admin-a"))
    assert response.status_code == 404, response.text
    bob = world.store.user("bob")
    assert bob is not None and sorted(bob.roles) == ["analyst"] and not bob.disabled
    assert world.store.login("bob", PASSWORD) is not None


def test_lists_show_only_the_own_agency(world: World) -> None:
    users = world.client.get("/api/v1/admin/users", headers=world.as_("admin-a")).json()
    assert {u["username"] for u in users} == {"admin-a", "admin-a2", "ana", "analyst-a1"}
    assert all("password" not in u for u in users)
    tokens = world.client.get("/api/v1/admin/tokens", headers=world.as_("admin-a")).json()
    assert {t["username"] for t in tokens} == {"admin-a", "ana"}
    assert all(world.tokens["ana"] not in str(t) for t in tokens)


def test_revoking_another_agencys_token_is_not_found(world: World) -> None:
    b_tokens = world.client.get("/api/v1/admin/tokens", headers=world.as_("admin-b")).json()
    bob_id = next(t["id"] for t in b_tokens if t["username"] == "bob")
    response = world.client.delete(f"/api/v1/admin/tokens/{bob_id}", headers=world.as_("admin-a"))
    assert response.status_code == 404
    assert world.client.get("/api/v1/entities", headers=world.as_("bob")).status_code == 200


def test_revoked_token_fails_on_the_next_request(world: World) -> None:
    client = world.client
    assert client.get("/api/v1/entities", headers=world.as_("ana")).status_code == 200  # cached
    tokens = client.get("/api/v1/admin/tokens", headers=world.as_("admin-a")).json()
    ana_id = next(t["id"] for t in tokens if t["username"] == "ana")
    revoked = client.delete(f"/api/v1/admin/tokens/{ana_id}", headers=world.as_("admin-a"))
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    assert client.get("/api/v1/entities", headers=world.as_("ana")).status_code == 401
    bad = client.delete("/api/v1/admin/tokens/xyz", headers=world.as_("admin-a"))
    assert bad.status_code == 400 and "token_id" in bad.text


def test_disabling_a_user_takes_effect_at_once(world: World) -> None:
    client, admin = world.client, world.as_("admin-a")
    assert client.get("/api/v1/entities", headers=world.as_("ana")).status_code == 200
    done = client.post("/api/v1/admin/users/ana/disable", headers=admin)
    assert done.status_code == 200 and done.json()["disabled"] is True
    assert client.get("/api/v1/entities", headers=world.as_("ana")).status_code == 401
    assert world.store.login("ana", PASSWORD) is None
    assert client.post("/api/v1/admin/users/ana/enable", headers=admin).status_code == 200
    assert world.store.login("ana", PASSWORD) is not None


def test_add_user_roles_and_password(world: World) -> None:
    client, admin = world.client, world.as_("admin-a")
    short = client.post(
        "/api/v1/admin/users",
        json={"username": "cleo", "roles": ["analyst"], "password": "short"},
        headers=admin,
    )
    assert short.status_code == 400 and short.json()["field"] == "password"
    assert "short" not in short.json()["detail"]
    added = client.post(
        "/api/v1/admin/users",
        json={"username": "cleo", "roles": ["analyst"], "password": PASSWORD},
        headers=admin,
    )
    assert added.status_code == 201 and added.json()["agency"] == "A1"
    assert PASSWORD not in added.text
    elsewhere = client.post(
        "/api/v1/admin/users", json={"username": "x", "roles": [], "agency": "B2"}, headers=admin
    )
    assert elsewhere.status_code == 403 and world.store.user("x") is None
    bad_role = client.put("/api/v1/admin/users/cleo/roles", json={"roles": ["boss"]}, headers=admin)
    assert bad_role.status_code == 400 and bad_role.json()["field"] == "roles"
    roles = client.put(
        "/api/v1/admin/users/cleo/roles", json={"roles": ["supervisor", "analyst"]}, headers=admin
    )
    assert roles.json()["roles"] == ["analyst", "supervisor"]
    new_password = "another good password"
    done = client.post(
        "/api/v1/admin/users/cleo/password", json={"password": new_password}, headers=admin
    )
    assert done.status_code == 204 and done.content == b""
    assert world.store.login("cleo", new_password) is not None
    assert world.store.login("cleo", PASSWORD) is None
    actions = [(e.action, e.target) for e in world.store.audit_entries()]
    for action in ("user.add", "user.roles", "user.password"):
        assert (action, "cleo") in actions
    entries = str([e.__dict__ for e in world.store.audit_entries()])
    assert new_password not in entries and PASSWORD not in entries


def test_roles_change_reaches_a_cached_token(world: World) -> None:
    client = world.client
    assert client.get("/api/v1/entities", headers=world.as_("ana")).status_code == 200
    client.put("/api/v1/admin/users/ana/roles", json={"roles": []}, headers=world.as_("admin-a"))
    # a user without a data role reads nothing: the next request already knows
    assert client.get("/api/v1/entities", headers=world.as_("ana")).status_code == 403


def test_admins_cannot_lock_themselves_or_their_agency_out(world: World) -> None:
    client, admin = world.client, world.as_("admin-a")
    own = client.put("/api/v1/admin/users/admin-a/roles", json={"roles": []}, headers=admin)
    assert own.status_code == 403
    assert client.post("/api/v1/admin/users/admin-a/disable", headers=admin).status_code == 403
    # admin-a2 may be demoted (admin-a remains); then admin-a is the last and stays
    ok = client.put(
        "/api/v1/admin/users/admin-a2/roles", json={"roles": ["analyst"]}, headers=admin
    )
    assert ok.status_code == 200
    lone = client.post("/api/v1/admin/users/admin-b/disable", headers=world.as_("admin-b"))
    assert lone.status_code == 403
    admin_a = world.store.user("admin-a")
    assert admin_a is not None and "admin" in admin_a.roles and not admin_a.disabled


ACTIONS = st.sampled_from(["roles", "disable", "enable", "password", "revoke", "add"])
TARGETS = st.sampled_from(["admin-a", "admin-a2", "ana", "admin-b", "bob", "analyst-b2", "zed"])
ROLE_SETS = st.lists(
    st.sampled_from(["analyst", "officer", "supervisor", "victim-support", "admin"]), max_size=3
)


def b2_state(store: Store) -> object:
    users = [(u.username, sorted(u.roles), u.disabled) for u in store.users("B2")]
    names = {u.username for u in store.users("B2")}
    tokens = [(t.id, t.revoked) for t in store.tokens() if t.username in names]
    hashes = [store.login(u, PASSWORD) is not None for u in sorted(names)]
    return users, tokens, hashes


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.tuples(ACTIONS, TARGETS, ROLE_SETS), min_size=1, max_size=6))
def test_no_admin_action_changes_another_agencys_users(
    store: Store, steps: list[tuple[str, str, list[str]]]
) -> None:
    wipe(store)
    world = make_world(store)
    before = b2_state(store)
    admin = world.as_("admin-a")
    b_ids = [
        t["id"]
        for t in world.client.get("/api/v1/admin/tokens", headers=world.as_("admin-b")).json()
    ]
    for action, target, roles in steps:
        path = f"/api/v1/admin/users/{target}"
        if action == "roles":
            world.client.put(f"{path}/roles", json={"roles": roles}, headers=admin)
        elif action == "password":
            world.client.post(f"{path}/password", json={"password": "z" * 10}, headers=admin)
        elif action == "revoke":
            for token_id in b_ids:
                assert (
                    world.client.delete(
                        f"/api/v1/admin/tokens/{token_id}", headers=admin
                    ).status_code
                    == 404
                )
        elif action == "add":
            body = {"username": target, "roles": roles, "agency": "B2"}
            world.client.post("/api/v1/admin/users", json=body, headers=admin)
        else:
            world.client.post(f"{path}/{action}", headers=admin)
    assert b2_state(store) == before


def test_cli_user_roles_uses_the_same_rules(world: World, backend_url: str) -> None:
    from typer.testing import CliRunner

    from palermo.cli.main import app as cli

    runner = CliRunner()
    done = runner.invoke(cli, ["--db", backend_url, "user", "roles", "ana", "analyst,officer"])
    assert done.exit_code == 0, done.output
    assert "analyst, officer" in done.output
    ana = world.store.user("ana")
    assert ana is not None and sorted(ana.roles) == ["analyst", "officer"]
    for args, message in (
        (["ana", "boss"], "error: roles: unknown role 'boss'"),
        (["nobody", "analyst"], "error: username: no user 'nobody'"),
    ):
        proc = subprocess.run(
            [*CLI, "--db", backend_url, "user", "roles", *args],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode != 0 and message in proc.stderr, proc.stderr
        assert "Traceback" not in proc.stderr + proc.stdout
    assert ("user.roles", "ana") in [(e.action, e.target) for e in world.store.audit_entries()]
