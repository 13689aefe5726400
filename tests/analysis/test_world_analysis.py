"""Analysis on a generated world: ground truth recovered, the viewer's limits kept, CLI."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest
from sklearn.metrics import adjusted_rand_score, roc_auc_score
from typer.testing import CliRunner

from palermo.analysis import indicators, linkgraph, routes
from palermo.analysis.service import Workspace
from palermo.cli.demo import load_world
from palermo.cli.main import app
from palermo.store.store import Store
from palermo.world.generate import generate


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("world")
    generate(out, 600, 5)
    return out


def read(world: Path) -> tuple[list[dict], dict[str, dict[str, str]]]:
    entities = []
    for path in sorted(world.glob("*/entities.ftm.json")):
        for line in path.read_text(encoding="utf-8").splitlines():
            entities.append(json.loads(line) | {"agency": path.parent.name})
    with (world / "truth" / "records.csv").open(encoding="utf-8") as fh:
        truth = {row["record_id"]: row for row in csv.DictReader(fh)}
    return entities, truth


def test_communities_and_risk_recover_the_world_truth(world: Path) -> None:
    entities, truth = read(world)
    identity = {r: row["true_id"] for r, row in truth.items() if row["schema"] == "Person"}
    lg = linkgraph.build(entities, identity)
    community, degree = lg.graph.communities(seed=1), lg.graph.degree()
    pairs = [
        (truth[lg.records[n][0]]["network_id"], community[n])
        for n in lg.persons()
        if degree.get(n, 0)
    ]
    assert adjusted_rand_score(*zip(*pairs, strict=True)) >= 0.75
    labels, scores = [], []
    for s in indicators.score(entities, identity):
        role = next(r["role"] for r in truth.values() if r["true_id"] == s.identity)
        labels.append(role == "victim")
        scores.append(s.score)
    assert roc_auc_score(labels, scores) >= 0.9


def test_new_routes_find_the_scam_compound_route(world: Path) -> None:
    entities, truth = read(world)
    identity = {r: row["true_id"] for r, row in truth.items() if row["schema"] == "Person"}
    flows = routes.flows(entities, identity)
    with (world / "truth" / "networks.csv").open(encoding="utf-8") as fh:
        years = Counter(
            row["year"]
            for row in csv.DictReader(fh)
            if (row["origin"], row["destination"]) == ("CN", "TH")
        )
    assert years and min(years) >= "2023"  # the world's trend: CN -> TH is new since 2023
    new = {r for r, _, _ in routes.new_routes(flows, "2023", "2025")}
    assert "CN -> TH" in new
    assert "TH -> MY" not in new  # an old route


def test_workspace_holds_only_what_the_viewer_may_see(world: Path, tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'w.db'}")
    load_world(store, world)
    viewer = store.viewer("analyst-th-rtp")
    visible = {e.id for e in store.export(viewer)}
    space = Workspace.load(store, viewer)
    records = {r for rs in space.link_graph().records.values() for r in rs}
    assert records and records <= visible
    owned_elsewhere = {e.id for e in store.export(store.viewer("analyst-de-bka"))} - visible
    assert owned_elsewhere and not owned_elsewhere & records
    assert all(r in visible for s in space.risk(top=1000) for f in s["indicators"]
               for r in f["records"] if not r.startswith("address:"))  # fmt: skip


def test_cli_analyze_json_and_report(world: Path, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    load_world(Store.open(db), world)
    runner = CliRunner()
    result = runner.invoke(
        app, ["--db", db, "analyze", "routes", "--as", "support-de-bka", "--json", "--no-resolve"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output.strip().splitlines()[-1])
    assert data["flows"] > 0 and data["top"][0]["flows"] >= data["top"][-1]["flows"]
    entities, _ = read(world)
    everything = dict(routes.top_routes(routes.flows(entities), top=100))
    assert all(r["flows"] <= everything.get(r["route"], 0) for r in data["top"])  # a subset
    out = tmp_path / "report.pdf"
    args = ["--db", db, "analyze", "report", "--as", "support-de-bka", "--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0 and out.read_bytes().startswith(b"%PDF")
    bad = runner.invoke(app, [*args[:-1], str(tmp_path / "report.docx")])
    assert bad.exit_code != 0
