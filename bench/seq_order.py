"""What ordering statement writes costs on PostgreSQL (ADR 0040).

Every write takes the statement-order lock before it inserts statements, so statement
seqs commit in order (``audit.hold_statement_order``). The price is concurrency: two writes
no longer insert side by side. A group-committed audit event (a screening's, a search's)
should not wait for a write at all (the lock is not the chain head's). Both are measured
against the same code with the lock switched off, in the same run:

    .venv/bin/python bench/seq_order.py
    .venv/bin/python bench/seq_order.py --writers 4 --writes 100 --import-statements 50000
"""

from __future__ import annotations

import argparse
import os
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from rich.console import Console
from rich.table import Table
from sqlalchemy.engine import Connection

from palermo.access.viewer import Viewer
from palermo.model.sharing import Sharing
from palermo.model.statement import BASE, Statement
from palermo.store import audit
from palermo.store.directory import Agency
from palermo.store.store import Store

AGENCY = "DE-BKA"
SHARING = Sharing.parse("group:EU")
DB = "palermo_bench_seq_order"


def person(tag: str, n: int, props: int) -> list[Statement]:
    eid = f"de-bka.{tag}{n}"
    out = [Statement(eid, "Person", BASE, eid, AGENCY, f"{tag}{n}", SHARING)]
    out += [
        Statement(eid, "Person", "notes", f"{tag}-{n}-{i}", AGENCY, f"{tag}{n}", SHARING)
        for i in range(props - 1)
    ]
    return out


@contextmanager
def lock(on: bool) -> Iterator[None]:
    """The statement-order lock as shipped (on) or switched off (the peer)."""
    original: Callable[[Connection], None] = audit.hold_statement_order
    if not on:
        setattr(audit, "hold_statement_order", _no_lock)  # noqa: B010
    try:
        yield
    finally:
        setattr(audit, "hold_statement_order", original)  # noqa: B010


def _no_lock(conn: Connection) -> None:
    """The peer: statements inserted without ordering their commit."""


def fresh_store(admin_url: str) -> tuple[Store, Viewer]:
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{DB}"'))
    admin.dispose()
    store = Store.open(admin_url.rsplit("/", 1)[0] + "/" + DB)
    system = Viewer.system()
    store.add_agency(system, Agency(AGENCY, AGENCY, "DE", "police", ("EU",)))
    writer = store.add_user(system, "bench-writer", AGENCY, "analyst").viewer()
    store.write(writer, person("seed", 0, 2))  # the policy exists before the clock starts
    return store, writer


def concurrent_writes(store: Store, writer: Viewer, writers: int, writes: int) -> float:
    """Writes per second of ``writers`` threads each writing ``writes`` 50-statement people."""

    def work(w: int) -> None:
        for n in range(writes):
            store.write(writer, person(f"w{w}x", n, 50))

    threads = [threading.Thread(target=work, args=(w,)) for w in range(writers)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return writers * writes / (time.perf_counter() - started)


def events_beside_import(store: Store, writer: Viewer, statements: int) -> tuple[float, float]:
    """p50 and max ms of standalone audit events appended while one import runs."""
    done = threading.Event()

    def load() -> None:
        people = statements // 50
        store.write(writer, [s for n in range(people) for s in person("imp", n, 50)])
        done.set()

    thread = threading.Thread(target=load)
    thread.start()
    times: list[float] = []
    viewer = Viewer.system()
    while not done.is_set():
        started = time.perf_counter()
        store.audit_event(viewer, "screen.document", "bench", {})
        times.append((time.perf_counter() - started) * 1000)
        time.sleep(0.02)
    thread.join()
    return statistics.median(times), max(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--writers", type=int, default=2)
    parser.add_argument("--writes", type=int, default=100)
    parser.add_argument("--import-statements", type=int, default=50_000)
    args = parser.parse_args()
    rows: dict[str, tuple[float, float, float]] = {}
    for name, on in (("lock off (peer)", False), ("lock on", True)):
        with lock(on):
            store, writer = fresh_store(args.pg)
            rate = concurrent_writes(store, writer, args.writers, args.writes)
            p50, worst = events_beside_import(store, writer, args.import_statements)
            store.close()
        rows[name] = (rate, p50, worst)
    load_avg = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    table = Table(
        title=f"statement-order lock, PostgreSQL: {args.writers} writers x {args.writes} "
        f"writes of 50 statements; audit events beside a {args.import_statements:,}-statement "
        f"import (load average {load_avg}, {os.cpu_count()} cores)"
    )
    for col in ("run", "writes/s", "event p50 ms", "event max ms"):
        table.add_column(col, justify="right")
    for name, (rate, p50, worst) in rows.items():
        table.add_row(name, f"{rate:,.1f}", f"{p50:.1f}", f"{worst:.1f}")
    (r0, p0, w0), (r1, p1, w1) = rows.values()
    table.add_row("on / off", f"{r1 / r0:.2f}x", f"{p1 / p0:.2f}x", f"{w1 / w0:.2f}x")
    Console().print(table)


if __name__ == "__main__":
    main()
