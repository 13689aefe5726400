"""Incremental resolution: records arriving one by one into a resolved set, vs a batch rerun.

    .venv/bin/python bench/xref_incremental.py                      # 100,000 resolved + 1,000
    .venv/bin/python bench/xref_incremental.py --records 1000000 --reruns retrained  # issue's
    .venv/bin/python bench/xref_incremental.py --records 20000 --arrivals 500

A world is generated as `bench/xref.py` does (seed 23) until it holds about N + arrivals
person records; they are shuffled (fixed seed), the first N are resolved in batch
(`match.incremental.Resolver.build`: palermo's trained Splink model, strong identifiers,
clustering), then the rest arrive one at a time (`resolve_incremental`: blocking candidates
from the indexes, the batch's scoring SQL, strong identifiers, greedy joining). Reported:
time per arriving record (p50, p99, max; target p99 < 100 ms), the time to score the same
candidates with the model compiled to Python (`match.pair_scorer`, what arrivals use) and
with Splink's SQL on DuckDB (what they used before), and pairwise F1 against the
world's truth of the incremental result and of a batch rerun (retrained) on all records,
and their difference (target within 0.005); also how far the two results agree with each
other (pairwise F1 of one against the other). A batch run on all records with the first
batch's model (no retraining) separates what incremental resolution changes from what
retraining on more records changes.
"""

from __future__ import annotations

import argparse
import gc
import logging
import random
import resource
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from match_scripts import load, scores, true_pairs  # bench/ is on the path
from palermo.match import xref
from palermo.match.incremental import Resolver, Scorer, resolve_incremental
from palermo.match.xref import XrefRecord
from palermo.world import generate

RECORDS_PER_PERSON = 1.05  # Person records per true person in the world (as bench/xref.py)


def clusters_of(identity: dict[str, str]) -> list[list[str]]:
    groups: dict[str, list[str]] = {}
    for rid, iid in identity.items():
        groups.setdefault(iid, []).append(rid)
    return list(groups.values())


def pairs_of(clusters: list[list[str]]) -> set[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    for members in clusters:
        ordered = sorted(members)
        out.update((a, b) for i, a in enumerate(ordered) for b in ordered[i + 1 :])
    return out


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def compare_scorers(resolver: Resolver, late: list[XrefRecord]) -> tuple[list[float], list[float]]:
    """Milliseconds to score each arriving record's candidates with the model compiled to
    Python (what arrivals use) and with Splink's SQL on DuckDB (what they used), on the
    same candidate rows; the two must find the same pairs."""
    sql = Scorer(resolver.scorer_linker, list(resolver.rows.values()))
    python_ms, sql_ms = [], []
    for record in late:
        row = resolver.candidates.keyed(xref.features(record))  # as an arrival's
        candidates = [resolver.rows[c] for c in resolver.candidates.find_keyed(row)]
        t0 = time.perf_counter()
        ours = resolver.scorer.score(row, candidates)
        t1 = time.perf_counter()
        theirs = sql.score(row, candidates)
        t2 = time.perf_counter()
        assert {(lk.left, lk.right) for lk in ours} == {(lk.left, lk.right) for lk in theirs}
        python_ms.append((t1 - t0) * 1000)
        sql_ms.append((t2 - t1) * 1000)
    return python_ms, sql_ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000, help="resolved in batch first")
    parser.add_argument("--arrivals", type=int, default=1000, help="then added one by one")
    parser.add_argument("--threshold", type=float, default=0.9)
    parser.add_argument(
        "--reruns",
        default="retrained,same",
        help="batch reruns on all records to compare with: retrained, same (the first model)",
    )
    args = parser.parse_args()
    reruns = set(args.reruns.split(","))
    console = Console(width=110)
    logging.getLogger("splink").setLevel(logging.ERROR)
    timings: dict[str, float] = {}
    total = args.records + args.arrivals
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        generate(Path(tmp), int(total / RECORDS_PER_PERSON), seed=23)
        records, truth_map = load(Path(tmp))
        timings["world"] = time.perf_counter() - started
    random.Random(15).shuffle(records)
    arrivals = min(args.arrivals, len(records) // 2)
    base, late = records[:-arrivals], records[-arrivals:]
    truth = true_pairs(truth_map)

    started = time.perf_counter()
    resolver = Resolver.build(base, threshold=args.threshold)
    timings["batch"] = time.perf_counter() - started
    scoring = compare_scorers(resolver, late)  # same candidates, both scorers
    per_record = []
    started = time.perf_counter()
    for record in late:
        t0 = time.perf_counter()
        resolve_incremental(resolver, record)
        per_record.append(time.perf_counter() - t0)
    timings["arrivals"] = time.perf_counter() - started
    incremental = clusters_of(resolver.identities())
    p_inc, r_inc, f1_inc = scores(incremental, truth)
    ms = [t * 1000 for t in per_record]
    console.print(  # a 1M run takes hours: what is known so far, before the reruns
        f"batch {timings['batch']:.1f} s; arrivals p50/p99/max "
        f"{percentile(ms, 0.5):.1f}/{percentile(ms, 0.99):.1f}/{max(ms):.1f} ms; "
        f"incremental F1 {f1_inc:.4f} (P {p_inc:.4f}, R {r_inc:.4f})"
    )
    model = resolver.model
    del resolver  # its rows and indexes: the reruns hold their own (12 GB at a million)
    gc.collect()

    p_bat = r_bat = f1_bat = agreement = f1_same = agreement_same = float("nan")
    timings["rerun"] = timings["same"] = float("nan")
    if "retrained" in reruns:
        started = time.perf_counter()
        clusters = Resolver.build(records, threshold=args.threshold).resolution.clusters
        timings["rerun"] = time.perf_counter() - started
        p_bat, r_bat, f1_bat = scores(clusters, truth)
        agreement = scores(incremental, pairs_of(clusters))[2]
        console.print(f"retrained rerun {timings['rerun']:.1f} s: F1 {f1_bat:.4f}")
    if "same" in reruns:
        started = time.perf_counter()
        clusters = Resolver.build(
            records, threshold=args.threshold, model=model
        ).resolution.clusters
        timings["same"] = time.perf_counter() - started
        f1_same = scores(clusters, truth)[2]
        agreement_same = scores(incremental, pairs_of(clusters))[2]

    table = Table(
        title=f"incremental resolution: {len(base):,} resolved, then {len(late):,} one by one"
    )
    for column in ("measure", "incremental", "batch rerun", "ratio / diff"):
        table.add_column(column, justify="right")
    table.add_row("per record p50 ms", f"{percentile(ms, 0.5):.1f}", "", "")
    table.add_row("per record p99 ms (target < 100)", f"{percentile(ms, 0.99):.1f}", "", "")
    table.add_row("per record max ms", f"{max(ms):.1f}", "", "")
    per_batch_record = timings["rerun"] / len(records) * 1000
    table.add_row(
        "ms per record (batch: rerun / records)",
        f"{timings['arrivals'] / len(late) * 1000:.1f}",
        f"{per_batch_record:.2f}",
        f"{timings['arrivals'] / len(late) * 1000 / per_batch_record:.0f}x",
    )
    python_ms, sql_ms = scoring
    for share, label in ((0.5, "p50"), (0.99, "p99")):
        ours, theirs = percentile(python_ms, share), percentile(sql_ms, share)
        table.add_row(f"scoring only {label} ms: Python | Splink SQL", f"{ours:.2f}",
                      f"{theirs:.2f}", f"{theirs / max(ours, 1e-9):.0f}x")  # fmt: skip
    table.add_row("wall s", f"{timings['arrivals']:.1f}", f"{timings['rerun']:.1f}", "")
    table.add_row("precision", f"{p_inc:.4f}", f"{p_bat:.4f}", f"{p_inc - p_bat:+.4f}")
    table.add_row("recall", f"{r_inc:.4f}", f"{r_bat:.4f}", f"{r_inc - r_bat:+.4f}")
    table.add_row("F1 (target: diff within 0.005)", f"{f1_inc:.4f}", f"{f1_bat:.4f}",
                  f"{f1_inc - f1_bat:+.4f}")  # fmt: skip
    table.add_row("F1 of incremental against the rerun", f"{agreement:.4f}", "", "")
    table.add_row("batch with the first batch's model: F1", f"{f1_inc:.4f}", f"{f1_same:.4f}",
                  f"{f1_inc - f1_same:+.4f}")  # fmt: skip
    table.add_row("  F1 of incremental against it", f"{agreement_same:.4f}", "", "")
    table.add_row("  its wall s (no training)", "", f"{timings['same']:.1f}", "")
    table.add_row("first batch s (records resolved first)", f"{timings['batch']:.1f}", "", "")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    table.add_row("peak RSS MiB", f"{peak:,.0f}", "", "")
    console.print(table)


if __name__ == "__main__":
    main()
