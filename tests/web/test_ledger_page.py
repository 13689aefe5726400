"""The identity ledger page (issue 15): it lists the view's merges with links to the
records, the Undo button (with the CSRF token) restores both identities, "Re-resolve" runs
the view's resolution; a POST without the token is refused; another agency neither sees
the entry nor can undo it (404, the error next to the form). SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from palermo.api.app import create_app
from palermo.match import ledger
from palermo.store.store import Store
from tests.match.test_resolution import add
from tests.store.factories import SYSTEM, setup_agencies
from tests.web.test_profile import login


@pytest.fixture
def world(store: Store) -> Iterator[tuple[TestClient, str, int]]:
    """A1's view with one merge entry (seq returned) of two records shared with all."""
    v = setup_agencies(store, {"A1": (), "B2": ()})
    store.add_user(SYSTEM, "ana", "A1", "analyst", password="pw-ana")
    store.add_user(SYSTEM, "bob", "B2", "analyst", password="pw-bob")
    add(store, v["A1"], "a1.one", "all", name="Ivan Petrov")
    add(store, v["A1"], "a1.two", "all", name="Ivan Petrow")
    scope = ledger.scope_of(v["A1"])
    ledger.record(store, scope, {"a1.one": "I1", "a1.two": "I2"})
    (seq,) = ledger.record(store, scope, {"a1.one": "I1", "a1.two": "I1"}, "model", "v1")
    with TestClient(create_app(store)) as client:
        yield client, scope, seq


def test_page_lists_the_merge_and_undo_restores_both(
    store: Store, world: tuple[TestClient, str, int]
) -> None:
    client, scope, seq = world
    csrf = login(client, "ana")
    html = client.get("/identities").text
    assert f'id="entry-{seq}"' in html and "Merge" in html
    assert 'href="/entities/a1.one"' in html and 'href="/entities/a1.two"' in html
    assert "v1" in html and "model" in html
    assert 'href="/identities"' in client.get("/").text  # the nav link
    form = {"seq": str(seq), "reason": "two brothers", "csrf_token": csrf}
    response = client.post("/identities/undo", data=form, follow_redirects=False)
    assert response.status_code == 303
    assert ledger.membership(store, scope) == {"a1.one": "I1", "a1.two": "I2"}
    html = client.get("/identities").text
    assert f'undone by <a href="#entry-{seq + 1}">' in html
    assert f"Undo merge #{seq}" not in html  # no second undo offered
    again = client.post("/identities/undo", data=form)
    assert again.status_code == 400 and "already undone" in again.text


def test_missing_csrf_is_refused(store: Store, world: tuple[TestClient, str, int]) -> None:
    client, scope, seq = world
    login(client, "ana")
    response = client.post("/identities/undo", data={"seq": str(seq)}, follow_redirects=False)
    assert response.status_code == 403 and "csrf_token" in response.text
    resolve = client.post("/identities/resolve", data={}, follow_redirects=False)
    assert resolve.status_code == 403
    assert ledger.membership(store, scope)["a1.two"] == "I1"  # still merged


def test_another_agency_neither_sees_nor_undoes(
    store: Store, world: tuple[TestClient, str, int]
) -> None:
    client, scope, seq = world
    csrf = login(client, "bob")
    html = client.get("/identities").text
    assert f'id="entry-{seq}"' not in html and "No merges or splits yet" in html
    response = client.post("/identities/undo", data={"seq": str(seq), "csrf_token": csrf})
    assert response.status_code == 404
    assert f"seq: no ledger entry {seq} in your view" in response.text
    assert ledger.membership(store, scope)["a1.two"] == "I1"


def test_bad_seq_names_the_field(world: tuple[TestClient, str, int]) -> None:
    client, _, _ = world
    csrf = login(client, "ana")
    response = client.post("/identities/undo", data={"seq": "banana", "csrf_token": csrf})
    assert response.status_code == 422 and "seq" in response.text


def test_re_resolve_runs_the_views_resolution(
    store: Store, world: tuple[TestClient, str, int]
) -> None:
    client, scope, _ = world
    viewer = store.viewer("ana")
    add(store, viewer, "a1.three", "owner", name="Petrov Ivan", passportNumber="XK1234567")
    add(store, viewer, "a1.four", "owner", name="Ivan Petrov", passportNumber="XK 1234567")
    csrf = login(client, "ana")
    response = client.post("/identities/resolve", data={"csrf_token": csrf}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/identities?written=")
    stored = ledger.membership(store, scope)
    assert {"a1.three", "a1.four"} <= set(stored)
    assert stored["a1.three"] == stored["a1.four"]  # the same passport: one identity
    page = client.get(response.headers["location"]).text
    assert 'id="resolved"' in page and "Resolution done" in page
