"""Resolution on arrival across processes (ADR 0033): how long until a record another
process committed is in its identity, against a record the host's own process committed.

    .venv/bin/python bench/arrival_feed.py                 # SQLite and PostgreSQL, 20 each
    .venv/bin/python bench/arrival_feed.py --arrivals 50 --backend sqlite

A resolver host (`match.arrivals`, polling every second) runs on one Store; person records
are written one at a time either through that Store (the peer: the old in-process path,
woken at once by the local commit) or through a second Store on the same database (as a
CLI import or another worker: found by the feed, on PostgreSQL woken by the change feed's
NOTIFY, on SQLite by the next poll). Reported per backend and path: time from the write's
commit to the record's identity being stored, p50 / p99 / max, and the ratio of
the other process's p50 to the peer's. The first arrival of the view (a batch run) is
made before timing starts.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from palermo.access.viewer import Viewer
from palermo.match import arrivals, ledger
from palermo.model.sharing import Sharing
from palermo.model.statement import BASE, Statement
from palermo.store.store import Store
from palermo.store.tables import metadata

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/palermo_bench_arrivals"
SCOPE = "A1|plain"
FIRST = ["Ivan", "Olga", "Pyotr", "Anna", "Boris", "Elena", "Sergei", "Maria", "Yuri", "Nina"]
LAST = ["Petrov", "Sidorova", "Ivanov", "Kuznetsova", "Smirnov", "Popova", "Volkov", "Orlova"]


def person(n: int) -> list[Statement]:
    eid, sharing = f"a1.b{n}", Sharing()
    name = f"{FIRST[n % len(FIRST)]} {LAST[(n // len(FIRST)) % len(LAST)]} {n}"
    return [
        Statement(eid, "Person", BASE, eid, "A1", f"b{n}", sharing),
        Statement(eid, "Person", "name", name, "A1", f"b{n}", sharing),
        Statement(eid, "Person", "passportNumber", f"XB{n:07d}", "A1", f"b{n}", sharing),
    ]


def resolved_after(host_store: Store, writer: Store, viewer: Viewer, n: int) -> float:
    writer.write(viewer, person(n))
    committed = time.perf_counter()
    while ledger.identity_of(host_store, SCOPE, f"a1.b{n}") is None:
        time.sleep(0.005)
    return time.perf_counter() - committed


def prepare(url: str) -> tuple[Store, Store, Viewer]:
    from palermo.store.directory import Agency

    store = Store.open(url)
    with store.engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())
    system = Viewer.system()
    store.add_agency(system, Agency("A1", "Agency A1", "DE", "police", ("EU",)))
    viewer = store.add_user(system, "analyst-a1", "A1", "analyst").viewer()
    return store, Store.open(url, upgrade=False), viewer


def measure(url: str, count: int) -> dict[str, list[float]]:
    host_store, other, viewer = prepare(url)
    host_store.listen_for_changes()  # as `palermo serve` does (PostgreSQL NOTIFY)
    arrivals.start(host_store)
    try:
        resolved_after(host_store, host_store, viewer, 0)  # the view's first build
        out: dict[str, list[float]] = {"same process (peer)": [], "other process": []}
        for n in range(1, count + 1):
            out["same process (peer)"].append(resolved_after(host_store, host_store, viewer, n))
            other_n = 100_000 + n
            out["other process"].append(resolved_after(host_store, other, viewer, other_n))
        return out
    finally:
        arrivals.stop(host_store)
        other.close()
        host_store.close()


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arrivals", type=int, default=20)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    table = Table(title="commit -> identity stored (ms)")
    for column in ("backend", "written by", "n", "p50", "p99", "max", "p50 / peer p50"):
        table.add_column(column, justify="right")
    with tempfile.TemporaryDirectory() as tmp:
        backends = {"sqlite": f"sqlite:///{Path(tmp) / 'bench.db'}", "postgresql": PG}
        for name, url in backends.items():
            if args.backend not in ("both", name):
                continue
            if name == "postgresql":
                _create_pg_database()
            times = measure(url, args.arrivals)
            peer = statistics.median(times["same process (peer)"])
            for path, values in times.items():
                table.add_row(
                    name,
                    path,
                    str(len(values)),
                    f"{statistics.median(values) * 1000:.0f}",
                    f"{pct(values, 0.99) * 1000:.0f}",
                    f"{max(values) * 1000:.0f}",
                    f"{statistics.median(values) / peer:.1f}x",
                )
    Console().print(table)


def _create_pg_database() -> None:
    import sqlalchemy as sa

    admin = sa.create_engine(PG.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(
            sa.text("SELECT 1 FROM pg_database WHERE datname = 'palermo_bench_arrivals'")
        ).first()
        if exists is None:
            conn.execute(sa.text("CREATE DATABASE palermo_bench_arrivals"))
    admin.dispose()


if __name__ == "__main__":
    main()
