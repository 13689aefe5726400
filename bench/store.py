"""Store benchmark: bulk statement insert and a viewer's read of one 50-statement entity.

Runs the same workload on SQLite and PostgreSQL and prints one table:

    .venv/bin/python bench/store.py                    # 1,000,000 statements
    .venv/bin/python bench/store.py --statements 100000
    .venv/bin/python bench/store.py --statements 100000 --paths bulk,reference
    .venv/bin/python bench/store.py --statements 100000 --paths bulk,bulk-nocount --rounds 2

The import runs through ``Store.write`` (the bulk path, ``store.bulk``, ADR 0019); with
``--paths bulk,reference`` the same workload also runs through the reference path
(``writer.append_statements`` + ``search_index.index_written``, as ``Store.write`` did
before) in the same run, and the table gives the ratio; ``bulk-inline`` is the bulk path
with its search terms computed inline instead of beside the inserts on a helper thread
(``store.bulk.THREAD_FROM``, ADR 0027; PostgreSQL only: SQLite computes them inline in both
paths, ADR 0039); ``bulk-nocount`` is the bulk path in a database whose
``search_term_count`` triggers (migration 0024, ADR 0032 third amendment) were dropped
before the load (nothing is recounted: the counts are simply not kept), the cost of the
triggers; on SQLite the bulk writer's own grouped count (migration 0025) is left out too.

With ``--rounds N`` every (backend, path) runs N times, each in its own fresh database, the
paths' order reversed every other round so that they share the machine's load; the table
gives each path's median and each ratio's median over the rounds (and its range), the
ratio taken within a round. On PostgreSQL the CPU of the server backends of the bench
database (``/proc``, the server runs on this host) is measured too: the triggers run there.

Statements are spread over 5 agencies with owner-only, partner, group and all-member
scopes; reads are made by an agency that sees only part of each entity, so every read
runs the full sharing filter.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import os
import random
import statistics
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any
from unittest import mock

import sqlalchemy as sa
from rich.console import Console
from rich.table import Table

from palermo.access.viewer import Viewer
from palermo.model.sharing import Sharing
from palermo.model.statement import BASE, Statement
from palermo.store import audit, bulk, search_index
from palermo.store.directory import Agency
from palermo.store.store import Store
from palermo.store.writer import append_statements

PATHS = ("bulk", "bulk-inline", "bulk-nocount", "reference")
# Migration 0024's triggers (``search_term_count``), dropped for ``bulk-nocount``.
COUNT_TRIGGERS = (
    "search_term_counted_insert",
    "search_term_counted_delete",
    "search_term_counted_update",
)

AGENCIES = ["DE-BKA", "NL-KMAR", "TH-RTP", "MY-IMM", "NG-NAPTIP"]
SCOPES = [
    Sharing.parse("owner"),
    Sharing.parse("group:EU"),
    Sharing.parse("TH-RTP,MY-IMM"),
    Sharing.to_all(),
    Sharing.parse("all", ["victim-sensitive"]),
]
PROPS = ["name", "alias", "birthDate", "nationality", "phone", "email", "address", "notes"]
PER_ENTITY = 50
CHUNK = 50_000


def statements(agency: str, entities: range, rng: random.Random) -> Iterator[Statement]:
    for n in entities:
        eid = f"{agency.lower()}.p{n}"
        yield Statement(eid, "Person", BASE, eid, agency, f"p{n}", SCOPES[3])
        for i in range(PER_ENTITY - 1):
            prop = PROPS[i % len(PROPS)]
            yield Statement(
                eid,
                "Person",
                prop,
                f"{prop}-{n}-{i}-{rng.random():.6f}",
                agency,
                f"p{n}",
                SCOPES[i % len(SCOPES)],
            )


def setup(store: Store) -> dict[str, Viewer]:
    system = Viewer.system()
    viewers = {}
    for code in AGENCIES:
        groups = ("EU",) if code in ("DE-BKA", "NL-KMAR") else ()
        store.add_agency(system, Agency(code, code, code[:2], "police", groups))
        viewers[code] = store.add_user(system, f"bench-{code}", code, "analyst").viewer()
    return viewers


def reference_write(store: Store, viewer: Viewer, stmts: Iterable[Statement]) -> int:
    """What ``Store.write`` did before the bulk path: the reference writer, then the
    search index re-read from the rows written, then the audit row."""
    digest = hashlib.sha256()
    entities: set[str] = set()

    def tracked() -> Iterator[Statement]:
        for stmt in stmts:
            assert stmt.agency == viewer.agency
            digest.update(stmt.id.encode())
            entities.add(stmt.entity_id)
            yield stmt

    with store.transaction() as conn:
        mark = search_index.high_water(conn)
        count = append_statements(conn, tracked(), store._known_policies)
        search_index.index_written(conn, mark, audit.pending_write(conn).id)
        detail = {"statements": count, "entities": len(entities), "digest": digest.hexdigest()}
        audit.append(conn, viewer.agency, viewer.username, "write", "bench", detail)
    return count


def load(
    store: Store, viewers: dict[str, Viewer], total: int, path: str = "bulk"
) -> tuple[float, float]:
    """Seconds of wall clock and of this process's CPU (the benchmark's own share of a
    loaded machine; PostgreSQL's server CPU is not in it)."""
    entities = total // PER_ENTITY
    per_agency = entities // len(AGENCIES)
    rng = random.Random(7)
    started, cpu = time.perf_counter(), time.process_time()
    for agency in AGENCIES:
        step = CHUNK // PER_ENTITY
        for start in range(0, per_agency, step):
            chunk = range(start, min(start + step, per_agency))
            if path.startswith("bulk"):
                store.write(viewers[agency], statements(agency, chunk, rng))
            else:
                reference_write(store, viewers[agency], statements(agency, chunk, rng))
    store.analyze()  # as `palermo import` does after a bulk load
    return time.perf_counter() - started, time.process_time() - cpu


def read_latencies(store: Store, viewer: Viewer, total: int, reads: int) -> list[float]:
    per_agency = total // PER_ENTITY // len(AGENCIES)
    rng = random.Random(11)
    times = []
    for _ in range(reads):
        eid = f"{rng.choice(AGENCIES[:2]).lower()}.p{rng.randrange(per_agency)}"
        started = time.perf_counter()
        entity = store.entity(viewer, eid)
        times.append(time.perf_counter() - started)
        assert entity is not None
    return times


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] * 1000


def drop_count_triggers(store: Store) -> None:
    """Drop migration 0024's triggers: ``search_term_count`` is no longer kept (and not
    recounted); only for ``bulk-nocount``, in its own database."""
    with store.engine.begin() as conn:
        on = " ON search_term" if conn.dialect.name == "postgresql" else ""
        for name in COUNT_TRIGGERS:
            conn.execute(sa.text(f"DROP TRIGGER IF EXISTS {name}{on}"))


def uncounted_sqlite(cursor: Any, rows: Sequence[tuple[str, int, str, str]]) -> None:
    """``search_index._insert_counted_sqlite`` without its count: the term rows alone."""
    cursor.executemany(
        "INSERT INTO search_term (term, seq, kind, entity_id) VALUES (?, ?, ?, ?) "
        "ON CONFLICT DO NOTHING",
        rows,
    )


def count_triggers(store: Store) -> int:
    """How many of migration 0024's triggers the database holds (3, or 0 once dropped)."""
    with store.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            query = "SELECT count(*) FROM pg_trigger WHERE tgname = ANY(:names)"
            found = conn.execute(sa.text(query), {"names": list(COUNT_TRIGGERS)})
        else:
            query = "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name IN :names"
            found = conn.execute(
                sa.text(query).bindparams(sa.bindparam("names", expanding=True)),
                {"names": list(COUNT_TRIGGERS)},
            )
        return int(found.scalar_one())


def server_cpu(store: Store) -> dict[int, float]:
    """pid -> CPU seconds (user + system) of the PostgreSQL backends connected to the
    store's database, read from ``/proc`` (the server runs on this host); empty on SQLite
    or when ``/proc`` is not readable. A backend that exits during the load is missed."""
    if store.engine.dialect.name != "postgresql":
        return {}
    with store.engine.connect() as conn:
        pids = conn.execute(
            sa.text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        ).scalars()
        found = {}
        tick = os.sysconf("SC_CLK_TCK")
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            found[int(pid)] = (int(fields[11]) + int(fields[12])) / tick
    return found


def run(url: str, total: int, reads: int, path: str = "bulk") -> dict[str, float]:
    store = Store.open(url)
    viewers = setup(store)
    if path == "bulk-nocount":
        drop_count_triggers(store)
    assert count_triggers(store) == (0 if path == "bulk-nocount" else len(COUNT_TRIGGERS))
    threshold = bulk.THREAD_FROM
    bulk.THREAD_FROM = total + 1 if path == "bulk-inline" else threshold
    before = server_cpu(store)
    uncounted = mock.patch.object(search_index, "_insert_counted_sqlite", uncounted_sqlite)
    try:
        if path == "bulk-nocount":
            uncounted.start()
        seconds, cpu = load(store, viewers, total, path)
    finally:
        bulk.THREAD_FROM = threshold
        if path == "bulk-nocount":
            uncounted.stop()
    after = server_cpu(store)
    server = sum(t - before.get(pid, 0.0) for pid, t in after.items())
    count = store.count_statements()
    report = store.audit_verify()
    assert report.ok, report.reason  # the bulk path's writes check out like any other
    # NL-KMAR sees DE-BKA's group/all values but not its owner-only or TH/MY-only ones.
    latencies = read_latencies(store, viewers["NL-KMAR"], count, reads)
    store.close()
    return {
        "statements": count,
        "seconds": seconds,
        "rate": count / seconds,
        "cpu": count / cpu,
        "server": server,
        "p50": pct(latencies, 50),
        "p99": pct(latencies, 99),
    }


def fresh_pg(admin_url: str, name: str) -> str:
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return admin_url.rsplit("/", 1)[0] + "/" + name


def drop_pg(admin_url: str, name: str) -> None:
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


def median_of(rounds: list[dict[str, float]]) -> dict[str, float]:
    return {key: statistics.median(r[key] for r in rounds) for key in rounds[0]}


def ratio_cell(a: list[float], b: list[float]) -> str:
    """The median of the per-round ratios b/a, with their range when there are several."""
    ratios = [y / x for x, y in zip(a, b, strict=True)]
    cell = f"{statistics.median(ratios):.2f}x"
    if len(ratios) > 1:
        cell += f" ({min(ratios):.2f}-{max(ratios):.2f})"
    return cell


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--statements", type=int, default=1_000_000)
    parser.add_argument("--reads", type=int, default=1000)
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--database", default="palermo_bench", help="PostgreSQL bench database")
    parser.add_argument("--paths", default="bulk", help=", ".join(PATHS))
    parser.add_argument(
        "--rounds", type=int, default=1, help="runs per path, order reversed every other round"
    )
    args = parser.parse_args()
    paths = args.paths.split(",")
    for path in paths:
        if path not in PATHS:
            parser.error(f"--paths: unknown path {path!r} (one of {', '.join(PATHS)})")
    if args.rounds < 1:
        parser.error("--rounds: must be at least 1")
    rounds: dict[tuple[str, str], list[dict[str, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(args.rounds):
            for backend in args.backends.split(","):
                for path in paths if n % 2 == 0 else paths[::-1]:
                    if backend == "sqlite":
                        url = f"sqlite:///{Path(tmp) / f'bench-{path}-{n}.db'}"
                    else:
                        url = fresh_pg(args.pg, args.database)
                    try:
                        found = run(url, args.statements, args.reads, path)
                    finally:
                        if backend == "sqlite":
                            Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
                        else:
                            drop_pg(args.pg, args.database)
                    rounds.setdefault((backend, path), []).append(found)
                    print(
                        f"round {n + 1} {backend} {path}: {found['rate']:,.0f} statements/s, "
                        f"{found['cpu']:,.0f} per client CPU s, server CPU "
                        f"{found['server']:.1f} s, load "
                        + ", ".join(f"{x:.1f}" for x in os.getloadavg()),
                        flush=True,
                    )
    results = {key: median_of(found) for key, found in rounds.items()}
    load_avg = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    table = Table(
        title=f"palermo store: {args.statements:,} statements, {args.reads} reads "
        f"of a {PER_ENTITY}-statement entity through the sharing filter "
        f"(load average {load_avg}, {os.cpu_count()} cores"
        + (f", median of {args.rounds} alternated rounds)" if args.rounds > 1 else ")")
    )
    for col in (
        "backend",
        "path",
        "statements",
        "insert s",
        "statements/s",
        "per client CPU s",
        "server CPU s",
        "read p50 ms",
        "read p99 ms",
    ):
        table.add_column(col, justify="right")
    for (backend, path), r in results.items():
        table.add_row(
            backend,
            path,
            f"{r['statements']:,.0f}",
            f"{r['seconds']:.1f}",
            f"{r['rate']:,.0f}",
            f"{r['cpu']:,.0f}",
            f"{r['server']:.1f}" if backend == "postgresql" else "",
            f"{r['p50']:.2f}",
            f"{r['p99']:.2f}",
        )
    bases = ("reference", "bulk-inline", "bulk-nocount")
    for backend, base in itertools.product(args.backends.split(","), bases):
        if (backend, "bulk") in rounds and (backend, base) in rounds:
            a, b = rounds[backend, base], rounds[backend, "bulk"]
            table.add_row(
                backend,
                f"bulk / {base}",
                "",
                "",
                ratio_cell([r["rate"] for r in a], [r["rate"] for r in b]),
                ratio_cell([r["cpu"] for r in a], [r["cpu"] for r in b]),
                ratio_cell([r["server"] for r in a], [r["server"] for r in b])
                if backend == "postgresql" and all(r["server"] for r in a)
                else "",
            )
    for path in args.paths.split(","):
        if ("sqlite", path) in results and ("postgresql", path) in results:
            a, b = results["sqlite", path], results["postgresql", path]
            table.add_row(
                "pg / sqlite",
                path,
                "",
                "",
                f"{b['rate'] / a['rate']:.2f}x",
                f"{b['cpu'] / a['cpu']:.2f}x",
                "",
                f"{b['p50'] / a['p50']:.2f}x",
                f"{b['p99'] / a['p99']:.2f}x",
            )
    Console(width=170).print(table)


if __name__ == "__main__":
    main()
