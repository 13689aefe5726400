"""Roles in analysis never get round victim masking: a viewer without victim-support sees
no victim role for a person whose victim record is masked for it, in the link graph, the
broker ranking or the communities, through Python and the API; victim-support staff see
it, and the broker ranking leaves victims out by default. SQLite and PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from palermo.access.viewer import Viewer
from palermo.analysis.service import Workspace
from palermo.api.app import create_app
from palermo.ingest.build import build
from palermo.model.sharing import Sharing
from palermo.store.store import Store
from tests.store.factories import SYSTEM, setup_agencies

MILA = "a1.mila"


def write(store: Store, owner: Viewer, eid: str, schema: str, scope: str, **props: Any) -> None:
    sharing = Sharing.from_canonical(scope if "|" in scope else f"{scope}|")
    store.write(owner, build(owner.agency, eid, schema, props, sharing))


@pytest.fixture
def users(store: Store) -> dict[str, Viewer]:
    """A1 holds a chain recruiter - Mila - exploiter and Mila's victim record, the record
    victim-sensitive; B2 has an analyst and a victim-support officer."""
    analysts = setup_agencies(store, {"A1": ("EU",), "B2": ("EU",)})
    a1 = analysts["A1"]
    support = store.add_user(SYSTEM, "support-b2", "B2", "analyst,victim-support").viewer()
    write(store, a1, "a1.ivan", "Person", "all", name="Ivan Petrenko",
          topics="crime.traffick.human", birthDate="1979-01-02")
    write(store, a1, MILA, "Person", "all", name="Mila Novak", birthDate="2008-05-01")
    write(store, a1, "a1.dieter", "Person", "all", name="Dieter Krause", birthDate="1970-03-04")
    write(store, a1, "a1.as1", "Associate", "all", person="a1.ivan", associate=MILA)
    write(store, a1, "a1.as2", "Associate", "all", person=MILA, associate="a1.dieter")
    write(store, a1, "a1.vr1", "VictimRecord", "all|victim-sensitive", victim=MILA,
          exploitationForm="sexual")
    return {"analyst": analysts["B2"], "support": support}  # fmt: skip


def mila_node(space: Workspace) -> dict[str, Any]:
    return next(n for n in space.graph_json()["nodes"] if MILA in n["records"])


def test_the_victim_role_is_masked_like_the_record(store: Store, users: dict[str, Viewer]) -> None:
    analyst = Workspace.load(store, users["analyst"])
    node = mila_node(analyst)
    assert node["roles"] == []  # the record that says so is masked for B2's analyst
    everyone = analyst.brokers(exclude=())
    assert everyone[0]["id"] == node["id"]  # she is on the path between the two men
    assert all("victim" not in b["roles"] for b in everyone)
    assert analyst.communities(role="victim") == []
    assert all("victim" not in c["roles"] for c in analyst.communities())
    suspects = [b["label"] for b in analyst.brokers(roles=["suspect"], exclude=())]
    assert suspects == ["Ivan Petrenko"]  # the suspect's topic is not masked: it shows

    support = Workspace.load(store, users["support"])
    assert mila_node(support)["roles"] == ["victim"]
    assert node["id"] not in [b["id"] for b in support.brokers()]  # left out by default
    assert support.brokers(roles=["victim"], exclude=())[0]["id"] == node["id"]
    assert support.communities(role="victim")[0]["roles"] == {"suspect": 1, "victim": 1}


def test_the_api_never_shows_the_masked_victim_role(
    store: Store, users: dict[str, Viewer]
) -> None:
    with TestClient(create_app(store=store, rate_limit=0)) as client:
        def get(username: str, path: str) -> Any:
            token = store.create_token(SYSTEM, username, "test")
            response = client.get(path, headers={"Authorization": f"Bearer {token}"})
            assert response.status_code == 200, response.text
            return response.json()

        paths = (
            "/api/v1/analysis/graph",
            "/api/v1/analysis/brokers?include_victims=true",
            "/api/v1/analysis/communities",
            "/api/v1/analysis/communities?role=victim",
        )
        for path in paths:
            assert '"victim"' not in json.dumps(get("analyst-b2", path)), path
        seen = get("support-b2", "/api/v1/analysis/brokers?role=victim")["results"]
        assert [b["roles"] for b in seen] == [["victim"]]
        assert get("support-b2", "/api/v1/analysis/brokers")["results"] != seen  # victims left out
        token = store.create_token(SYSTEM, "analyst-b2", "test")
        bad = client.get(
            "/api/v1/analysis/brokers?role=boss", headers={"Authorization": f"Bearer {token}"}
        )
        assert bad.status_code == 422 and "role" in bad.text
