"""Encoded (PPRL) hit/no-hit against plaintext screening: recall, precision, cost.

    .venv/bin/python bench/pprl.py                  # names-dev + a 600-person world
    .venv/bin/python bench/pprl.py --persons 1000

Two data sets, each pair judged by both methods in the same run:
- names-dev: the real labelled cross-script pairs (``../shared/data/names-dev/pairs.csv``,
  read in place). Plaintext: ``palermo.match.names.name_similarity >= SCREENING_THRESHOLD``
  (with nothing but a name, the screening score is that similarity). Encoded: each name
  encoded alone (``match.pprl.encode``), ``similarity >= pprl.THRESHOLD``.
- the synthetic world: every Person record of every agency (name, alias, birth date), all
  pairs of records of different agencies; truth from the world's ``truth/records.csv``.
  Plaintext: ``match.person.score_person`` on the same fields (names and birth dates, what
  the encoding carries) ``>= SCREENING_THRESHOLD``. Encoded: names + birth dates.
Recall and precision are against the ground truth for both; "ratio" is encoded / plaintext.
"at equal precision" is the lowest encoded threshold whose precision reaches plaintext's on
that data set (a diagnostic, not the shipped threshold). Cost: mean microseconds per
comparison of one pair (plaintext: the score function; encoded: ``pprl.scores`` of each
encoding against all its partners at once, on ready encodings) and per encoding.
A second table splits names-dev by script pair (ADR 0048): each method's recall, the
encoded one at the equal-precision threshold, and the pairs only plaintext finds.
``--key-seed`` fixes the federation key (the bit collisions, and so the numbers, vary a
little from key to key; by default every run draws a fresh key); several seeds
(``--key-seed 1 2 3 4``) run every key on the same pairs, plaintext scored once.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import secrets
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.table import Table

from palermo.match import pprl
from palermo.match.names import name_similarity
from palermo.match.person import PersonRecord, score_person
from palermo.match.screening import SCREENING_THRESHOLD
from palermo.world.generate import generate

sys.path.insert(0, str(Path(__file__).resolve().parent))
from names_real import DATA, load


@dataclass(frozen=True)
class Outcome:
    precision: float
    recall: float


def outcome(scores: Sequence[float], labels: Sequence[bool], threshold: float) -> Outcome:
    tp = sum(1 for s, y in zip(scores, labels, strict=True) if s >= threshold and y)
    fp = sum(1 for s, y in zip(scores, labels, strict=True) if s >= threshold and not y)
    positives = sum(labels)
    return Outcome(tp / (tp + fp) if tp + fp else 1.0, tp / positives if positives else 0.0)


def at_precision(
    scores: Sequence[float], labels: Sequence[bool], precision: float
) -> tuple[float, Outcome]:
    """The lowest threshold whose precision reaches ``precision``."""
    for threshold in sorted(set(scores)):
        found = outcome(scores, labels, threshold)
        if found.precision >= precision:
            return threshold, found
    return 1.0, Outcome(1.0, 0.0)


def timed(fn: Callable[[], list[float]]) -> tuple[list[float], float]:
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


@dataclass
class Result:
    name: str
    pairs: int
    positives: int
    plain: Outcome
    encoded: Outcome
    equal_threshold: float
    equal: Outcome
    plain_us: float
    encoded_us: float
    encode_us: float
    groups: dict[str, tuple[list[float], list[float], list[bool]]] = field(default_factory=dict)


def evaluate(
    name: str,
    labels: list[bool],
    plain_scores: tuple[list[float], float],
    encoded_scores: tuple[list[float], float],
    encode_us: float,
) -> Result:
    plain = outcome(plain_scores[0], labels, SCREENING_THRESHOLD)
    encoded = outcome(encoded_scores[0], labels, pprl.THRESHOLD)
    threshold, equal = at_precision(encoded_scores[0], labels, plain.precision)
    n = len(labels)
    return Result(
        name,
        n,
        sum(labels),
        plain,
        encoded,
        threshold,
        equal,
        plain_scores[1] / n * 1e6,
        encoded_scores[1] / n * 1e6,
        encode_us,
    )


def names_dev(keys: Sequence[tuple[str, pprl.FederationKey]], data: Path) -> list[Result]:
    """One result per key; plaintext scores (which no key changes) computed once."""
    pairs = load(data)
    name_similarity("สมชาย ใจดี", "Somchai Jaidee")  # load the Thai model outside the timing
    names = sorted({n for p in pairs for n in (p.a, p.b)})
    plain = timed(lambda: [name_similarity(p.a, p.b) for p in pairs])
    results = []
    for label, key in keys:
        start = time.perf_counter()
        encoded = {n: pprl.encode(key, [n]) for n in names}
        encode_us = (time.perf_counter() - start) / len(names) * 1e6
        enc = timed(lambda e=encoded: batched(e, [(p.a, p.b) for p in pairs]))
        name = f"names-dev (real), key {label}"
        result = evaluate(name, [p.same for p in pairs], plain, enc, encode_us)
        for p, a, e in zip(pairs, plain[0], enc[0], strict=True):
            group = result.groups.setdefault(p.scripts, ([], [], []))
            group[0].append(a)
            group[1].append(e)
            group[2].append(p.same)
        results.append(result)
    return results


def by_script(result: Result) -> Table:
    """Recall per script pair at the thresholds of the whole set (plaintext's, and the
    encoded one at plaintext's precision), false hits, and the pairs only plaintext finds."""
    t = Table(title=f"{result.name} by script pair (encoded at {result.equal_threshold:.4f})")
    for column in (
        "scripts",
        "same",
        "plain R",
        "enc R",
        "R ratio",
        "plain false hits",
        "enc false hits",
        "only plain finds",
    ):
        t.add_column(column, justify="right")
    for scripts, (plain, enc, labels) in sorted(result.groups.items()):
        positives = sum(labels)
        p_hit = [s >= SCREENING_THRESHOLD for s in plain]
        e_hit = [s >= result.equal_threshold for s in enc]
        p_tp = sum(h and y for h, y in zip(p_hit, labels, strict=True))
        e_tp = sum(h and y for h, y in zip(e_hit, labels, strict=True))
        only = sum(a and not b and y for a, b, y in zip(p_hit, e_hit, labels, strict=True))
        t.add_row(
            scripts,
            f"{positives:,}",
            f"{p_tp / positives:.4f}",
            f"{e_tp / positives:.4f}",
            f"{e_tp / p_tp:.3f}" if p_tp else "-",
            str(sum(h and not y for h, y in zip(p_hit, labels, strict=True))),
            str(sum(h and not y for h, y in zip(e_hit, labels, strict=True))),
            str(only),
        )
    return t


def world_records(persons: int, seed: int) -> tuple[list[tuple[str, PersonRecord]], dict[str, str]]:
    """(agency, record) of every Person of every agency, and record key -> true person."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        generate(out, persons, seed=seed)
        with (out / "truth" / "records.csv").open(encoding="utf-8") as fh:
            truth = {f"{r['agency']}/{r['record_id']}": r["true_id"] for r in csv.DictReader(fh)}
        records = []
        for path in sorted(out.glob("*/entities.ftm.json")):
            agency = path.parent.name
            for line in path.read_text(encoding="utf-8").splitlines():
                row = json.loads(line)
                props = row["properties"]
                if row["schema"] != "Person" or not props.get("name"):
                    continue
                names = tuple(props.get("name", []) + props.get("alias", []))
                record = PersonRecord(
                    f"{agency}/{row['id']}", names, tuple(props.get("birthDate", []))
                )
                records.append((agency, record))
    return records, truth


def world(keys: Sequence[tuple[str, pprl.FederationKey]], persons: int, seed: int) -> list[Result]:
    """One result per key on the same world; plaintext scores computed once."""
    records, truth = world_records(persons, seed)
    pairs = [
        (a, b)
        for i, (agency_a, a) in enumerate(records)
        for agency_b, b in records[i + 1 :]
        if agency_a != agency_b
    ]
    labels = [truth.get(a.id, a.id) == truth.get(b.id, b.id) for a, b in pairs]
    plain = timed(lambda: [score_person(a, b).value for a, b in pairs])
    results = []
    for label, key in keys:
        start = time.perf_counter()
        encoded = {r.id: pprl.encode(key, r.names, r.birth_dates) for _, r in records}
        encode_us = (time.perf_counter() - start) / len(records) * 1e6
        enc = timed(lambda e=encoded: batched(e, [(a.id, b.id) for a, b in pairs]))
        name = f"world ({len(records)} records), key {label}"
        results.append(evaluate(name, labels, plain, enc, encode_us))
    return results


def batched(encoded: dict[str, pprl.Encoding], pairs: list[tuple[str, str]]) -> list[float]:
    """Scores of the pairs, one encoding against all its partners at once (`pprl.scores`),
    as a screening node compares one of its persons with a whole publication."""
    partners: dict[str, list[int]] = {}
    for i, (a, _) in enumerate(pairs):
        partners.setdefault(a, []).append(i)
    out = [0.0] * len(pairs)
    for a, idx in partners.items():
        stack = pprl.Stack.of([encoded[pairs[i][1]] for i in idx])
        for i, score in zip(idx, pprl.scores(encoded[a], stack), strict=True):
            out[i] = float(score)
    return out


def table(results: list[Result]) -> Table:
    t = Table(
        title=f"encoded hit/no-hit (threshold {pprl.THRESHOLD}) vs plaintext screening "
        f"(threshold {SCREENING_THRESHOLD})"
    )
    for column in (
        "data set",
        "pairs",
        "same",
        "plain P",
        "plain R",
        "enc P",
        "enc R",
        "P ratio",
        "R ratio",
        "enc thr @ equal P",
        "enc R @ equal P",
        "R ratio @ equal P",
        "plain µs/cmp",
        "enc µs/cmp",
        "cost ratio",
        "µs/encoding",
    ):
        t.add_column(column, justify="right")
    for r in results:
        t.add_row(
            r.name,
            f"{r.pairs:,}",
            f"{r.positives:,}",
            f"{r.plain.precision:.4f}",
            f"{r.plain.recall:.4f}",
            f"{r.encoded.precision:.4f}",
            f"{r.encoded.recall:.4f}",
            f"{r.encoded.precision / r.plain.precision:.3f}",
            f"{r.encoded.recall / r.plain.recall:.3f}",
            f"{r.equal_threshold:.4f}",
            f"{r.equal.recall:.4f}",
            f"{r.equal.recall / r.plain.recall:.3f}",
            f"{r.plain_us:.1f}",
            f"{r.encoded_us:.1f}",
            f"{r.encoded_us / r.plain_us:.3f}",
            f"{r.encode_us:.0f}",
        )
    return t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--persons", type=int, default=600)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--skip-world", action="store_true")
    parser.add_argument(
        "--key-seed",
        type=int,
        nargs="+",
        help="fixed federation keys, one run each (default: one fresh key)",
    )
    args = parser.parse_args()
    keys = (
        [("fresh", pprl.FederationKey("bench", secrets.token_bytes(32)))]
        if args.key_seed is None
        else [
            (str(seed), pprl.FederationKey("bench", random.Random(seed).randbytes(32)))
            for seed in args.key_seed
        ]
    )
    results = names_dev(keys, args.data)
    if not args.skip_world:
        results += world(keys, args.persons, args.seed)
    console = Console(width=250)
    console.print(table(results))
    for result in results[: len(keys)]:
        console.print(by_script(result))


if __name__ == "__main__":
    main()
