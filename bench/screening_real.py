"""Person screening on OpenSanctions' UN benchmark (yente), palermo against nomenklatura.

    .venv/bin/python bench/screening_real.py              # palermo, logic-v2 and logic-v1
    .venv/bin/python bench/screening_real.py --no-peers   # palermo only (a few seconds)

Data: ``../shared/data/yente-un-bench/`` (read in place; its README): 683 UN-listed persons
loaded as one agency's persons into palermo's ScreeningIndex exactly as the service builds it
(FtM dicts through ``build_index``), and 2,683 queries read by the API's own passenger parser
(``manifest.passenger``): the 683 persons after yente's treatments (typos, reordering, birth
dates shifted) and 2,000 synthetic non-matches in many scripts.

A positive is found when the top candidate at or above the threshold is its ``expected_list_id``;
a negative is a false hit when any candidate reaches the threshold. Each method is measured at
its default threshold and at the lowest threshold that gives no false hit on the negatives.

palermo runs its whole path (blocking, prefilter, scorer). The peers (nomenklatura's logic-v2
and logic-v1, in their own venv: ``bench/peers.py``) measure scoring only: each query is
compared with the 50 watch-list persons closest by name (rapidfuzz ``token_sort_ratio`` on
the Latin forms) plus, for positives, the true person; the same candidate set is also scored
by palermo's scorer alone ("palermo scorer") to separate blocking from scoring.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from followthemoney import registry
from rapidfuzz import fuzz, process
from rich.console import Console
from rich.table import Table

from palermo.datasets.paths import shared_data_dir
from palermo.match.manifest import passenger
from palermo.match.names import latinize
from palermo.match.person import PersonRecord, person_record_from_entity, score_person
from palermo.match.screening import SCREENING_THRESHOLD, build_index

DATA = shared_data_dir() / "yente-un-bench"
PEER_CANDIDATES = 50
PEER_THRESHOLD = 0.7  # yente's default SCORE_THRESHOLD for every algorithm
PEERS = ("logic-v2", "logic-v1")
WARM_UP = ("สมชาย ใจดี", "王小明", "김정은", "Олена Коваленко", "محمد علي")  # not in the data
SWEEP = (0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9)
SEX = {"male": "M", "female": "F", "other": "X"}


@dataclass(frozen=True)
class Query:
    id: str
    kind: str  # un_treated | negatives_global_1k | negatives_us_1k
    treatment: str
    expected: str  # list id, or "" for a negative
    record: PersonRecord
    props: dict[str, list[str]]  # FtM Person properties, for the peers


Top = tuple[str, float]  # best candidate id and its score ("", 0.0 when none)


def watchlist_entities() -> list[dict[str, Any]]:
    """The watch list as the FtM dicts the service hands to ``build_index``."""
    out = []
    with (DATA / "un_watchlist.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            props = {"name": [row["full_name"]]}
            for prop, column in (("birthDate", "date_of_birth"), ("nationality", "nationality")):
                if row[column]:
                    props[prop] = [row[column]]
            if row["gender"]:
                props["gender"] = [row["gender"]]
            out.append(
                {"id": row["list_id"], "schema": "Person", "agency": "UN", "properties": props}
            )
    return out


def read_queries() -> list[Query]:
    """Queries through the API's passenger parser; countries cleaned as an import would."""
    out = []
    with (DATA / "queries.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            nationality = registry.country.clean(row["nationality"]) or ""
            fields = {
                "name": row["full_name"],
                "birth_date": row["date_of_birth"],
                "nationality": nationality,
                "sex": SEX.get(row["gender"], ""),
            }
            try:
                record = passenger(fields, 0)
            except ValueError:  # 3 shifted dates are impossible (1974-01-32): FtM drops them too
                record = passenger({**fields, "birth_date": ""}, 0)
            props = {"name": [row["full_name"]]}
            if record.birth_dates:
                props["birthDate"] = list(record.birth_dates)
            if nationality:
                props["nationality"] = [nationality]
            if row["gender"]:
                props["gender"] = [row["gender"]]
            out.append(
                Query(
                    row["query_id"],
                    row["query_set"],
                    row["treatment"],
                    row["expected_list_id"],
                    record,
                    props,
                )
            )
    return out


def run_palermo(
    entities: list[dict[str, Any]], queries: list[Query]
) -> tuple[dict[str, Top], list[float]]:
    """palermo's whole screening path; every candidate kept (threshold 0) and timed."""
    index = build_index(entities)
    for name in WARM_UP:  # load transliteration models once (seconds), not inside a query
        index.screen(PersonRecord("warm-up", (name,)), threshold=0.0)
    tops, times = {}, []
    for q in queries:
        t0 = time.perf_counter()
        found = index.screen(q.record, limit=10, threshold=0.0)
        times.append(time.perf_counter() - t0)
        tops[q.id] = (found[0].person.id, found[0].score.value) if found else ("", 0.0)
    return tops, times


def candidate_sets(entities: list[dict[str, Any]], queries: list[Query]) -> dict[str, list[int]]:
    """Per query: the watch-list rows closest by name, plus the true one for positives."""
    latin = [latinize(e["properties"]["name"][0]) for e in entities]
    position = {e["id"]: n for n, e in enumerate(entities)}
    out = {}
    for q in queries:
        ranked = process.extract(
            latinize(q.record.names[0]), latin, scorer=fuzz.token_sort_ratio, limit=PEER_CANDIDATES
        )
        rows = [k for _, _, k in ranked]
        if q.expected and position[q.expected] not in rows:
            rows.append(position[q.expected])
        out[q.id] = rows
    return out


def best(scored: Sequence[tuple[str, float]]) -> Top:
    return max(scored, key=lambda p: (p[1], p[0]), default=("", 0.0))


def run_scorer(
    entities: list[dict[str, Any]], queries: list[Query], cands: dict[str, list[int]]
) -> dict[str, Top]:
    """palermo's scorer alone on the peers' candidate sets."""
    people = [person_record_from_entity(e) for e in entities]
    return {
        q.id: best([(people[k].id, score_person(q.record, people[k]).value) for k in cands[q.id]])
        for q in queries
    }


def run_peers(
    entities: list[dict[str, Any]], queries: list[Query], cands: dict[str, list[int]]
) -> tuple[dict[str, dict[str, Top]], dict[str, float]]:
    """Each nomenklatura algorithm over every (query, candidate) pair, in one worker."""
    from peers import PeerMatcher  # bench/peers.py: nomenklatura in its own venv

    pairs, owners = [], []
    for q in queries:
        for k in cands[q.id]:
            pairs.append((q.props, entities[k]["properties"]))
            owners.append((q.id, entities[k]["id"]))
    tops, seconds = {}, {}
    with PeerMatcher() as peer:
        for algorithm in PEERS:
            t0 = time.perf_counter()
            scores = peer.scores(pairs, algorithm)
            seconds[algorithm] = time.perf_counter() - t0
            grouped: dict[str, list[tuple[str, float]]] = defaultdict(list)
            for (qid, cid), score in zip(owners, scores, strict=True):
                grouped[qid].append((cid, score))
            tops[algorithm] = {q.id: best(grouped[q.id]) for q in queries}
    return tops, seconds


@dataclass(frozen=True)
class Result:
    threshold: float
    recall: float
    per_treatment: dict[str, float]
    false_hits: dict[str, int]  # per negatives file


def evaluate(tops: dict[str, Top], queries: list[Query], threshold: float) -> Result:
    found: Counter[str] = Counter()
    total: Counter[str] = Counter()
    false_hits: Counter[str] = Counter()
    for q in queries:
        cid, score = tops[q.id]
        if q.expected:
            total[q.treatment] += 1
            found[q.treatment] += cid == q.expected and score >= threshold
        else:
            false_hits[q.kind] += score >= threshold
    return Result(
        threshold,
        sum(found.values()) / sum(total.values()),
        {t: found[t] / total[t] for t in total},
        {k: false_hits[k] for k in sorted({q.kind for q in queries if not q.expected})},
    )


def zero_fp_threshold(tops: dict[str, Top], queries: list[Query]) -> float:
    """The lowest threshold no negative reaches (scores above the best negative's)."""
    worst = max((tops[q.id][1] for q in queries if not q.expected), default=0.0)
    return round(worst + 1e-4, 4)


def report(
    methods: dict[str, tuple[dict[str, Top], float]],
    queries: list[Query],
    palermo_times: list[float],
    peer_seconds: dict[str, float],
    pairs: int,
) -> None:
    negatives = Counter(q.kind for q in queries if not q.expected)
    results: dict[str, list[tuple[str, Result]]] = {}
    for name, (tops, default) in methods.items():
        results[name] = [
            ("default", evaluate(tops, queries, default)),
            ("no false hit", evaluate(tops, queries, zero_fp_threshold(tops, queries))),
        ]
    summary = Table(
        title=f"UN screening benchmark: {len(queries) - sum(negatives.values())} "
        f"positives, {sum(negatives.values()):,} negatives"
    )
    for col in (
        "method",
        "threshold",
        "recall@1",
        "false-positive rate",
        *negatives,
        "vs logic-v2",
    ):
        summary.add_column(col, justify="right")
    for name, rows in results.items():
        for label, r in rows:
            fp = sum(r.false_hits.values()) / sum(negatives.values())
            ratio = ""
            if "logic-v2" in results and name != "logic-v2":
                ref = dict(results["logic-v2"])[label]
                ratio = f"recall {r.recall / ref.recall:.3f}x"
            summary.add_row(
                name,
                f"{label} {r.threshold:.4f}",
                f"{r.recall:.4f}",
                f"{fp:.2%}",
                *(f"{r.false_hits[k]} / {negatives[k]}" for k in negatives),
                ratio,
            )
    console = Console(width=160)
    console.print(summary)
    treatments = Counter(q.treatment for q in queries if q.expected)
    per = Table(title="recall@1 per treatment (default threshold / no-false-hit threshold)")
    per.add_column("treatment")
    per.add_column("n", justify="right")
    for name in results:
        per.add_column(name, justify="right")
    for t, n in treatments.most_common():
        per.add_row(
            t,
            str(n),
            *(
                " / ".join(f"{r.per_treatment[t]:.3f}" for _, r in results[name])
                for name in results
            ),
        )
    console.print(per)
    sweep = Table(title="recall@1 / false-positive rate by threshold")
    sweep.add_column("threshold", justify="right")
    for name in methods:
        sweep.add_column(name, justify="right")
    for threshold in SWEEP:
        cells = []
        for tops, _ in methods.values():
            r = evaluate(tops, queries, threshold)
            cells.append(
                f"{r.recall:.4f} / {sum(r.false_hits.values()) / sum(negatives.values()):.2%}"
            )
        sweep.add_row(f"{threshold:.2f}", *cells)
    console.print(sweep)
    timing = Table(title="time")
    for col in ("method", "measure", "value"):
        timing.add_column(col, justify="right")
    ms = [t * 1000 for t in palermo_times]
    cuts = statistics.quantiles(ms, n=100)
    timing.add_row(
        "palermo", "person screening p50 / p99", f"{cuts[49]:.2f} ms / {cuts[98]:.2f} ms"
    )
    for name, seconds in peer_seconds.items():
        timing.add_row(
            name,
            f"{pairs:,} comparisons",
            f"{seconds:.1f} s ({seconds / pairs * 1000:.2f} ms each)",
        )
    console.print(timing)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-peers", action="store_true", help="palermo only")
    args = parser.parse_args(argv)
    if not DATA.is_dir():
        sys.exit(f"{DATA}: missing (see ../shared/data/README.md)")
    entities, queries = watchlist_entities(), read_queries()
    tops, times = run_palermo(entities, queries)
    methods: dict[str, tuple[dict[str, Top], float]] = {"palermo": (tops, SCREENING_THRESHOLD)}
    cands = candidate_sets(entities, queries)
    methods["palermo scorer"] = (run_scorer(entities, queries, cands), SCREENING_THRESHOLD)
    peer_seconds: dict[str, float] = {}
    if not args.no_peers:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        peer_tops, peer_seconds = run_peers(entities, queries, cands)
        for algorithm, found in peer_tops.items():
            methods[algorithm] = (found, PEER_THRESHOLD)
    report(methods, queries, times, peer_seconds, sum(len(c) for c in cands.values()))


if __name__ == "__main__":
    main()
