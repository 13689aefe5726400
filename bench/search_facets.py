"""A search's facet values through the partial index of migration 0027 against the read
of every statement of every match, same run.

Opens two copies of one bench database ``bench/search.py`` loaded: ``--old`` left at
revision 0026 (opened without migrating) and searched with ``FACETS_BY_INDEX`` off (the
facet values read through the entity index, as before), ``--new`` migrated to 0027 and
searched with it on. ``Store.search`` (one page of 20, audit included) alternates between
them query by query, and which goes first, so both run under the same load; every pair of
answers is compared (page ids, total, facets, truncation). Beside the whole search, the
time of ``_attach_facet_values`` alone is taken in the same calls (in process timers).

    createdb -T palermo_i16 palermo_i16_new   # then open it once (migrates)
    .venv/bin/python bench/search_facets.py --old postgresql+psycopg://…/palermo_i16 \\
        --new postgresql+psycopg://…/palermo_i16_new
    .venv/bin/python bench/search_facets.py --old sqlite:////tmp/s.db \\
        --new sqlite:////tmp/s_new.db --explain 3

``--explain N`` first prints, for N queries of ``--explain-kind``, the facet statement of
each side with its plan and server time: ``EXPLAIN (ANALYZE, BUFFERS)`` on PostgreSQL,
``EXPLAIN QUERY PLAN`` and the statement run alone on SQLite.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

import sqlalchemy as sa

from palermo.access.viewer import Viewer
from palermo.store import search_index
from palermo.store.search_index import SearchResults
from palermo.store.store import Store
from search import KINDS, VIEWER, known_viewers, load, pct, queries  # bench/search.py

MODES = ("old", "new")


@contextmanager
def facet_timer(spent: list[float]) -> Iterator[None]:
    """Time every ``_attach_facet_values`` call made inside, appending seconds to ``spent``."""
    real = search_index._attach_facet_values

    def timed(*args: Any, **kwargs: Any) -> None:
        started = time.perf_counter()
        try:
            real(*args, **kwargs)
        finally:
            spent.append(time.perf_counter() - started)

    with mock.patch.object(search_index, "_attach_facet_values", timed):
        yield


def searched(store: Store, name: str, viewer: Viewer, text: str) -> tuple[float, float, Any]:
    """(whole search s, facet values s, answer) of one search the ``name`` way."""
    spent: list[float] = []
    with mock.patch.object(search_index, "FACETS_BY_INDEX", name == "new"), facet_timer(spent):
        started = time.perf_counter()
        found = store.search(viewer, text, limit=20)
        took = time.perf_counter() - started
    return took, sum(spent), answer(found)


def answer(found: SearchResults) -> tuple[Any, ...]:
    return ([e.id for e in found], found.total, found.facets, found.truncated)


def compare(
    stores: dict[str, Store], viewer: Viewer, cases: list[tuple[str, str]]
) -> dict[str, Any]:
    times: dict[str, list[float]] = {m: [] for m in MODES}
    facets: dict[str, list[float]] = {m: [] for m in MODES}
    differ: list[str] = []
    for i, (text, _target) in enumerate(cases):
        got = {}
        for name in MODES if i % 2 == 0 else MODES[::-1]:
            took, facet, got[name] = searched(stores[name], name, viewer, text)
            times[name].append(took)
            facets[name].append(facet)
        if got["old"] != got["new"]:
            differ.append(f"{text!r}: old total {got['old'][1]}, new {got['new'][1]}")
    return {"times": times, "facets": facets, "differ": differ}


def explain(store: Store, name: str, viewer: Viewer, texts: list[str]) -> None:
    """The facet statement of each search the ``name`` way, with its plan and time."""
    seen: list[tuple[str, Any]] = []
    capturing = [False]

    def capture(conn: Any, cursor: Any, sql: str, params: Any, context: Any, many: bool) -> None:
        if capturing[0]:
            seen.append((sql, params))

    real = search_index._attach_facet_values

    def flagged(*args: Any, **kwargs: Any) -> None:
        capturing[0] = True
        try:
            real(*args, **kwargs)
        finally:
            capturing[0] = False

    for text in texts:
        seen.clear()
        sa.event.listen(store.engine, "before_cursor_execute", capture)
        try:
            with (
                mock.patch.object(search_index, "FACETS_BY_INDEX", name == "new"),
                mock.patch.object(search_index, "_attach_facet_values", flagged),
            ):
                store.search(viewer, text, limit=20)
        finally:
            sa.event.remove(store.engine, "before_cursor_execute", capture)
        print(f"--- {name} {text!r}: {len(seen)} facet statement(s)")
        raw = store.engine.raw_connection()
        try:
            cursor = raw.cursor()
            for sql, params in seen:
                if store.engine.dialect.name == "postgresql":
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                    for (line,) in cursor.fetchall():
                        if any(
                            w in line for w in ("Scan", "Execution", "Planning", "Buffers", "rows=")
                        ):
                            print(f"    {line[:150]}")
                else:
                    cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
                    for row in cursor.fetchall():
                        print(f"    {row[-1]}")
                    started = time.perf_counter()
                    cursor.execute(sql, params)
                    rows = cursor.fetchall()
                    took = (time.perf_counter() - started) * 1000
                    print(f"    run alone: {took:.2f} ms, {len(rows)} rows")
            cursor.close()
        finally:
            raw.close()


def row(kind: str, label: str, old: list[float], new: list[float], extra: str = "") -> str:
    ratio = statistics.median(new) / statistics.median(old)
    return (
        f"{kind:>12} {label:>7} {pct(old, 50):8.1f} {pct(old, 99):8.1f} "
        f"{pct(new, 50):8.1f} {pct(new, 99):8.1f} {ratio:11.2f} {extra}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", required=True, help="database URL at revision 0026")
    parser.add_argument("--new", required=True, help="the same database migrated to 0027")
    parser.add_argument("--statements", type=int, default=1_000_000, help="as loaded")
    parser.add_argument("--queries", type=int, default=40, help="per kind")
    parser.add_argument("--kinds", default="full name,surname")
    parser.add_argument("--explain", type=int, default=0, help="queries to explain per side")
    parser.add_argument("--explain-kind", default="surname")
    args = parser.parse_args()
    if any(kind not in KINDS for kind in args.kinds.split(",")):
        parser.error(f"--kinds: each one of {', '.join(KINDS)}")
    stores = {"old": Store.open(args.old, upgrade=False), "new": Store.open(args.new)}
    viewer = known_viewers(stores["old"])[VIEWER]
    _, targets = load(stores["old"], {}, args.statements, write=False)
    cases = queries(targets, args.queries)
    for name in MODES if args.explain else ():
        explain(
            stores[name], name, viewer, [t for t, _ in cases[args.explain_kind][: args.explain]]
        )
    print(
        f"{'query':>12} {'part':>7} {'old p50':>8} {'old p99':>8} {'new p50':>8} "
        f"{'new p99':>8} {'p50 new/old':>11} differ"
    )
    for kind in args.kinds.split(","):
        for name in MODES:  # warm once per way
            searched(stores[name], name, viewer, cases[kind][0][0])
        result = compare(stores, viewer, cases[kind])
        t, f = result["times"], result["facets"]
        print(row(kind, "search", t["old"], t["new"], str(len(result["differ"]))))
        print(row(kind, "facets", f["old"], f["new"]))
        for text in result["differ"][:5]:
            print(f"{'':>12} differs: {text}")
    for store in stores.values():
        store.close()


if __name__ == "__main__":
    main()
