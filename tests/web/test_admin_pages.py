"""/admin/users and /admin/tokens (issue 21): the same rules as the API, in forms.

A non-admin gets 403, another agency's user or token 404 (and stays unchanged); a refused
input is shown next to its field in the row of the user it concerns; a disabled user cannot
log in; a revoked token is refused on the next request; no form works without the CSRF
token; typed passwords are never shown again. SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from palermo.api.app import create_app
from palermo.store.store import Store
from tests.store.factories import SYSTEM, setup_agencies
from tests.web.test_case_forms import login


@pytest.fixture
def client(store: Store) -> Iterator[TestClient]:
    setup_agencies(store, {"A1": (), "B2": ()})
    for user, agency, roles in (
        ("adm", "A1", "admin"),
        ("ada", "A1", "analyst"),
        ("bea", "B2", "analyst"),
        ("badm", "B2", "admin"),
    ):
        store.add_user(SYSTEM, user, agency, roles, password=f"pw-{user}")
    with TestClient(create_app(store)) as c:
        yield c


def test_non_admin_is_refused(client: TestClient) -> None:
    csrf = login(client, "ada")
    assert client.get("/admin/users").status_code == 403
    assert client.get("/admin/tokens").status_code == 403
    answer = client.post("/admin/users/ada/roles", data={"csrf_token": csrf, "roles": "admin"})
    assert answer.status_code == 403
    assert 'href="/admin/users"' not in client.get("/cases").text


def test_admin_lists_own_agency_and_changes_roles(client: TestClient, store: Store) -> None:
    csrf = login(client, "adm")
    listing = client.get("/admin/users")
    assert listing.status_code == 200
    assert 'data-username="ada"' in listing.text and 'data-username="bea"' not in listing.text
    assert 'href="/admin/users"' in listing.text  # the nav link, for admins
    done = client.post(
        "/admin/users/ada/roles",
        data={"csrf_token": csrf, "roles": ["analyst", "supervisor"]},
        follow_redirects=False,
    )
    assert done.status_code == 303
    ada = store.user("ada")
    assert ada is not None and sorted(ada.roles) == ["analyst", "supervisor"]
    no_csrf = client.post("/admin/users/ada/roles", data={"roles": "admin"})
    assert no_csrf.status_code == 403
    assert "admin" not in store.user("ada").roles  # type: ignore[union-attr]


def test_other_agency_is_not_found_and_unchanged(client: TestClient, store: Store) -> None:
    csrf = login(client, "adm")
    for path, data in (
        ("/admin/users/bea/disable", {}),
        ("/admin/users/bea/roles", {"roles": "admin"}),
        ("/admin/users/bea/password", {"password": "x" * 12}),
    ):
        refused = client.post(path, data={"csrf_token": csrf, **data})
        assert refused.status_code == 404 and "no user &#39;bea&#39;" in refused.text
    bea = store.user("bea")
    assert bea is not None and not bea.disabled and sorted(bea.roles) == ["analyst"]
    assert store.login("bea", "pw-bea") is not None
    bea_token = store.create_token(SYSTEM, "bea", "api")
    [info] = [t for t in store.tokens("bea") if t.label == "api"]
    gone = client.post(f"/admin/tokens/{info.id}/revoke", data={"csrf_token": csrf})
    assert gone.status_code == 404
    assert store.viewer_for_token(bea_token) is not None


def test_errors_are_shown_next_to_the_field(client: TestClient, store: Store) -> None:
    csrf = login(client, "adm")
    short = client.post("/admin/users/ada/password", data={"csrf_token": csrf, "password": "abc"})
    assert short.status_code == 422
    assert re.search(
        r'id="password-\d+-error" role="alert">password: must be at least 8', short.text
    )
    assert 'value="abc"' not in short.text
    own = client.post("/admin/users/adm/roles", data={"csrf_token": csrf, "roles": "analyst"})
    assert own.status_code == 403 and re.search(r'id="roles-\d+-error"', own.text)
    dup = client.post(
        "/admin/users",
        data={"csrf_token": csrf, "username": "ada", "roles": "analyst", "name": "Twin"},
    )
    assert dup.status_code == 400 or dup.status_code == 422
    assert 'id="username-error"' in dup.text and 'value="Twin"' in dup.text
    added = client.post(
        "/admin/users",
        data={"csrf_token": csrf, "username": "cem", "roles": "officer", "password": "pw-cem-long"},
        follow_redirects=False,
    )
    assert added.status_code == 303
    cem = store.user("cem")
    assert cem is not None and cem.agency == "A1" and sorted(cem.roles) == ["officer"]


def test_disable_blocks_login_and_revoke_blocks_the_token(client: TestClient, store: Store) -> None:
    csrf = login(client, "adm")
    token = store.create_token(SYSTEM, "ada", "script")
    headers = {"Authorization": f"Bearer {token}"}
    api = TestClient(client.app)
    assert api.get("/api/v1/entities", headers=headers).status_code == 200
    tokens_page = client.get("/admin/tokens").text
    [info] = [t for t in store.tokens("ada") if t.label == "script"]
    assert f'data-token="{info.id}"' in tokens_page and token not in tokens_page
    done = client.post(
        f"/admin/tokens/{info.id}/revoke", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert done.status_code == 303
    assert api.get("/api/v1/entities", headers=headers).status_code == 401
    assert client.post("/admin/users/ada/disable", data={"csrf_token": csrf}).status_code == 200
    assert store.login("ada", "pw-ada") is None
    actions = [(e.action, e.target) for e in store.audit_entries()]
    assert ("user.disable", "ada") in actions and ("token.revoke", "ada") in actions
