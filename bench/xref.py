"""Cross-referencing at scale: wall time, peak memory and F1 against the world's truth,
palermo and plain Splink on the same records.

    .venv/bin/python bench/xref.py                       # 1,000,000 person records
    .venv/bin/python bench/xref.py --records 100000      # a quicker run
    .venv/bin/python bench/xref.py --engine spark        # palermo's model on local Spark
    .venv/bin/python bench/xref.py --systems palermo     # palermo only

A world is generated until it holds about N person records (every agency's Person records;
about 0.9 per true person), then each system links them: palermo's resolver (Splink on
DuckDB with palermo's name similarity, `match.xref`) and plain Splink as
`bench/match_scripts.py` configures it for the same fields (`plain_splink`). Clusters are
scored pairwise against the ground truth. Each system runs in a fresh process of its own
that reads the world from disk, so its peak RSS is its own (the records, read, are counted
in both; "RSS with records read" says how much of it they are). palermo's phases are timed
separately: feature preparation (transliteration and folding in Python), Splink training
and prediction, strong identifiers, clustering. "True pairs sharing a strong identifier,
linked" is the share of true pairs that share a document number, phone, e-mail or account
and end in one identity (target 1.00, `match.xref.strong_links`).
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import resource
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from match_scripts import engine_named, load, plain_splink, scores, true_pairs  # bench/
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
SYSTEMS = ("palermo", "splink")


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


def rss_mib() -> float:
    """This process's resident memory now (Linux), to tell the records from the run."""
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def measure(system: str, world: str, threshold: float, engine: str) -> dict[str, Any]:
    """One system's run on the world in `world`, in the calling (fresh) process."""
    logging.getLogger("splink").setLevel(logging.ERROR)
    records, truth_map = load(Path(world))
    truth = true_pairs(truth_map)
    out: dict[str, Any] = {"records": len(records), "true pairs": len(truth)}
    out["rss loaded"] = rss_mib()
    timings: dict[str, float] = {}
    if system == "palermo":
        started = time.perf_counter()
        rows = [features(r) for r in records]
        timings["features"] = time.perf_counter() - started
        started = time.perf_counter()
        links = predict(rows, min(threshold, 0.5), engine=engine_named(engine))
        timings["Splink train + predict"] = time.perf_counter() - started
        started = time.perf_counter()
        strong = strong_links(records, {row["unique_id"]: row for row in rows})
        links = merge_links(links, strong)
        timings["strong identifiers"] = time.perf_counter() - started
        started = time.perf_counter()
        clusters = cluster([r.id for r in records], links, threshold, {})
        timings["clustering"] = time.perf_counter() - started
        out["candidate links (p >= 0.5)"] = len(links)
        out["links decided by a strong identifier"] = len(strong)
        out["reachable"] = reachable_share(rows, truth)
    else:
        started = time.perf_counter()
        clusters = plain_splink(records, threshold)
        timings["Splink train + predict + cluster"] = time.perf_counter() - started
    out["timings"] = timings
    out["wall"] = sum(timings.values())
    out["peak"] = peak_mib()
    out["identities"] = len(clusters)
    out["precision"], out["recall"], out["f1"] = scores(clusters, truth)
    out["shared"], out["shared linked"] = strong_share(records, clusters, truth)
    return out


def in_own_process(system: str, world: Path, threshold: float, engine: str) -> dict[str, Any]:
    """`measure` in a freshly started interpreter: its peak RSS is this system's alone."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(measure, system, str(world), threshold, engine).result()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--threshold", type=float, default=0.9)
    parser.add_argument("--engine", choices=("duckdb", "spark"), default="duckdb")
    parser.add_argument("--systems", default=",".join(SYSTEMS), help="palermo,splink")
    args = parser.parse_args()
    systems = [s for s in args.systems.split(",") if s]
    if unknown := set(systems) - set(SYSTEMS):
        parser.error(f"--systems: unknown {', '.join(sorted(unknown))} (known: palermo, splink)")
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        generate(Path(tmp), int(args.records / RECORDS_PER_PERSON), seed=23)
        world_s = time.perf_counter() - started
        for system in systems:
            results[system] = in_own_process(system, Path(tmp), args.threshold, args.engine)
    first = next(iter(results.values()))
    table = Table(
        title=f"cross-referencing {first['records']:,} person records, {first['true pairs']:,} "
        f"true pairs (palermo on {args.engine}; world {world_s:.0f} s)"
    )
    table.add_column("measure", justify="right")
    for system in results:
        table.add_column(system, justify="right")
    if len(results) == 2:
        table.add_column("palermo / splink", justify="right")

    def row(label: str, values: list[str], ratio: str = "") -> None:
        table.add_row(label, *values, *([ratio] if len(results) == 2 else []))

    def each(key: str, fmt: str) -> list[str]:
        return [format(r[key], fmt) if key in r else "" for r in results.values()]

    def ratio(key: str) -> str:
        if len(results) < 2:
            return ""
        p, s = results["palermo"].get(key), results["splink"].get(key)
        return f"{p / s:.2f}x" if p is not None and s else ""

    row("identities", each("identities", ","))
    row("precision", each("precision", ".4f"))
    row("recall", each("recall", ".4f"))
    row("F1", each("f1", ".4f"), ratio("f1"))
    row("true pairs linked by more than a name", each("reachable", ".4f"))
    row("candidate links (p >= 0.5)", each("candidate links (p >= 0.5)", ","))
    row("links decided by a strong identifier", each("links decided by a strong identifier", ","))
    row("true pairs sharing a strong identifier", each("shared", ","))
    # counted, not only as a share: 122,792 of 122,797 printed as 1.0000 at four places
    linked = [
        f"{round(r['shared linked'] * r['shared']):,} ({r['shared linked']:.5f})"
        for r in results.values()
    ]
    row("  of them linked (target 1.00)", linked)
    for r in results.values():
        for phase, seconds in r["timings"].items():
            row(f"{phase} s", [f"{seconds:.1f}" if x is r else "" for x in results.values()])
    row("wall time s (without world)", each("wall", ".1f"), ratio("wall"))
    row("RSS with records read MiB", each("rss loaded", ",.0f"))
    row("peak RSS MiB", each("peak", ",.0f"), ratio("peak"))
    Console(width=110).print(table)


if __name__ == "__main__":
    main()
