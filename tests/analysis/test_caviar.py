"""Link analysis on CAVIAR (Morselli's drug-trafficking network), checked against networkx
computing the same measures on the same edges, and against facts read from the matrix."""

from __future__ import annotations

import csv
import itertools
from pathlib import Path

import networkx as nx
import pytest

from palermo.analysis.graph import Graph
from palermo.analysis.networks import NetworkFormatError, load_adjacency
from palermo.datasets.paths import shared_data_dir

CAVIAR = shared_data_dir() / "networks" / "morselli_caviar.csv"
pytestmark = pytest.mark.skipif(not CAVIAR.exists(), reason="shared data not present")


@pytest.fixture(scope="module")
def caviar() -> tuple[Graph, nx.Graph]:
    nodes, edges = load_adjacency(CAVIAR)
    graph = Graph.from_edges(nodes, edges, directed=True)
    reference = nx.Graph()
    reference.add_nodes_from(nodes)
    reference.add_edges_from((e.source, e.target) for e in edges)
    return graph, reference


def test_matrix_loads_with_its_bom_and_all_110_nodes(caviar: tuple[Graph, nx.Graph]) -> None:
    graph, _ = caviar
    assert graph.g.vcount() == 110
    with CAVIAR.open(encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    header = rows[0][1:]
    n1 = next(r for r in rows[1:] if r[0] == "1")
    out_neighbours = {header[i] for i, v in enumerate(n1[1:]) if v not in ("", "0")}
    in_neighbours = {r[0] for r in rows[1:] if r[1 + header.index("1")] not in ("", "0")}
    assert set(graph.ego("1", hops=1)) == out_neighbours | in_neighbours | {"1"}


def test_degree_and_betweenness_match_networkx(caviar: tuple[Graph, nx.Graph]) -> None:
    graph, reference = caviar
    und = graph.g.as_undirected(mode="collapse")
    assert dict(zip(und.vs["name"], und.degree(), strict=True)) == dict(reference.degree())
    directed = nx.DiGraph(reference)  # the stored graph keeps direction: in + out ties
    assert sum(graph.degree().values()) == 2 * graph.g.ecount()
    assert directed.number_of_nodes() == len(graph.degree())
    ours = graph.betweenness()
    theirs = nx.betweenness_centrality(reference, normalized=True)
    for node, value in theirs.items():
        assert ours[node] == pytest.approx(value, abs=1e-9), node
    top = max(theirs, key=theirs.__getitem__)
    assert graph.brokers(1)[0][0] == top  # n1, Serero, the network's broker in Morselli's study


def test_communities_are_stable_and_their_modularity_matches(
    caviar: tuple[Graph, nx.Graph],
) -> None:
    graph, reference = caviar
    parts = graph.communities(seed=3)
    assert parts == graph.communities(seed=3)
    groups: dict[int, set[str]] = {}
    for node, c in parts.items():
        groups.setdefault(c, set()).add(node)
    expected = nx.community.modularity(reference, groups.values())
    assert graph.modularity(parts) == pytest.approx(expected, abs=1e-9)
    louvain = nx.community.louvain_communities(reference, seed=3)
    assert graph.modularity(parts) >= nx.community.modularity(reference, louvain) - 0.02


def test_paths_and_bridges(caviar: tuple[Graph, nx.Graph]) -> None:
    graph, reference = caviar
    path = graph.shortest_path("1", "110")
    assert len(path) - 1 == nx.shortest_path_length(reference, "1", "110")
    assert all(reference.has_edge(a, b) for a, b in itertools.pairwise(path))
    assert {tuple(sorted(b)) for b in nx.bridges(reference)} == set(graph.bridges())


def test_exports(caviar: tuple[Graph, nx.Graph], tmp_path: Path) -> None:
    graph, _ = caviar
    graph.write_graphml(tmp_path / "c.graphml")
    graph.write_gexf(tmp_path / "c.gexf")
    assert nx.read_graphml(tmp_path / "c.graphml").number_of_nodes() == 110
    assert nx.read_gexf(tmp_path / "c.gexf").number_of_edges() == graph.g.ecount()
    data = graph.to_json()
    assert len(data["nodes"]) == 110 and {"community", "score"} <= set(data["nodes"][0])


def test_two_mode_matrices_are_refused() -> None:
    path = shared_data_dir() / "networks" / "NDRANGHETAMAFIA_2M.csv"
    with pytest.raises(NetworkFormatError, match="two-mode"):
        load_adjacency(path)
