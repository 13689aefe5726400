"""Cross-referencing at scale: wall time, peak memory and F1 against the world's truth.

    .venv/bin/python bench/xref.py                       # 1,000,000 person records
    .venv/bin/python bench/xref.py --records 100000      # a quicker run
    .venv/bin/python bench/xref.py --engine spark        # the same model on local Spark

A world is generated until it holds about N person records (every agency's Person records;
about 0.9 per true person), then palermo's resolver (Splink on DuckDB with palermo's name
similarity, `match.xref`) links them; clusters are scored pairwise against the ground truth.
Phases are timed separately: feature preparation (transliteration and folding in Python),
Splink training and prediction, strong identifiers, clustering. "True pairs sharing a strong
identifier, linked" is the share of true pairs that share a document number, phone, e-mail
or account and end in one identity (target 1.00, `match.xref.strong_links`).
"""

from __future__ import annotations

import argparse
import logging
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from match_scripts import engine_named, load, scores, true_pairs  # bench/ is on the path
from palermo.match.xref import (
    Link,
    XrefRecord,
    cluster,
    features,
    merge_links,
    predict,
    strong_keys,
    strong_links,
)
from palermo.world import generate

RECORDS_PER_PERSON = 1.05  # Person records per true person in the world (measured)


def reachable_share(rows: list[dict[str, Any]], truth: set[tuple[str, str]]) -> float:
    """The share of true pairs joined through pairs with evidence beyond the name.

    Two records of one person that agree only on name, sex and nationality (one of them
    undated, no document, phone or address in common) are as alike as two namesakes; the
    world's name pools give a name many holders at a million persons. A true pair counts
    here if a chain of true pairs that share a birth date field, a document, a phone or
    an address joins it: what a resolver can link without guessing between namesakes.
    It is the recall of clustering those evidenced pairs alone."""
    by_id = {row["unique_id"]: row for row in rows}
    evidenced = [
        Link(left, right, 1.0)
        for left, right in truth
        if _more_than_a_name(by_id[left], by_id[right])
    ]
    return scores(cluster(by_id, evidenced, 1.0, {}), truth)[1]


EVIDENCE = (
    "document",
    "phone",
    "address",
)  # shared values that make two records more than namesakes


def _more_than_a_name(a: dict[str, Any], b: dict[str, Any]) -> bool:
    if a["dob"] is not None and b["dob"] is not None:
        return True
    return any(a[k] is not None and a[k] == b[k] for k in EVIDENCE)


def strong_share(
    records: list[XrefRecord], clusters: list[list[str]], truth: set[tuple[str, str]]
) -> tuple[int, float]:
    """(true pairs sharing a strong identifier, the share of them in one identity)."""
    by_id = {r.id: r for r in records}
    identity = {member: i for i, members in enumerate(clusters) for member in members}
    shared = [(a, b) for a, b in truth if strong_keys(by_id[a]) & strong_keys(by_id[b])]
    linked = sum(identity[a] == identity[b] for a, b in shared)
    return len(shared), linked / len(shared) if shared else 1.0


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--threshold", type=float, default=0.9)
    parser.add_argument("--engine", choices=("duckdb", "spark"), default="duckdb")
    args = parser.parse_args()
    logging.getLogger("splink").setLevel(logging.ERROR)
    timings: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        generate(Path(tmp), int(args.records / RECORDS_PER_PERSON), seed=23)
        records, truth_map = load(Path(tmp))
        timings["world"] = time.perf_counter() - started
    truth = true_pairs(truth_map)
    started = time.perf_counter()
    rows = [features(r) for r in records]
    timings["features"] = time.perf_counter() - started
    started = time.perf_counter()
    links = predict(rows, min(args.threshold, 0.5), engine=engine_named(args.engine))
    timings["splink"] = time.perf_counter() - started
    started = time.perf_counter()
    strong = strong_links(records, {row["unique_id"]: row for row in rows})
    links = merge_links(links, strong)
    timings["strong"] = time.perf_counter() - started
    started = time.perf_counter()
    clusters = cluster([r.id for r in records], links, args.threshold, {})
    timings["cluster"] = time.perf_counter() - started
    precision, recall, f1 = scores(clusters, truth)
    shared, shared_linked = strong_share(records, clusters, truth)
    table = Table(title=f"cross-referencing {len(records):,} person records ({args.engine})")
    for column in ("measure", "value"):
        table.add_column(column, justify="right")
    rows_out = [
        ("true pairs", f"{len(truth):,}"),
        ("candidate links (p >= 0.5)", f"{len(links):,}"),
        ("identities", f"{len(clusters):,}"),
        ("precision", f"{precision:.4f}"),
        ("recall", f"{recall:.4f}"),
        ("F1", f"{f1:.4f}"),
        ("true pairs linked by more than a name", f"{reachable_share(rows, truth):.4f}"),
        ("links decided by a strong identifier", f"{len(strong):,}"),
        ("true pairs sharing a strong identifier", f"{shared:,}"),
        ("  of them linked (target 1.00)", f"{shared_linked:.4f}"),
        ("features s", f"{timings['features']:.1f}"),
        ("Splink train + predict s", f"{timings['splink']:.1f}"),
        ("strong identifiers s", f"{timings['strong']:.1f}"),
        ("clustering s", f"{timings['cluster']:.1f}"),
        ("wall time s (without world)", f"{sum(timings.values()) - timings['world']:.1f}"),
        ("peak RSS MiB", f"{peak_mib():,.0f}"),
    ]
    for measure, value in rows_out:
        table.add_row(measure, value)
    Console(width=100).print(table)


if __name__ == "__main__":
    main()
