"""Screening benchmark: document checks, person screening and a 300-passenger manifest.

    .venv/bin/python bench/screening.py                       # 10M documents, 1M persons
    .venv/bin/python bench/screening.py --documents 1000000 --persons 100000

The index is palermo's in-process ScreeningIndex, loaded with synthetic documents (stolen
and lost reports) and persons whose names mix the world's scripts; surnames are extended
with generated syllables so that name frequencies look like a real population rather than
the world's small pools. Prints p50/p99 latencies and peak memory.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import time

from rich.console import Console
from rich.table import Table

from palermo.match.manifest import screen_manifest
from palermo.match.person import PersonRecord
from palermo.match.screening import DocumentHit, ScreeningIndex
from palermo.world.pools import CULTURES

SYLLABLES = (
    "ka",
    "ro",
    "vin",
    "lek",
    "sha",
    "mon",
    "ti",
    "dar",
    "el",
    "su",
    "ban",
    "ko",
    "ny",
    "ra",
    "to",
    "min",
    "go",
    "lu",
    "ve",
    "chen",
)


def surname(rng: random.Random) -> tuple[str, str]:
    culture = rng.choice(list(CULTURES.values()))
    _native, latin = rng.choice(culture.family)
    extra = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 2)))
    return culture.code, latin[0] + extra


def person(rng: random.Random, n: int) -> dict[str, object]:
    code, family = surname(rng)
    given = rng.choice(CULTURES[code].male + CULTURES[code].female)[1][0]
    return {
        "id": f"p{n}",
        "schema": "Person",
        "agency": "BENCH",
        "properties": {
            "name": [f"{given} {family}"],
            "birthDate": [
                f"{rng.randint(1950, 2008)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            ],
            "nationality": [code.lower()],
            "passportNumber": [f"P{n:08d}"],
        },
    }


def pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=10_000_000)
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=2000)
    args = parser.parse_args()
    rng = random.Random(5)
    index = ScreeningIndex()
    started = time.perf_counter()
    statuses = ("stolen", "lost", "revoked", "stolen-blank")
    for n in range(args.documents):
        number = f"D{n:09d}"
        index.documents[number] = [
            DocumentHit(number, statuses[n % 4], "BENCH", "2025-01-01", f"r{n}")
        ]
    doc_load = time.perf_counter() - started
    people = []
    started = time.perf_counter()
    for n in range(args.persons):
        entity = person(rng, n)
        index.add(entity)
        if n % max(1, args.persons // 5000) == 0:
            people.append(entity)
    index.finish()
    person_load = time.perf_counter() - started

    doc_times = []
    for _ in range(args.queries):
        number = f"d {rng.randrange(args.documents * 2):09d}"  # half unknown, messy input
        t0 = time.perf_counter()
        index.check_document(number)
        doc_times.append(time.perf_counter() - t0)
    person_times = []
    for _ in range(min(args.queries, 1000)):
        target = rng.choice(people)["properties"]
        name = target["name"][0]  # type: ignore[index]
        query = PersonRecord("q", (name.upper(),), tuple(target["birthDate"]))  # type: ignore[index, arg-type]
        t0 = time.perf_counter()
        index.screen(query, limit=10)
        person_times.append(time.perf_counter() - t0)
    manifest_times = []
    for _ in range(10):
        rows = []
        for i in range(300):
            target = rng.choice(people)["properties"]
            rows.append(
                (
                    i + 2,
                    {
                        "name": target["name"][0],  # type: ignore[index]
                        "birth_date": target["birthDate"][0],  # type: ignore[index]
                        "document_number": f"D{rng.randrange(args.documents * 2):09d}",
                    },
                )
            )
        t0 = time.perf_counter()
        screen_manifest(index, rows)
        manifest_times.append(time.perf_counter() - t0)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    table = Table(
        title=f"palermo screening, in-process: {args.documents:,} documents, "
        f"{args.persons:,} persons"
    )
    for col in ("measure", "p50", "p99", "target"):
        table.add_column(col, justify="right")
    table.add_row(
        "document check",
        f"{pct(doc_times, 50):.3f} ms",
        f"{pct(doc_times, 99):.3f} ms",
        "p99 < 2 ms",
    )
    table.add_row(
        "person screening",
        f"{pct(person_times, 50):.2f} ms",
        f"{pct(person_times, 99):.2f} ms",
        "p99 < 50 ms",
    )
    table.add_row(
        "300-passenger manifest",
        f"{statistics.median(manifest_times) * 1000:.0f} ms",
        f"{max(manifest_times) * 1000:.0f} ms (max of 10)",
        "< 200 ms",
    )
    table.add_row("load documents / persons", f"{doc_load:.0f} s", f"{person_load:.0f} s", "")
    table.add_row("peak RSS", f"{rss:,.0f} MiB", "", "")
    Console(width=110).print(table)
    # timings on a shared machine mean little without the load they were taken under
    print("load average (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
