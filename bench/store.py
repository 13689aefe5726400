"""Store benchmark: bulk statement insert and a viewer's read of one 50-statement entity.

Runs the same workload on SQLite and PostgreSQL and prints one table:

    .venv/bin/python bench/store.py                    # 1,000,000 statements
    .venv/bin/python bench/store.py --statements 100000
    .venv/bin/python bench/store.py --statements 100000 --paths bulk,reference

The import runs through ``Store.write`` (the bulk path, ``store.bulk``, ADR 0019); with
``--paths bulk,reference`` the same workload also runs through the reference path
(``writer.append_statements`` + ``search_index.index_written``, as ``Store.write`` did
before) in the same run, and the table gives the ratio; ``bulk-inline`` is the bulk path
with its search terms computed inline instead of beside the inserts on a helper thread
(``store.bulk.THREAD_FROM``, ADR 0027; PostgreSQL only: SQLite computes them inline in both
paths, ADR 0039).

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
from collections.abc import Iterable, Iterator
from pathlib import Path

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
            if path in ("bulk", "bulk-inline"):
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


def run(url: str, total: int, reads: int, path: str = "bulk") -> dict[str, float]:
    store = Store.open(url)
    viewers = setup(store)
    threshold = bulk.THREAD_FROM
    bulk.THREAD_FROM = total + 1 if path == "bulk-inline" else threshold
    try:
        seconds, cpu = load(store, viewers, total, path)
    finally:
        bulk.THREAD_FROM = threshold
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--statements", type=int, default=1_000_000)
    parser.add_argument("--reads", type=int, default=1000)
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--paths", default="bulk", help="bulk, bulk-inline and/or reference")
    args = parser.parse_args()
    results: dict[tuple[str, str], dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for backend in args.backends.split(","):
            for path in args.paths.split(","):
                url = (
                    f"sqlite:///{Path(tmp) / f'bench-{path}.db'}"
                    if backend == "sqlite"
                    else fresh_pg(args.pg, "palermo_bench")
                )
                results[backend, path] = run(url, args.statements, args.reads, path)
    load_avg = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    table = Table(
        title=f"palermo store: {args.statements:,} statements, {args.reads} reads "
        f"of a {PER_ENTITY}-statement entity through the sharing filter "
        f"(load average {load_avg}, {os.cpu_count()} cores)"
    )
    for col in (
        "backend",
        "path",
        "statements",
        "insert s",
        "statements/s",
        "per client CPU s",
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
            f"{r['p50']:.2f}",
            f"{r['p99']:.2f}",
        )
    for backend, base in itertools.product(args.backends.split(","), ("reference", "bulk-inline")):
        if (backend, "bulk") in results and (backend, base) in results:
            a, b = results[backend, base], results[backend, "bulk"]
            table.add_row(
                backend,
                f"bulk / {base}",
                "",
                "",
                f"{b['rate'] / a['rate']:.2f}x",
                f"{b['cpu'] / a['cpu']:.2f}x",
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
                f"{b['p50'] / a['p50']:.2f}x",
                f"{b['p99'] / a['p99']:.2f}x",
            )
    Console(width=140).print(table)


if __name__ == "__main__":
    main()
