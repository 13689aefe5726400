"""Words intersected in the index (migration 0022) against ADR 0032's read, same run.

With ``--change counts``: the changes of ADR 0032's third amendment (migration 0024: rarity
from ``search_term_count``, a word's rows as index-only range scans) off and on, the
intersection on in both.

Opens bench databases ``bench/search.py`` loaded (the first open migrates them to 0022 and
prints how long that took), then times ``Store.search`` (one page of 20, audit included)
with ``search_index.INTERSECT_IN_INDEX`` off (``old``: the rarest word's rows, each with
its statement, then the others among its entities) and on (``new``), alternating query by
query and which goes first, so both run under the same load. Every pair of answers is
compared (page ids, total, facets, truncation) and the differing ones counted.

    .venv/bin/python bench/search_intersect.py --backends postgresql --database palermo_i16
    .venv/bin/python bench/search_intersect.py --backends sqlite --sqlite-file /tmp/s.db
    .venv/bin/python bench/search_intersect.py ... --explain 3   # plans of 3 full names
    .venv/bin/python bench/search_intersect.py ... --change counts   # ADR 0032, 3rd amendment
    .venv/bin/python bench/search_intersect.py ... --change facts    # ADR 0032, 4th amendment
    .venv/bin/python bench/search_intersect.py ... --change holding  # ADR 0032, 6th amendment
    .venv/bin/python bench/search_intersect.py ... --change semi     # ADR 0032, 7th amendment
    .venv/bin/python bench/search_intersect.py ... --change rescan   # ADR 0032, 7th amendment
    .venv/bin/python bench/search_intersect.py ... --change seventh  # both of them
    .venv/bin/python bench/search_intersect.py --backends sqlite ... --change sqlite-pages

``--explain`` prints, for a few full names, each statement the search ran with its server
time: ``EXPLAIN (ANALYZE, BUFFERS)`` on PostgreSQL, ``EXPLAIN QUERY PLAN`` on SQLite.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any
from unittest import mock

import sqlalchemy as sa

from palermo.access.viewer import Viewer
from palermo.store import search_index
from palermo.store.search_index import SearchResults
from palermo.store.store import Store
from search import (  # bench/search.py
    KINDS,
    PG_NAME,
    VIEWER,
    freeze_fixture,
    known_viewers,
    load,
    pct,
    queries,
)

MODES = ("old", "new")
# What ``old`` switches off (``--change``): the intersection in the index (migration 0022),
# or the changes of ADR 0032's third amendment (rarity from ``search_term_count``, a word's
# rows as index-only range scans), the intersection on in both.
CHANGES = {
    "intersect": ("INTERSECT_IN_INDEX",),
    "counts": ("RARITY_FROM_COUNTS", "WORD_ROWS_AS_RANGES"),
    # ADR 0032, fourth amendment (migration 0026): a word read alone judged from the facts
    # its index rows copy, no statement fetch per row.
    "facts": ("ONE_WORD_FROM_INDEX",),
    # ADR 0032, sixth amendment: the first word's entities read as index-only spans, each
    # entity probed once for the other words.
    "holding": ("HOLDING_FROM_SPANS",),
    # ADR 0032, seventh amendment: the second word kept where the rarest word's entities
    # hold it as its rows stream (a semi-join, scanned up to SCAN_RATIO), not intersected.
    "semi": ("HOLDING_SEMI_JOIN",),
    # ADR 0032, seventh amendment: many candidates' rows read again from the words' index
    # rows (copied facts), not their statements fetched one by one.
    "rescan": ("ROWS_FROM_INDEX",),
    # Both changes of the seventh amendment at once.
    "seventh": ("HOLDING_SEMI_JOIN", "ROWS_FROM_INDEX"),
    # SQLite only: ``new`` searches through a second engine on the same file whose
    # connections map the file into memory and keep a larger page cache (``PAGES``).
    "sqlite-pages": (),
}
# The pragmas ``--change sqlite-pages`` gives the ``new`` engine's connections.
PAGES = ("PRAGMA mmap_size = 2147418112", "PRAGMA cache_size = -262144")
CHANGE = "intersect"


@contextmanager
def mode(name: str) -> Iterator[None]:
    with ExitStack() as stack:
        for flag in CHANGES[CHANGE]:
            stack.enter_context(mock.patch.object(search_index, flag, name == "new"))
        yield


def answer(found: SearchResults) -> tuple[Any, ...]:
    return ([e.id for e in found], found.total, found.facets, found.truncated)


def compare(
    stores: dict[str, Store], viewer: Viewer, cases: list[tuple[str, str]]
) -> dict[str, Any]:
    times: dict[str, list[float]] = {m: [] for m in MODES}
    differ: list[str] = []
    for i, (text, _target) in enumerate(cases):
        got = {}
        for name in MODES if i % 2 == 0 else MODES[::-1]:
            with mode(name):
                started = time.perf_counter()
                found = stores[name].search(viewer, text, limit=20)
                times[name].append(time.perf_counter() - started)
            got[name] = answer(found)
        if got["old"] != got["new"]:
            old, new = got["old"], got["new"]
            differ.append(f"{text!r}: old total {old[1]} truncated {old[3]}, new {new[1]} {new[3]}")
    return {"times": times, "differ": differ}


def explain(store: Store, viewer: Viewer, texts: list[str]) -> None:
    """Each statement one search ran (new way), with its plan and server time."""
    seen: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, sql: str, params: Any, context: Any, many: bool) -> None:
        if sql.lstrip().upper().startswith("SELECT"):
            seen.append((sql, params))

    for text in texts:
        seen.clear()
        sa.event.listen(store.engine, "before_cursor_execute", capture)
        try:
            store.search(viewer, text, limit=20)
        finally:
            sa.event.remove(store.engine, "before_cursor_execute", capture)
        print(f"--- {text!r}: {len(seen)} SELECTs")
        raw = store.engine.raw_connection()
        try:
            cursor = raw.cursor()
            for sql, params in seen:
                head = " ".join(sql.split())[:110]
                if store.engine.dialect.name == "postgresql":
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                    plan = [row[0] for row in cursor.fetchall()]
                    took = next((p for p in plan if p.startswith("Execution Time")), "?")
                    nodes = [p.strip() for p in plan if "Scan" in p or "Loop" in p][:6]
                    print(f"{took:>28}  {head}")
                    for node in nodes:
                        print(f"{'':30}{node[:150]}")
                else:
                    cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
                    print(f"{'':>10}{head}")
                    for row in cursor.fetchall():
                        print(f"{'':12}{row[-1]}")
            cursor.close()
        finally:
            raw.close()


def opened(url: str) -> tuple[Store, float]:
    started = time.perf_counter()
    store = Store.open(url)
    return store, time.perf_counter() - started


def with_pages(url: str) -> Store:
    """A second store on the same SQLite file whose connections run ``PAGES``."""
    store = Store.open(url, upgrade=False)

    def pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        for pragma in PAGES:
            cursor.execute(pragma)
        cursor.close()

    sa.event.listen(store.engine, "connect", pragmas)
    store.engine.dispose()
    return store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--statements", type=int, default=1_000_000, help="as loaded")
    parser.add_argument("--queries", type=int, default=40, help="per kind")
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default=PG_NAME)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--sqlite-file", default="")
    parser.add_argument("--explain", type=int, default=0, help="queries to explain")
    parser.add_argument("--explain-kind", default="full name", help="query kind --explain takes")
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--change", choices=sorted(CHANGES), default="intersect")
    args = parser.parse_args()
    global CHANGE
    CHANGE = args.change
    for backend in args.backends.split(","):
        if backend == "sqlite":
            url = f"sqlite:///{args.sqlite_file}"
        else:
            url = f"{args.pg}/{args.database}"
        store, seconds = opened(url)
        print(f"{backend}: opened (migrations included) in {seconds:.1f} s")
        stores = {"old": store, "new": store}
        if CHANGE == "sqlite-pages":
            if backend != "sqlite":
                continue
            stores["new"] = with_pages(url)
        viewer = known_viewers(store)[VIEWER]
        _, targets = load(store, {}, args.statements, write=False)
        freeze_fixture()
        cases = queries(targets, args.queries)
        if args.explain:
            explain(store, viewer, [t for t, _ in cases[args.explain_kind][: args.explain]])
        print(
            f"{'backend':>10} {'query':>12} {'old p50':>8} {'old p99':>8} {'new p50':>8} "
            f"{'new p99':>8} {'p50 new/old':>11} {'differ':>6}"
        )
        for kind in args.kinds.split(","):
            for name in MODES:  # warm once per way
                with mode(name):
                    stores[name].search(viewer, cases[kind][0][0], limit=20)
            result = compare(stores, viewer, cases[kind])
            t = result["times"]
            ratio = statistics.median(t["new"]) / statistics.median(t["old"])
            print(
                f"{backend:>10} {kind:>12} {pct(t['old'], 50):8.1f} {pct(t['old'], 99):8.1f} "
                f"{pct(t['new'], 50):8.1f} {pct(t['new'], 99):8.1f} {ratio:11.2f} "
                f"{len(result['differ']):6d}"
            )
            for text in result["differ"][:5]:
                print(f"{'':>12} differs: {text}")
        for each in {id(s): s for s in stores.values()}.values():
            each.close()


if __name__ == "__main__":
    main()
