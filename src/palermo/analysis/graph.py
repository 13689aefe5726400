"""Link analysis on igraph (C core): ego networks, paths, communities, key players, bridges.

igraph was chosen over networkx by benchmark (docs/adr/0004-graph-library.md): on a 1M-node,
5M-edge graph it builds, walks and partitions in seconds where networkx takes minutes and
several times the memory. networkx stays a test dependency: the tests recompute the same
measures with it as the reference.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import igraph as ig

from palermo.analysis.networks import Edge


@dataclass
class Graph:
    g: ig.Graph

    @classmethod
    def from_edges(
        cls, nodes: Iterable[str], edges: Iterable[Edge], directed: bool = False
    ) -> Graph:
        index = {n: i for i, n in enumerate(dict.fromkeys(nodes))}
        edge_list = list(edges)
        for e in edge_list:
            index.setdefault(e.source, len(index))
            index.setdefault(e.target, len(index))
        g = ig.Graph(n=len(index), directed=directed)
        g.vs["name"] = list(index)
        g.add_edges([(index[e.source], index[e.target]) for e in edge_list])
        g.es["weight"] = [e.weight for e in edge_list]
        g.es["kind"] = [e.kind for e in edge_list]
        g.es["date"] = [e.date for e in edge_list]
        g.es["handling"] = [e.handling for e in edge_list]  # travels into GraphML/GEXF too
        return cls(g)

    def _v(self, name: str) -> int:
        try:
            return int(self.g.vs.find(name=name).index)
        except ValueError:
            raise KeyError(f"node: no node {name!r} in the graph") from None

    def names(self, ids: Iterable[int]) -> list[str]:
        return [self.g.vs[i]["name"] for i in ids]

    def ego(self, name: str, hops: int = 1) -> list[str]:
        """Everyone within ``hops`` links (ignoring direction), the ego included."""
        return sorted(self.names(self.g.neighborhood(self._v(name), order=hops, mode="all")))

    def shortest_path(self, source: str, target: str) -> list[str]:
        path = self.g.get_shortest_path(self._v(source), self._v(target), mode="all")
        return self.names(path)

    def all_paths(
        self, source: str, target: str, max_hops: int = 4, limit: int = 100
    ) -> list[list[str]]:
        paths = self.g.get_all_simple_paths(
            self._v(source), to=self._v(target), cutoff=max_hops, mode="all"
        )
        return [self.names(p) for p in sorted(paths, key=len)[:limit]]

    def degree(self) -> dict[str, int]:
        return dict(zip(self.g.vs["name"], self.g.degree(mode="all"), strict=True))

    def betweenness(self, normalized: bool = True) -> dict[str, float]:
        values = self.g.as_undirected().betweenness()
        n = self.g.vcount()
        scale = 2 / ((n - 1) * (n - 2)) if normalized and n > 2 else 1.0
        return {name: v * scale for name, v in zip(self.g.vs["name"], values, strict=True)}

    def communities(self, seed: int = 0, resolution: float = 1.0) -> dict[str, int]:
        """Leiden communities (modularity objective) on the undirected, unweighted graph."""
        import random

        random.seed(seed)
        ig.set_random_number_generator(random)
        und = self.g.as_undirected(mode="collapse")
        parts = und.community_leiden(
            objective_function="modularity", resolution=resolution, n_iterations=2
        )
        return dict(zip(self.g.vs["name"], parts.membership, strict=True))

    def modularity(self, membership: dict[str, int]) -> float:
        und = self.g.as_undirected(mode="collapse")
        return float(und.modularity([membership[n] for n in und.vs["name"]]))

    def bridges(self) -> list[tuple[str, str]]:
        """Links whose removal splits the network: the thin threads between groups."""
        und = self.g.as_undirected(mode="collapse")
        return sorted(tuple(sorted(self.names(und.es[i].tuple))) for i in und.bridges())  # type: ignore[misc]

    def brokers(self, top: int = 10) -> list[tuple[str, float]]:
        """Key players: highest betweenness (who sits on the paths between others)."""
        return sorted(self.betweenness().items(), key=lambda kv: -kv[1])[:top]

    def write_graphml(self, path: Path) -> None:
        self.g.write_graphml(str(path))

    def write_gexf(self, path: Path) -> None:
        import networkx as nx

        nx.write_gexf(self.to_networkx(), str(path))

    def to_networkx(self) -> Any:
        import networkx as nx

        nxg = nx.DiGraph() if self.g.is_directed() else nx.Graph()
        nxg.add_nodes_from(self.g.vs["name"])
        for e in self.g.es:
            s, t = self.names(e.tuple)
            nxg.add_edge(s, t, weight=e["weight"], kind=e["kind"])
        return nxg

    def to_json(
        self, labels: dict[str, str] | None = None, schema: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """The web link chart's format: nodes with community and score, links with kind."""
        community = self.communities() if self.g.vcount() else {}
        score = self.betweenness() if self.g.vcount() > 2 else {}
        nodes = [
            {
                "id": n,
                "label": (labels or {}).get(n, n),
                "schema": (schema or {}).get(n, ""),
                "community": community.get(n, 0),
                "score": round(score.get(n, 0.0), 6),
            }
            for n in self.g.vs["name"]
        ]
        links = [
            {
                "source": self.g.vs[e.source]["name"],
                "target": self.g.vs[e.target]["name"],
                "kind": e["kind"],
                "weight": e["weight"],
                "handling": e.attributes().get("handling") or "",
            }
            for e in self.g.es
        ]
        return {"nodes": nodes, "links": links}


def write_json(graph: Graph, path: Path, **kwargs: Any) -> None:
    path.write_text(json.dumps(graph.to_json(**kwargs), ensure_ascii=False), encoding="utf-8")


def subgraph(graph: Graph, names: Sequence[str]) -> Graph:
    ids = [graph._v(n) for n in names]
    return Graph(graph.g.induced_subgraph(ids))
