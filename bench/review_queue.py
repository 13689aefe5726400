"""The review queue from the ledger vs the batch resolution it replaces (issue 15, ADR 0046).

    .venv/bin/python bench/review_queue.py                        # 10,000 resolved + 1,000
    .venv/bin/python bench/review_queue.py --records 2000 --arrivals 200
    .venv/bin/python bench/review_queue.py --db postgresql+psycopg://postgres@127.0.0.1/x

A synthetic node (seed 7): N person records of two agencies (A1's own and B2's shared with
the EU group), drawn from pools of given and family names so that namesakes occur, with
birth dates; about a fifth of the people are recorded twice, the second record with the
birth year one off (a pair for the reviewer, between the review and merge thresholds) or
with the same passport (a strong link). A1's view is resolved in batch
(`incremental.run_batch`), then ARRIVALS more records (the same mix) are written and
resolved on arrival (`incremental.arrive`, as the node's arrival feed does), each with its
ledger write. Then A1's review queue is listed:

- from the ledger (`analysis.review.queue`: the view's stored pairs, read with the
  visibility rule in the query), the median of 3 listings;
- by the batch path it replaces (`review._batch_queue`: every visible record exported and
  resolved with Splink for the listing), once.

Printed: time of each, the ratio, the queue sizes and how many pairs both hold.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from palermo.access.viewer import Viewer
from palermo.analysis import review
from palermo.match import incremental
from palermo.model.sharing import Sharing
from palermo.model.statement import BASE, Statement
from palermo.store.directory import Agency
from palermo.store.store import Store

FIRST = [
    "Ivan", "Olga", "Pyotr", "Anna", "Boris", "Elena", "Sergei", "Maria", "Yuri", "Nina",
    "Ahmed", "Fatima", "Chen", "Li", "John", "Mary", "Jose", "Lucia", "Emeka", "Ngozi",
    "Osagie", "Amina", "Mehmet", "Ayse", "Tran", "Linh", "Kofi", "Ama", "Raj", "Priya",
]  # fmt: skip
LAST = [
    "Petrov", "Sidorova", "Ivanov", "Kuznetsova", "Smirnov", "Popova", "Volkov", "Orlova",
    "Okoye", "Adeyemi", "Hassan", "Yilmaz", "Nguyen", "Wang", "Smith", "Garcia", "Lopez",
    "Mensah", "Sharma", "Kowalski", "Novak", "Horvat", "Dobreva", "Kolev", "Ionescu",
    "Popescu", "Silva", "Santos", "Rossi", "Bianchi", "Muller", "Schmidt", "Dubois",
    "Martin", "Jansen", "Visser", "Berg", "Larsen", "Nielsen", "Virtanen",
]  # fmt: skip
EU = Sharing.parse("group:EU")


def people(start: int, count: int, rng: random.Random) -> list[tuple[str, dict[str, str]]]:
    """`count` person records numbered from `start`: (entity id, properties)."""
    out: list[tuple[str, dict[str, str]]] = []
    n = start
    while len(out) < count:
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        year, month, day = rng.randint(1950, 2008), rng.randint(1, 12), rng.randint(1, 28)
        props = {"name": name, "birthDate": f"{year}-{month:02d}-{day:02d}"}
        owner = "a1" if rng.random() < 0.5 else "b2"
        out.append((f"{owner}.p{n}", props))
        n += 1
        if rng.random() < 0.2 and len(out) < count:
            twin = dict(props)
            if rng.random() < 0.5:
                twin["birthDate"] = f"{year + rng.choice((-1, 1))}-{month:02d}-{day:02d}"
            else:
                passport = f"XP{n:07d}"
                props["passportNumber"] = twin["passportNumber"] = passport
                twin.pop("birthDate")
            other = "b2" if owner == "a1" else "a1"
            out.append((f"{other}.p{n}", twin))
            n += 1
    return out


def write(store: Store, viewers: dict[str, Viewer], records: list[tuple[str, dict[str, str]]]):
    """Write the records, 1,000 per write, each agency its own (B2's shared with EU)."""
    for owner in ("a1", "b2"):
        mine = [(eid, props) for eid, props in records if eid.startswith(owner + ".")]
        agency, sharing = owner.upper(), (Sharing() if owner == "a1" else EU)
        for start in range(0, len(mine), 1000):
            stmts: list[Statement] = []
            for eid, props in mine[start : start + 1000]:
                local = eid.split(".", 1)[1]
                stmts.append(Statement(eid, "Person", BASE, eid, agency, local, sharing))
                stmts += [
                    Statement(eid, "Person", p, v, agency, local, sharing) for p, v in props.items()
                ]
            store.write(viewers[agency], stmts)


def two_agencies(store: Store) -> dict[str, Viewer]:
    """An emptied node with two EU agencies, A1 and B2, and an analyst of each."""
    store.reset()
    system = Viewer.system()
    viewers: dict[str, Viewer] = {}
    for code in ("A1", "B2"):
        store.add_agency(system, Agency(code, f"Agency {code}", "DE", "police", ("EU",)))
        user = store.add_user(system, f"analyst-{code.lower()}", code, "analyst")
        viewers[code] = user.viewer()
    return viewers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--arrivals", type=int, default=1_000)
    parser.add_argument("--db", default="", help="a database URL (default: a temporary SQLite)")
    args = parser.parse_args()
    console = Console()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite:///{Path(tmp) / 'bench.db'}"
        store = Store.open(url)
        viewers = two_agencies(store)
        rng = random.Random(7)
        first = people(0, args.records, rng)
        later = people(10 * (args.records + args.arrivals), args.arrivals, rng)
        write(store, viewers, first)
        a1 = viewers["A1"]
        t0 = time.perf_counter()
        resolver = incremental.run_batch(store, a1)
        batch_run = time.perf_counter() - t0
        write(store, viewers, later)
        t0 = time.perf_counter()
        incremental.arrive(store, a1, resolver, [eid for eid, _ in later])
        arriving = time.perf_counter() - t0
        timings = []
        for _ in range(3):
            t0 = time.perf_counter()
            from_ledger = review.queue(store, a1)
            timings.append(time.perf_counter() - t0)
        ledger_s = statistics.median(timings)
        assert all(item.source == review.LEDGER for item in from_ledger)
        t0 = time.perf_counter()
        from_batch = review._batch_queue(store, a1)
        batch_s = time.perf_counter() - t0
        store.close()

    def keys(items: list[review.ReviewItem]) -> set[frozenset[str]]:
        return {frozenset((i.left, i.right)) for i in items}

    both = len(keys(from_ledger) & keys(from_batch))
    table = Table(title=f"Review queue after {args.arrivals:,} arrivals at {args.records:,}")
    for column in ("path", "list the queue (s)", "pairs queued", "pairs in both", "ratio"):
        table.add_column(column, justify="right")
    table.add_row("ledger", f"{ledger_s:.3f}", f"{len(from_ledger):,}", f"{both:,}", "1.0x")
    table.add_row(
        "batch (replaced)",
        f"{batch_s:.3f}",
        f"{len(from_batch):,}",
        f"{both:,}",
        f"{batch_s / ledger_s:.1f}x",
    )
    console.print(table)
    console.print(
        f"backend {url.split(':', 1)[0]}; set-up: batch run {batch_run:.1f} s over "
        f"{len(first):,} records, {args.arrivals:,} arrivals {arriving:.1f} s "
        f"({1000 * arriving / max(args.arrivals, 1):.0f} ms each with the ledger write)"
    )


if __name__ == "__main__":
    main()
