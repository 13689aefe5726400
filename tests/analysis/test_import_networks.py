"""Real criminal networks imported as a mapped CSV edge list and as FtM JSON: the same
persons (one record each, although most appear in both columns), the same broker ranking,
and that ranking equal to networkx's betweenness on the published edges.

The French Connection (MacDonald's heroin-trafficking network, 112 people; UCINET covert
networks collection, ``macdonald_tfc.csv``) is read in place when the shared data holds it;
CAVIAR (Morselli, 110 people) always is. A missing file skips its case.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import networkx as nx
import pytest

from palermo.access.viewer import Viewer
from palermo.analysis.networks import load_adjacency
from palermo.analysis.service import Workspace
from palermo.datasets.paths import shared_data_dir
from palermo.ingest import import_file
from palermo.store.store import Store
from tests.store.factories import setup_agencies

NETWORKS = shared_data_dir() / "networks"
EDGE_MAPPING = """
ties:
  query:
    entities:
      source:
        schema: Person
        keys: [from]
        properties:
          name: {column: from}
      target:
        schema: Person
        keys: [to]
        properties:
          name: {column: to}
      tie:  # keyed by the row: FtM joins key values without a separator (ADR 0012)
        schema: Associate
        key_literal: tie
        keys: [tie]
        properties:
          person: {entity: source}
          associate: {entity: target}
"""


def undirected_pairs(path: Path) -> list[tuple[str, str]]:
    """The network's ties, each unordered pair once (the analysis graph is undirected)."""
    _, edges = load_adjacency(path)
    pairs = {(min(e.source, e.target), max(e.source, e.target)) for e in edges}
    return sorted((a, b) for a, b in pairs if a != b)


def write_edge_csv(path: Path, pairs: list[tuple[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["tie", "from", "to"])
        writer.writerows((number, a, b) for number, (a, b) in enumerate(pairs, start=1))
    return path


def write_ftm_json(path: Path, pairs: list[tuple[str, str]]) -> Path:
    names = sorted({n for pair in pairs for n in pair})
    pid = {n: f"p{i}" for i, n in enumerate(names)}
    rows = [{"id": pid[n], "schema": "Person", "properties": {"name": [n]}} for n in names]
    rows += [
        {
            "id": f"t{i}",
            "schema": "Associate",
            "properties": {"person": [pid[a]], "associate": [pid[b]]},
        }
        for i, (a, b) in enumerate(pairs)
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def broker_scores(store: Store, viewer: Viewer) -> dict[str, float]:
    """Person name -> betweenness, as the analyst's key-broker view computes it."""
    workspace = Workspace.load(store, viewer, resolve=False)
    ranked = workspace.brokers(top=10_000)
    labels = [b["label"] for b in ranked]
    assert len(labels) == len(set(labels)), "a person appears twice in the broker ranking"
    return {b["label"]: b["betweenness"] for b in ranked}


@pytest.mark.parametrize(
    ("file", "people"), [("macdonald_tfc.csv", 112), ("morselli_caviar.csv", 110)]
)
def test_csv_edge_list_and_ftm_json_give_the_same_brokers_as_networkx(
    store: Store, tmp_path: Path, file: str, people: int
) -> None:
    path = NETWORKS / file
    if not path.exists():
        pytest.skip(f"{path} not present")
    pairs = undirected_pairs(path)
    names = {n for pair in pairs for n in pair}
    assert len(names) == people  # every person of these networks has a tie
    both_columns = {a for a, _ in pairs} & {b for _, b in pairs}
    assert both_columns, "the test needs persons named in both columns"
    viewers = setup_agencies(store, {"CSV": (), "FTM": ()})
    mapping = tmp_path / "ties.yml"
    mapping.write_text(EDGE_MAPPING, encoding="utf-8")
    csv_report = import_file(
        store, viewers["CSV"], write_edge_csv(tmp_path / "ties.csv", pairs), mapping=mapping
    )
    json_report = import_file(store, viewers["FTM"], write_ftm_json(tmp_path / "ties.json", pairs))
    assert csv_report.committed and json_report.committed
    assert not csv_report.errors and not csv_report.merged

    recorded = [
        p.values("name") for p in store.entities(viewers["CSV"], schema="Person", limit=10_000)
    ]
    assert sorted(n for ns in recorded for n in ns) == sorted(names)  # one record per person

    from_csv = broker_scores(store, viewers["CSV"])
    from_json = broker_scores(store, viewers["FTM"])
    assert from_csv == from_json
    reference = nx.betweenness_centrality(nx.Graph(pairs), normalized=True)
    assert set(from_csv) == set(reference)
    for name, value in reference.items():
        assert from_csv[name] == pytest.approx(value, abs=1e-6), name
    top = max(reference.values())
    assert {n for n, v in from_csv.items() if v == max(from_csv.values())} == {
        n for n, v in reference.items() if v == top
    }
