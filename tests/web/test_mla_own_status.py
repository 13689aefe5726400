"""Issue 21: the requesting agency withdraws its own MLA request in the browser, as the API
lets it; the requested agency is refused that form (it answers instead), others get 404; a
bad status is named next to the field; CSRF is required. SQLite and PostgreSQL."""

from __future__ import annotations

from fastapi.testclient import TestClient

from palermo.access.viewer import Viewer
from palermo.coordination import mla
from palermo.store.store import Store
from tests.web.coord_forms_support import client, error_of, login, world, writes_since
from tests.web.test_mla_forms import draft, requests

__all__ = ["client", "world"]  # fixtures


def test_the_requester_withdraws_its_request(
    client: TestClient, store: Store, world: dict[str, Viewer]
) -> None:
    csrf = login(client, "ada")
    assert client.post("/mla/new", data=draft(csrf), follow_redirects=False).status_code == 303
    [request_id] = requests(store, world["A1"])
    assert f"/mla/{request_id}/status" in client.get("/mla").text

    bad = client.post(f"/mla/{request_id}/status", data={"csrf_token": csrf, "status": "executed"})
    assert bad.status_code == 422 and "is not one of sent, withdrawn" in error_of(
        bad.text, "status"
    )
    no_csrf = client.post(f"/mla/{request_id}/status", data={"status": "withdrawn"})
    assert no_csrf.status_code == 403
    before = len(store.audit_entries())
    done = client.post(
        f"/mla/{request_id}/status",
        data={"csrf_token": csrf, "status": "withdrawn"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert writes_since(store, before)[0][1:] == ("ada", "A1")
    for agency in ("A1", "B2"):  # the requested agency sees the withdrawal too
        seen = store.entity(world[agency], request_id)
        assert seen is not None and mla.status_of(seen) == "withdrawn"

    login(client, "bea")  # the requested agency answers; it does not withdraw
    assert client.get(f"/mla/{request_id}/status").status_code == 403
    assert "/status" not in client.get("/mla").text.split(request_id)[-1][:200]
    login(client, "cyd")  # a third agency does not see the request at all
    assert client.get(f"/mla/{request_id}/status").status_code == 404
