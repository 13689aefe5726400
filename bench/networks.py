"""Networks and risk on synthetic-world ground truth: community ARI and indicator AUC.

    .venv/bin/python bench/networks.py                  # 2,000 persons
    .venv/bin/python bench/networks.py --persons 5000

A world is generated; its records are analysed three ways: all agencies' records resolved
by palermo's cross-referencing, the same with perfect resolution (the ground truth's
identities: an upper bound for what the graph can show), and one agency's view through the
store (DE-BKA's victim-support analyst: only what is shared with DE-BKA). For each:
- ARI: Leiden communities of the link graph against the true networks, over the person
  identities with at least one link (a person no record links to anyone cannot be placed
  by any community detection) and over all person identities;
- AUC: how well the indicator score ranks true victims above everyone else, with and
  without what victim records say (without = finding victims nobody has identified yet).
"""

from __future__ import annotations

import argparse
import csv
import json
import tempfile
import time
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sklearn.metrics import adjusted_rand_score, roc_auc_score

from palermo.analysis import indicators, linkgraph
from palermo.analysis.identities import resolve_identities
from palermo.analysis.service import visible
from palermo.store.store import Store
from palermo.world.generate import generate


def read_world(world: Path) -> tuple[list[dict[str, Any]], dict[str, dict[str, str]]]:
    entities = []
    for path in sorted(world.glob("*/entities.ftm.json")):
        for line in path.read_text(encoding="utf-8").splitlines():
            entity = json.loads(line)
            entity["agency"] = path.parent.name
            entities.append(entity)
    truth = {}
    with (world / "truth" / "records.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            truth[row["record_id"]] = row
            truth[f"{row['agency'].lower()}.{row['record_id']}"] = row  # id as a node stores it
    return entities, truth


def majority(records: list[str], truth: Mapping[str, Mapping[str, str]], key: str) -> str | None:
    values = [truth[r][key] for r in records if r in truth]
    return Counter(values).most_common(1)[0][0] if values else None


def measure(
    entities: list[dict[str, Any]],
    identity_of: dict[str, str],
    truth: Mapping[str, Mapping[str, str]],
) -> dict[str, float]:
    lg = linkgraph.build(entities, identity_of)
    community = lg.graph.communities(seed=1)
    degree = lg.graph.degree()
    rows = []
    for node in lg.persons():
        network = majority(lg.records.get(node, []), truth, "network_id")
        if network is not None:
            rows.append((network, community[node], degree.get(node, 0) > 0))
    linked = [(t, c) for t, c, has in rows if has]
    result = {
        "identities": len(rows),
        "linked": len(linked),
        "ari_linked": adjusted_rand_score(*zip(*linked, strict=True)),
        "ari_all": adjusted_rand_score([t for t, _, _ in rows], [c for _, c, _ in rows]),
    }
    members: dict[str, list[str]] = {}
    for record, identity in identity_of.items():
        members.setdefault(identity, []).append(record)
    for use, label in ((True, "auc_all"), (False, "auc_no_victim_records")):
        labels, scores = [], []
        for s in indicators.score(entities, identity_of, use_victim_records=use):
            role = majority(members.get(s.identity, [s.identity]), truth, "role")
            if role is not None:
                labels.append(int(role == "victim"))
                scores.append(s.score)
        result[label] = roc_auc_score(labels, scores)
    return result


def store_view(world: Path, tmp: Path, username: str) -> list[dict[str, Any]]:
    """Load every agency's records as that agency (the demo loader) and read as one user."""
    from palermo.cli.demo import load_world

    store = Store.open(f"sqlite:///{tmp / 'bench.db'}")
    load_world(store, world)
    return visible(store, store.viewer(username))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--viewer", default="support-de-bka")
    args = parser.parse_args()
    console = Console(width=140)
    with tempfile.TemporaryDirectory() as tmp:
        world = Path(tmp) / "world"
        generate(world, args.persons, args.seed)
        entities, truth = read_world(world)
        perfect = {r: row["true_id"] for r, row in truth.items() if row["schema"] == "Person"}
        started = time.perf_counter()
        resolved = resolve_identities(entities)
        resolve_s = time.perf_counter() - started
        view = store_view(world, Path(tmp), args.viewer)
        runs = [
            ("all records, palermo xref", entities, resolved),
            ("all records, true identities", entities, perfect),
            (f"{args.viewer} via the store, xref", view, resolve_identities(view)),
        ]
        table = Table(title=f"Networks and risk, world of {args.persons:,} persons")
        for column in (
            "view",
            "identities",
            "linked",
            "ARI linked",
            "ARI all",
            "AUC",
            "AUC w/o victim records",
        ):
            table.add_column(column, justify="left" if column == "view" else "right")
        for name, items, ident in runs:
            m = measure(items, ident, truth)
            table.add_row(
                name,
                f"{m['identities']:,.0f}",
                f"{m['linked']:,.0f}",
                f"{m['ari_linked']:.3f}",
                f"{m['ari_all']:.3f}",
                f"{m['auc_all']:.3f}",
                f"{m['auc_no_victim_records']:.3f}",
            )
    console.print(table)
    console.print(f"cross-referencing of {len(entities):,} records took {resolve_s:.1f} s")
    console.print("targets: ARI >= 0.8, AUC >= 0.9")


if __name__ == "__main__":
    main()
