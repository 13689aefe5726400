"""Real cross-script person names: palermo vs nomenklatura logic-v2/v1 vs ICU + rapidfuzz.

    .venv/bin/python bench/names_real.py              # tables
    .venv/bin/python bench/names_real.py --errors 5   # also print palermo's errors per script pair

Reads ``../shared/data/names-dev/pairs.csv`` in place (real labelled pairs, development split;
see the README next to it). Every method scores every pair from the names alone:
- palermo: ``palermo.match.names.name_similarity`` (what person scoring uses for the name
  feature; with nothing but a name the screening score *is* that similarity), threshold the
  documented screening default ``SCREENING_THRESHOLD``;
- nomenklatura logic-v2 and logic-v1: two FtM Person entities with only ``name``, scored by
  ``compare(query, result, ScoringConfig.defaults())`` the way yente does, in the peers venv
  (``bench/peers.py``), threshold 0.7 (yente's default ``SCORE_THRESHOLD``);
- ICU + rapidfuzz: ``normality.ascii_text`` on both names, then
  ``rapidfuzz.fuzz.token_sort_ratio`` / 100, threshold 0.8.
AUC is threshold-free (Mann-Whitney); F1 is at each method's own default threshold.
Negatives carry no ``native_script_legislature``: in that split the positives of one kind
are scored against all negatives of the same script pairs.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from normality import ascii_text
from rapidfuzz import fuzz
from rich.console import Console
from rich.table import Table

from palermo.match import names as names_module
from palermo.match.names import name_similarity
from palermo.match.screening import SCREENING_THRESHOLD

sys.path.insert(0, str(Path(__file__).resolve().parent))
from peers import PeerMatcher

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "names-dev" / "pairs.csv"
PEER_THRESHOLD = 0.7  # yente's SCORE_THRESHOLD
ICU_THRESHOLD = 0.8


@dataclass(frozen=True)
class Pair:
    a: str
    b: str
    same: bool
    scripts: str  # "Latn-Cyrl": Latin first, whichever column it came in
    split: str  # native_script_legislature: "1", "0" or "" (negatives)
    kind: str


def load(path: Path) -> list[Pair]:
    if not path.exists():
        raise SystemExit(f"{path}: not found (the shared data directory is missing)")
    with path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    out = []
    for row in rows:
        sa, sb = row["script_a"], row["script_b"]
        scripts = "-".join(sorted((sa, sb), key=lambda s: (s != "Latn", s)))
        out.append(
            Pair(
                row["name_a"],
                row["name_b"],
                row["same"] == "1",
                scripts,
                row["native_script_legislature"],
                row["pair_kind"],
            )
        )
    return out


def auc(scores: Sequence[float], labels: Sequence[bool]) -> float:
    """Probability that a random positive outscores a random negative (ties count half)."""
    ranked = sorted(zip(scores, labels, strict=True))
    pos = sum(labels)
    neg = len(labels) - pos
    if not pos or not neg:
        return float("nan")
    rank_sum, i = 0.0, 0
    while i < len(ranked):
        j = i
        while j < len(ranked) and ranked[j][0] == ranked[i][0]:
            j += 1
        mid = (i + 1 + j) / 2  # average 1-based rank of the tie group
        rank_sum += mid * sum(1 for k in range(i, j) if ranked[k][1])
        i = j
    return (rank_sum - pos * (pos + 1) / 2) / (pos * neg)


def f1(scores: Sequence[float], labels: Sequence[bool], threshold: float) -> float:
    tp = sum(1 for s, y in zip(scores, labels, strict=True) if s >= threshold and y)
    fp = sum(1 for s, y in zip(scores, labels, strict=True) if s >= threshold and not y)
    fn = sum(1 for s, y in zip(scores, labels, strict=True) if s < threshold and y)
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def icu_rapidfuzz(a: str, b: str) -> float:
    return fuzz.token_sort_ratio(ascii_text(a) or "", ascii_text(b) or "") / 100


def clear_palermo_caches() -> None:
    """Cold caches, so pairs/s measures transliteration too (models stay loaded)."""
    for module in [names_module, *_name_submodules()]:
        for value in vars(module).values():
            clear = getattr(value, "cache_clear", None)
            if callable(clear):
                clear()


def _name_submodules() -> list[object]:
    return [m for k, m in sys.modules.items() if k.startswith("palermo.match.names_")]


def timed(fn: Callable[[], list[float]]) -> tuple[list[float], float]:
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def run_methods(pairs: list[Pair]) -> tuple[dict[str, list[float]], dict[str, float]]:
    name_similarity("สมชาย ใจดี", "Somchai Jaidee")  # load the Thai model outside the timing
    name_similarity("唐曉晴", "Tong Io Cheng")
    clear_palermo_caches()
    scores: dict[str, list[float]] = {}
    seconds: dict[str, float] = {}
    scores["palermo"], seconds["palermo"] = timed(
        lambda: [name_similarity(p.a, p.b) for p in pairs]
    )
    scores["ICU+rapidfuzz"], seconds["ICU+rapidfuzz"] = timed(
        lambda: [icu_rapidfuzz(p.a, p.b) for p in pairs]
    )
    with PeerMatcher() as peer:
        peer.scores([({"name": ["warm up"]}, {"name": ["warm up"]})], "logic-v2")
        for algorithm in ("logic-v2", "logic-v1"):
            batch = [({"name": [p.a]}, {"name": [p.b]}) for p in pairs]
            scores[algorithm], seconds[algorithm] = timed(
                lambda a=algorithm, b=batch: peer.scores(b, a)  # type: ignore[misc]
            )
    return scores, seconds


THRESHOLDS = {
    "palermo": SCREENING_THRESHOLD,
    "logic-v2": PEER_THRESHOLD,
    "logic-v1": PEER_THRESHOLD,
    "ICU+rapidfuzz": ICU_THRESHOLD,
}


def table(
    title: str, groups: dict[str, list[int]], pairs: list[Pair], scores: dict[str, list[float]]
) -> Table:
    t = Table(title=title)
    t.add_column("group")
    t.add_column("pos", justify="right")
    t.add_column("neg", justify="right")
    for method in THRESHOLDS:
        t.add_column(f"{method} AUC", justify="right")
        t.add_column(f"{method} F1", justify="right")
    for group, idx in groups.items():
        labels = [pairs[i].same for i in idx]
        row = [group, str(sum(labels)), str(len(labels) - sum(labels))]
        for method, threshold in THRESHOLDS.items():
            s = [scores[method][i] for i in idx]
            row += [f"{auc(s, labels):.4f}", f"{f1(s, labels, threshold):.4f}"]
        t.add_row(*row)
    return t


def groupings(pairs: list[Pair]) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
    by_script: dict[str, list[int]] = defaultdict(list)
    for i, p in enumerate(pairs):
        by_script[p.scripts].append(i)
    by_split: dict[str, list[int]] = {}
    for split, label in (("1", "native script (1)"), ("0", "foreign, transliterated (0)")):
        scripts = {p.scripts for p in pairs if p.split == split}
        by_split[label] = [
            i
            for i, p in enumerate(pairs)
            if (p.same and p.split == split) or (not p.same and p.scripts in scripts)
        ]
    overall = {"all": list(range(len(pairs))), **dict(sorted(by_script.items()))}
    return overall, by_split


def print_errors(pairs: list[Pair], scores: list[float], per_group: int) -> None:
    """Palermo's misses and false hits per script pair, for looking, not for the repo."""
    out = Console()
    for scripts in sorted({p.scripts for p in pairs}):
        misses = [
            (s, p) for p, s in zip(pairs, scores, strict=True)
            if p.scripts == scripts and (s >= SCREENING_THRESHOLD) != p.same
        ]
        fn = sorted((x for x in misses if x[1].same), key=lambda x: x[0])[:per_group]
        fp = sorted((x for x in misses if not x[1].same), key=lambda x: -x[0])[:per_group]
        out.print(f"[bold]{scripts}[/]: {len(misses)} errors")
        for s, p in fn + fp:
            tag = "miss " if p.same else "false"
            out.print(f"  {tag} {s:.3f} {p.a!r} ~ {p.b!r} ({p.kind}, nsl={p.split})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument(
        "--errors", type=int, default=0, help="print N of palermo's errors per group"
    )
    args = parser.parse_args()
    pairs = load(args.data)
    scores, seconds = run_methods(pairs)
    overall, by_split = groupings(pairs)
    console = Console(width=250)
    limits = ", ".join(f"{m} {t}" for m, t in THRESHOLDS.items())
    console.print(table(f"names-dev, {len(pairs)} pairs (F1 at: {limits})", overall, pairs, scores))
    console.print(table("split by native_script_legislature", by_split, pairs, scores))
    speed = Table(title="throughput (cold caches for palermo; peers include JSON over a pipe)")
    speed.add_column("method")
    speed.add_column("seconds", justify="right")
    speed.add_column("pairs/s", justify="right")
    for method, secs in seconds.items():
        speed.add_row(method, f"{secs:.2f}", f"{len(pairs) / secs:,.0f}")
    console.print(speed)
    if args.errors:
        print_errors(pairs, scores["palermo"], args.errors)


if __name__ == "__main__":
    main()
