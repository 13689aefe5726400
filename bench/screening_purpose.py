"""What withholding H0 values costs a screening answer (ADR 0041).

    .venv/bin/python bench/screening_purpose.py --persons 20000 --queries 1000

Builds one ScreeningIndex of synthetic persons (those of `bench/screening.py`) and document
reports, a share of them (``--restricted``) carrying another agency's values stated for
investigation only (the ``h0`` copies `store.purpose_view` keeps), and times the same person
and document queries on the index as is and on its view for the purpose ``screening``
(which withholds those values). Prints p50/p99 per query and the share of answers that
withheld something.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.table import Table

from palermo.match.person import PersonRecord
from palermo.match.screening import ScreeningIndex
from palermo.store.purpose_view import H0_KEY
from screening import person  # bench/screening.py (the script's folder is on the path)


def restricted(entity: dict[str, Any]) -> dict[str, Any]:
    """The entity with every value stated for investigation only."""
    copies = [
        [prop, value, ["investigation"], "H0:investigation|"]
        for prop, values in entity["properties"].items()
        for value in values
    ]
    copies.append(["id", entity["id"], ["investigation"], "H0:investigation|"])
    return {**entity, H0_KEY: copies}


def timed(queries: list[Any], run: Callable[[Any], Any]) -> tuple[list[float], list[Any]]:
    times, answers = [], []
    for q in queries:
        t0 = time.perf_counter()
        answers.append(run(q))
        times.append(time.perf_counter() - t0)
    return times, answers


def pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=20_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--restricted", type=float, default=0.1)
    args = parser.parse_args()
    rng = random.Random(7)
    index = ScreeningIndex()
    people: list[dict[str, Any]] = []
    for n in range(args.persons):
        entity = person(rng, n)
        report = {
            "id": f"r{n}",
            "schema": "DocumentReport",
            "agency": "BENCH",
            "properties": {"documentNumber": [f"D{n:08d}"], "reportStatus": ["stolen"]},
        }
        if rng.random() < args.restricted:
            entity, report = restricted(entity), restricted(report)
        index.add(entity)
        index.add(report)
        people.append(entity)
    index.finish()
    view = index.for_purpose("screening")
    persons = []
    for target in rng.sample(people, min(args.queries, len(people))):
        props: dict[str, list[str]] = target["properties"]
        persons.append(PersonRecord("q", (props["name"][0].upper(),), tuple(props["birthDate"])))
    numbers = [f"D{rng.randrange(args.persons):08d}" for _ in range(args.queries)]
    table = Table("query", "index", "p50 ms", "p99 ms", "answers withholding")
    for label, queries, run in (
        ("person", persons, lambda i: lambda q: i.screen(q, limit=10)),
        ("document", numbers, lambda i: i.check_document),
    ):
        timed(queries, run(index))  # warm-up: the first pass pays caches for both
        for name, idx in (("as is", index), ("for 'screening'", view)):
            times, answers = timed(queries, run(idx))
            if label == "person":
                held = sum(any(f.startswith("H0:") for c in a for f in c.flags) for a in answers)
            else:
                held = sum(a.status == "withheld" for a in answers)
            table.add_row(label, name, f"{pct(times, 50):.3f}", f"{pct(times, 99):.3f}", f"{held}")
    Console().print(table)


if __name__ == "__main__":
    main()
