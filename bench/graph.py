"""Graph benchmark: ego network (3 hops), shortest path and communities.

    .venv/bin/python bench/graph.py                          # 1,000,000 nodes, 5,000,000 links
    .venv/bin/python bench/graph.py --nodes 100000 --peer-nodes 20000

palermo's Graph (igraph) runs at full size; networkx, the peer, runs the same operations on
a smaller graph of the same shape in the same run (at full size it needs far more memory
and time than the machine has), and the table gives the ratio at the peer's size.
"""

from __future__ import annotations

import argparse
import random
import resource
import time
from collections.abc import Callable
from typing import Any

import igraph as ig
import networkx as nx
from rich.console import Console
from rich.table import Table

from palermo.analysis.graph import Graph


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - started


def palermo_graph(nodes: int, per_node: int, seed: int) -> Graph:
    random.seed(seed)
    ig.set_random_number_generator(random)
    g = ig.Graph.Barabasi(nodes, per_node)
    g.vs["name"] = [f"n{i}" for i in range(nodes)]
    g.es["weight"] = 1.0
    g.es["kind"] = "link"
    return Graph(g)


def run_palermo(nodes: int, per_node: int) -> dict[str, float]:
    graph, build = timed(lambda: palermo_graph(nodes, per_node, 1))
    rng = random.Random(2)
    targets = [f"n{rng.randrange(nodes)}" for _ in range(6)]
    _, ego = timed(lambda: [graph.ego(t, hops=3) for t in targets[:3]])
    _, path = timed(lambda: graph.shortest_path(targets[3], targets[4]))
    _, comm = timed(lambda: graph.communities(seed=1))
    return {
        "edges": graph.g.ecount(),
        "build": build,
        "ego": ego / 3,
        "path": path,
        "communities": comm,
    }


def run_networkx(nodes: int, per_node: int) -> dict[str, float]:
    g, build = timed(lambda: nx.barabasi_albert_graph(nodes, per_node, seed=1))
    rng = random.Random(2)
    targets = [rng.randrange(nodes) for _ in range(6)]
    _, ego = timed(lambda: [nx.ego_graph(g, t, radius=3) for t in targets[:3]])
    _, path = timed(lambda: nx.shortest_path(g, targets[3], targets[4]))
    _, comm = timed(lambda: nx.community.louvain_communities(g, seed=1))
    return {
        "edges": g.number_of_edges(),
        "build": build,
        "ego": ego / 3,
        "path": path,
        "communities": comm,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=1_000_000)
    parser.add_argument("--links-per-node", type=int, default=5)
    parser.add_argument("--peer-nodes", type=int, default=100_000)
    args = parser.parse_args()
    full = run_palermo(args.nodes, args.links_per_node)
    rss_full = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    small = run_palermo(args.peer_nodes, args.links_per_node)
    peer = run_networkx(args.peer_nodes, args.links_per_node)
    table = Table(title="link analysis: palermo (igraph) vs networkx")
    for col in (
        "measure",
        f"palermo {args.nodes:,} nodes",
        f"palermo {args.peer_nodes:,}",
        f"networkx {args.peer_nodes:,}",
        "networkx / palermo",
    ):
        table.add_column(col, justify="right")
    table.add_row(
        "links", f"{full['edges']:,.0f}", f"{small['edges']:,.0f}", f"{peer['edges']:,.0f}", ""
    )
    for key, label in (
        ("build", "build s"),
        ("ego", "ego 3 hops s"),
        ("path", "shortest path s"),
        ("communities", "communities s (Leiden / Louvain)"),
    ):
        table.add_row(
            label,
            f"{full[key]:.2f}",
            f"{small[key]:.3f}",
            f"{peer[key]:.3f}",
            f"{peer[key] / small[key]:.1f}x" if small[key] else "",
        )
    table.add_row("peak RSS MiB (process, after full run)", f"{rss_full:,.0f}", "", "", "")
    Console(width=130).print(table)


if __name__ == "__main__":
    main()
