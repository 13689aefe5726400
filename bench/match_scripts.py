"""Cross-script matching: palermo's resolver vs plain Splink on synthetic-world persons.

    .venv/bin/python bench/match_scripts.py --persons 3000
    .venv/bin/python bench/match_scripts.py --engine spark   # palermo's model on local Spark

Every agency's Person records of a generated world (names in Thai, Cyrillic, Arabic,
Chinese and Latin spellings, typos, swapped dates) are resolved into identities; pairwise
precision, recall and F1 are measured against the world's ground truth. Plain Splink gets
the same records (name as written, birth date, document, nationality, sex, phone,
address) with its standard comparisons.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import logging
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from palermo.match.engines import DuckDB, Engine, Spark, spark_session
from palermo.match.xref import XrefRecord, cluster, features, from_ftm, predict
from palermo.world import generate


def load(world: Path) -> tuple[list[XrefRecord], dict[str, str]]:
    truth = {}
    with (world / "truth" / "records.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["schema"] == "Person":
                truth[f"{row['agency']}:{row['record_id']}"] = row["true_id"]
    records = []
    for path in sorted(world.glob("*/entities.ftm.json")):
        agency = path.parent.name
        for line in path.read_text(encoding="utf-8").splitlines():
            entity = json.loads(line)
            if entity["schema"] != "Person":
                continue
            props = entity["properties"]
            records.append(
                from_ftm(f"{agency}:{entity['id']}", agency, lambda p, v=props: v.get(p, []))
            )
    return records, truth


def namesakes(world: Path) -> tuple[int, int, int]:
    """How ambiguous the world is: persons sharing passport name, sex and nationality.

    Returns (persons, persons with such a namesake, those whose namesake's birth date is
    also one recording slip away: the same, day and month swapped, or the year off by one).
    A record without a birth date cannot tell such namesakes apart at all.
    """
    groups: dict[tuple[str, ...], list[str]] = defaultdict(list)
    with (world / "truth" / "persons.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        key = (row["given_name"], row["family_name"], row["sex"], row["nationality"])
        groups[key].append(row["birth_date"])
    named = close = 0
    for dates in groups.values():
        if len(dates) < 2:
            continue
        named += len(dates)
        close += sum(
            any(near(d, o) for j, o in enumerate(dates) if j != i) for i, d in enumerate(dates)
        )
    return len(rows), named, close


def near(a: str, b: str) -> bool:
    ya, ma, da = a.split("-")
    yb, mb, db = b.split("-")
    return ((ma, da) == (mb, db) and abs(int(ya) - int(yb)) <= 1) or (ya, ma, da) == (yb, db, mb)


def engine_named(name: str) -> Engine:
    """`duckdb` (the default) or `spark` (a local Spark session on every core)."""
    if name == "spark":
        session = spark_session("local[*]", "8g")
        session.sparkContext.setLogLevel("ERROR")
        return Spark(session)
    return DuckDB()


def true_pairs(truth: dict[str, str]) -> set[tuple[str, str]]:
    groups: dict[str, list[str]] = defaultdict(list)
    for rec, person in truth.items():
        groups[person].append(rec)
    return {tuple(sorted(p)) for g in groups.values() for p in itertools.combinations(g, 2)}  # type: ignore[misc]


def scores(clusters: list[list[str]], truth: set[tuple[str, str]]) -> tuple[float, float, float]:
    found = {tuple(sorted(p)) for c in clusters for p in itertools.combinations(c, 2)}
    tp = len(found & truth)
    precision = tp / len(found) if found else 1.0
    recall = tp / len(truth) if truth else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def plain_splink(records: list[XrefRecord], threshold: float) -> list[list[str]]:
    import pyarrow as pa
    import splink.comparison_library as cl
    from splink import Linker, SettingsCreator, block_on
    from splink.backends.duckdb import DuckDBAPI

    rows: list[dict[str, Any]] = [
        {
            "unique_id": r.id,
            "name": r.names[0] if r.names else None,
            "first": (r.names[0].split() or [None])[0] if r.names else None,
            "last": (r.names[0].split() or [None])[-1] if r.names else None,
            "dob": r.birth_date,
            "nationality": r.nationality,
            "sex": r.sex,
            "document": r.document,
            "phone": r.phone,
            "address": r.address,
        }
        for r in records
    ]
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.NameComparison("name"),
            cl.DateOfBirthComparison("dob", input_is_string=True),
            cl.ExactMatch("document"),
            cl.ExactMatch("nationality"),
            cl.ExactMatch("sex"),
            cl.ExactMatch("phone"),
            cl.ExactMatch("address"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("first", "dob"),
            block_on("last", "dob"),
            block_on("document"),
            block_on("phone"),
            block_on("first", "last"),
        ],
    )
    linker = Linker(DuckDBAPI().register(pa.Table.from_pylist(rows)), settings, log_level="ERROR")
    linker.training.estimate_probability_two_random_records_match(
        [block_on("name", "dob")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("first", "last"))
    links = linker.inference.predict(threshold_match_probability=threshold)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(links, threshold)
    groups: dict[Any, list[str]] = defaultdict(list)
    for row in clusters.as_record_list():
        groups[row["cluster_id"]].append(str(row["unique_id"]))
    return list(groups.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=3000)
    parser.add_argument("--thresholds", default="0.5,0.7,0.8,0.9")
    parser.add_argument("--engine", choices=("duckdb", "spark"), default="duckdb")
    args = parser.parse_args()
    logging.getLogger("splink").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as tmp:
        generate(Path(tmp), args.persons, seed=11)
        records, truth_map = load(Path(tmp))
        persons, named, close = namesakes(Path(tmp))
    truth = true_pairs(truth_map)
    table = Table(
        title=f"cross-script resolution ({args.engine}): {len(records):,} person records of "
        f"{args.persons:,} true persons, {len(truth):,} true pairs"
    )
    for col in (
        "threshold",
        "system",
        "precision",
        "recall",
        "F1",
        "seconds",
        "F1 vs plain Splink",
    ):
        table.add_column(col, justify="right")
    started = time.perf_counter()
    links = predict([features(r) for r in records], threshold=0.3, engine=engine_named(args.engine))
    ours_t = time.perf_counter() - started
    for threshold in (float(t) for t in args.thresholds.split(",")):
        ours = cluster([r.id for r in records], links, threshold, {})
        started = time.perf_counter()
        plain = plain_splink(records, threshold)
        plain_t = time.perf_counter() - started
        p_ours, p_plain = scores(ours, truth), scores(plain, truth)
        for name, (p, r, f), secs in (
            ("palermo", p_ours, ours_t),
            ("plain Splink", p_plain, plain_t),
        ):
            table.add_row(
                f"{threshold:.2f}",
                name,
                f"{p:.3f}",
                f"{r:.3f}",
                f"{f:.3f}",
                f"{secs:.1f}",
                f"{f / p_plain[2]:.2f}x" if p_plain[2] else "n/a",
            )
    console = Console(width=120)
    console.print(table)
    console.print(
        f"namesakes: {named:,} of {persons:,} true persons share passport name, sex and "
        f"nationality with another; {close:,} of them also a birth date one slip away"
    )


if __name__ == "__main__":
    main()
