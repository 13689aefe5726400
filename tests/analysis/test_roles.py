"""Roles in the link graph: where they come from, what masks them, how brokers use them."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from palermo.analysis import linkgraph
from palermo.analysis.roles import check_roles
from palermo.analysis.service import Workspace
from palermo.cli.demo import load_world
from palermo.cli.main import app
from palermo.store.store import Store
from palermo.store.visibility import MASK
from palermo.world.generate import generate


def e(eid: str, schema: str, **props: Any) -> dict[str, Any]:
    return {
        "id": eid,
        "schema": schema,
        "properties": {k: v if isinstance(v, list) else [v] for k, v in props.items()},
    }


ENTITIES = [
    e("rec", "Person", name="Ivan Petrenko", topics=["crime.traffick.human"]),
    e("mila", "Person", name="Mila Novak"),
    e("mila2", "Person", name="Mila Novak"),  # the same woman, another agency
    e("exp", "Person", name="Dieter Krause", topics="wanted"),
    e("anna", "Person", name="Anna Berg", keywords=["Witness", "neighbour"]),
    e("poi", "Person", name="Olga K", topics=["poi", "role.pep"]),
    e("hidden", "Person", name="Hidden Victim", topics=MASK),
    e("as1", "Associate", person="rec", associate="mila"),
    e("as2", "Associate", person="mila2", associate="exp"),
    e("as3", "Associate", person="anna", associate="exp"),
    e("as4", "Associate", person="poi", associate="rec"),
    e("as5", "Associate", person="hidden", associate="rec"),
    e("vr1", "VictimRecord", victim="mila2"),
    e("vr2", "VictimRecord", victim=MASK),  # masked: names no one
]
IDENTITY = {"mila": "id-mila", "mila2": "id-mila"}


def test_roles_come_from_victim_records_topics_and_keywords() -> None:
    lg = linkgraph.build(ENTITIES, IDENTITY)
    assert lg.roles == {
        "rec": ["suspect"],
        "id-mila": ["victim"],  # from the other agency's record of the same identity
        "exp": ["suspect"],
        "anna": ["witness"],
        "poi": ["person of interest"],
    }
    assert "hidden" not in lg.roles  # a masked topic gives no role
    assert lg.until("2000-01-01").roles == lg.roles


def test_brokers_leave_victims_out_by_default_and_filter_by_role() -> None:
    space = Workspace(ENTITIES, IDENTITY)
    everyone = space.brokers(top=10, exclude=())
    assert "id-mila" in [b["id"] for b in everyone]  # she lies between the two suspects
    default = space.brokers(top=10)
    assert "id-mila" not in [b["id"] for b in default]
    assert [b["id"] for b in default] == [b["id"] for b in everyone if b["id"] != "id-mila"]
    assert {b["id"] for b in space.brokers(roles=["suspect"])} == {"rec", "exp"}
    assert [b["roles"] for b in space.brokers(roles=["victim"], exclude=())] == [["victim"]]
    node = next(n for n in space.graph_json()["nodes"] if n["id"] == "anna")
    assert node["roles"] == ["witness"]


def test_communities_count_roles_and_filter_members() -> None:
    space = Workspace(ENTITIES, IDENTITY)
    found = space.communities()
    assert sum(c["size"] for c in found) == len(space.link_graph().labels)
    totals: dict[str, int] = {}
    for c in found:
        for role, n in c["roles"].items():
            totals[role] = totals.get(role, 0) + n
    assert totals == {"person of interest": 1, "suspect": 2, "victim": 1, "witness": 1}
    victims = space.communities(role="victim")
    assert [m["id"] for c in victims for m in c["members"]] == ["id-mila"]


def test_an_unknown_role_is_refused_with_the_field_named() -> None:
    with pytest.raises(ValueError, match=r"roles: unknown role 'boss' \(known: victim"):
        Workspace(ENTITIES, IDENTITY).brokers(roles=["boss"])
    check_roles("role", ["witness"])  # a known one passes


@pytest.fixture(scope="module")
def world_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    out = tmp_path_factory.mktemp("roles-world")
    generate(out / "world", 150, 7)
    db = f"sqlite:///{out / 'roles.db'}"
    load_world(Store.open(db), out / "world")
    return db, out / "world"


def test_world_roles_match_the_truth_and_the_cli_filters(world_db: tuple[str, Path]) -> None:
    db, world = world_db
    with (world / "truth" / "records.csv").open(encoding="utf-8") as fh:
        truth = {f"{r['agency'].lower()}.{r['record_id']}": r["role"] for r in csv.DictReader(fh)}
    space = Workspace.load(Store.open(db), Store.open(db).viewer("support-de-bka"))
    lg = space.link_graph()
    victims = [n for n, roles in lg.roles.items() if "victim" in roles]
    assert victims  # victim-support reads the victim records
    for node in victims:  # every record of a victim node is the world's victim
        assert {truth[r] for r in lg.records[node] if r in truth} == {"victim"}

    runner = CliRunner()
    base = ["--db", db, "analyze"]
    shown = runner.invoke(app, [*base, "graph", "--as", "support-de-bka", "--json"])
    assert shown.exit_code == 0, shown.output
    brokers = json.loads(shown.output.strip().splitlines()[-1])
    assert brokers and all("victim" not in b["roles"] for b in brokers)
    only = runner.invoke(
        app, [*base, "graph", "--as", "support-de-bka", "--json", "--role", "victim"]
    )
    ranked = json.loads(only.output.strip().splitlines()[-1])
    assert ranked and all("victim" in b["roles"] for b in ranked)
    groups = runner.invoke(
        app, [*base, "communities", "--as", "support-de-bka", "--json", "--role", "suspect"]
    )
    found = json.loads(groups.output.strip().splitlines()[-1])
    assert found and all("suspect" in m["roles"] for c in found for m in c["members"])
    bad = runner.invoke(app, [*base, "communities", "--as", "support-de-bka", "--role", "boss"])
    assert "--role: unknown role 'boss'" in str(bad.exception)  # one line, exit 2 via main()
