"""Exchange benchmark: node A pushes to node B over HTTP on loopback.

    .venv/bin/python bench/sync.py                  # 100,000 statements, 50 latency probes
    .venv/bin/python bench/sync.py --statements 20000

Node B is a real `palermo serve` process with its own database; node A runs in this
process. Prints the bulk sync rate and the end-to-end latency of single writes (written on
A, pushed by A's sync worker, visible in B's database).

    .venv/bin/python bench/sync.py --receive 100000 [--backends sqlite,postgresql]

instead times the receiving side alone, in this process, on each backend: the same signed
batches (outbox.BATCH_SIZE statements each) through ``inbox.receive`` with the bulk write
path (``Store.receive`` today) and with the reference path it took before (ADR 0027), and
prints both rates and their ratio.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import sqlalchemy as sa
from rich.console import Console
from rich.table import Table

from palermo.access.viewer import Viewer
from palermo.exchange import alerts, inbox, outbox, registry
from palermo.exchange.keys import NodeKey
from palermo.exchange.sync import sync_all
from palermo.exchange.wire import Batch, statement_to_wire
from palermo.exchange.worker import SyncWorker
from palermo.model.sharing import Sharing
from palermo.model.statement import Statement
from palermo.store import audit, search_index
from palermo.store.directory import Agency
from palermo.store.store import Store
from palermo.store.writer import append_statements

sys.path.insert(0, str(Path(__file__).resolve().parent))
from store import fresh_pg  # bench/store.py

SYSTEM = Viewer.system()
SHARING = Sharing.parse("group:EU")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_node(tmp: Path, code: str) -> tuple[Store, Viewer, str]:
    store = Store.open(f"sqlite:///{tmp / code}.db")
    for other in ("A-POL", "B-POL"):
        store.add_agency(SYSTEM, Agency(other, other, "DE", "police", ("EU",)))
    viewer = store.add_user(SYSTEM, f"u-{code}", code, "analyst").viewer()
    with store.transaction() as conn:
        ident = registry.init_node(conn, code.lower(), code, tmp / f"{code}.key")
    return store, viewer, ident.public_key


def start_server(db: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PALERMO_DB": f"sqlite:///{db}"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from palermo.cli.main import main; main()",
            "serve",
            "--port",
            str(port),
            "--sync-interval",
            "0",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(200):
        try:
            httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=1)
            return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("node B did not start")


def statements(n: int, offset: int = 0) -> list[Statement]:
    return [
        Statement(
            f"a-pol.p{i // 10}", "Person", "alias", f"alias {i}", "A-POL", f"p{i // 10}", SHARING
        )
        for i in range(offset, offset + n)
    ]


def count_in(db: Path, where: str = "") -> int:
    engine = sa.create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        value = conn.execute(sa.text(f"SELECT count(*) FROM statement {where}")).scalar_one()
    engine.dispose()
    return int(value)


def time_until(
    engine: sa.Engine, node: Store, writer: Viewer, stmt: Statement, query: str
) -> float:
    """Write one statement on node A, then poll B's database until ``query`` finds it."""
    t0 = time.perf_counter()
    node.write(writer, [stmt])
    while True:
        with engine.connect() as conn:
            if conn.execute(sa.text(query), {"i": stmt.id}).first():
                return time.perf_counter() - t0
        time.sleep(0.002)


def reference_receive(
    store: Store, conn: sa.Connection, stmts: list[Statement], sender: str
) -> int:
    """``Store.receive`` before ADR 0027: the reference writer, then the index re-read."""
    mark = search_index.high_water(conn)
    count = append_statements(conn, stmts, store._known_policies, received_from=sender)
    search_index.index_written(conn, mark, audit.pending_write(conn).id)
    audit.append(conn, "A-POL", "exchange", "exchange.receive", "", {"statements": count})
    return count


def signed_batches(n: int, key: NodeKey) -> list[dict[str, object]]:
    """What node A's outbox sends node B for ``n`` statements, signed, in outbox batches."""
    wired = [statement_to_wire(s, seq) for seq, s in enumerate(statements(n), start=1)]
    out = []
    for start in range(0, n, outbox.BATCH_SIZE):
        part = wired[start : start + outbox.BATCH_SIZE]
        batch = Batch("a-pol", "b-pol", start, start + len(part), part).sign(key)
        out.append(batch.to_json())
    return out


def receive_rate(url: str, tmp: Path, batches: list[dict[str, object]], key: NodeKey) -> float:
    """Statements/s of ``inbox.receive`` on a fresh node B at ``url``."""
    store = Store.open(url)
    for other in ("A-POL", "B-POL"):
        store.add_agency(SYSTEM, Agency(other, other, "DE", "police", ("EU",)))
    with store.transaction() as conn:
        registry.init_node(conn, "b-pol", "B-POL", tmp / f"b-{time.monotonic_ns()}.key")
        registry.add_peer(conn, "a-pol", "A-POL", "http://127.0.0.1:1", key.public_key)
    started = time.perf_counter()
    stored = sum(inbox.receive(store, body).stored for body in batches)
    seconds = time.perf_counter() - started
    total = sum(len(b["statements"]) for b in batches)  # type: ignore[arg-type]
    assert stored == total, (stored, total)
    store.close()
    return total / seconds


def bench_receive(n: int, backends: list[str], pg: str) -> None:
    """The receiving side alone: bulk path against the reference path, same run."""
    key = NodeKey.generate()
    batches = signed_batches(n, key)
    bulk_receive = Store.receive
    rates: dict[tuple[str, str], float] = {}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        for backend in backends:
            for path in ("reference", "bulk"):
                url = (
                    f"sqlite:///{tmp / f'receive-{path}.db'}"
                    if backend == "sqlite"
                    else fresh_pg(pg, "palermo_bench_receive")
                )
                Store.receive = reference_receive if path == "reference" else bulk_receive  # type: ignore[method-assign]
                try:
                    rates[backend, path] = receive_rate(url, tmp, batches, key)
                finally:
                    Store.receive = bulk_receive  # type: ignore[method-assign]
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    table = Table(
        title=f"palermo exchange: receiving {n:,} statements in {len(batches)} signed batches "
        f"(inbox.receive in-process; load average {load}, {os.cpu_count()} cores)"
    )
    for col in ("backend", "reference path st/s", "bulk path st/s", "bulk / reference"):
        table.add_column(col, justify="right")
    for backend in backends:
        ref, new = rates[backend, "reference"], rates[backend, "bulk"]
        table.add_row(backend, f"{ref:,.0f}", f"{new:,.0f}", f"{new / ref:.2f}x")
    Console(width=120).print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--statements", type=int, default=100_000)
    parser.add_argument("--probes", type=int, default=50)
    parser.add_argument("--receive", type=int, default=0, help="time the receiving side only")
    parser.add_argument("--backends", default="sqlite,postgresql", help="with --receive")
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    if args.receive:
        bench_receive(args.receive, args.backends.split(","), args.pg)
        return
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        a, writer, a_key = make_node(tmp, "A-POL")
        b, _, b_key = make_node(tmp, "B-POL")
        port = free_port()
        with a.transaction() as conn:
            registry.add_peer(conn, "b-pol", "B-POL", f"http://127.0.0.1:{port}", b_key)
        with b.transaction() as conn:
            registry.add_peer(conn, "a-pol", "A-POL", "http://127.0.0.1:1", a_key)
        watcher = b.viewer("u-B-POL")
        for probe in range(args.probes):
            alerts.subscribe(b, watcher, "entity", f"a-pol.alert{probe}")
        b.close()
        server = start_server(tmp / "B-POL.db", port)
        try:
            a.write(writer, statements(args.statements))
            started = time.perf_counter()
            results = sync_all(a)
            bulk = time.perf_counter() - started
            assert not results[0].error, results[0].error
            received = count_in(tmp / "B-POL.db", "WHERE agency = 'A-POL'")
            assert received == args.statements, received
            worker = SyncWorker(a, interval=5.0).start()
            engine = sa.create_engine(f"sqlite:///{tmp / 'B-POL.db'}")
            visible = "SELECT 1 FROM statement WHERE id = :i"
            alerted = "SELECT 1 FROM alert WHERE statement_id = :i"
            latencies = [
                time_until(engine, a, writer, statements(1, offset=10_000_000 + p)[0], visible)
                for p in range(args.probes)
            ]
            alert_latencies = [
                time_until(
                    engine,
                    a,
                    writer,
                    Statement(
                        f"a-pol.alert{p}",
                        "Person",
                        "name",
                        f"Suspect {p}",
                        "A-POL",
                        f"alert{p}",
                        SHARING,
                    ),
                    alerted,
                )
                for p in range(args.probes)
            ]
            worker.stop()
        finally:
            server.terminate()
            server.wait(timeout=10)
    q = statistics.quantiles(latencies, n=100)
    qa = statistics.quantiles(alert_latencies, n=100)
    table = Table(title="palermo exchange: node A -> node B over HTTP on loopback")
    for col in ("measure", "value", "target"):
        table.add_column(col)
    table.add_row("statements synced", f"{args.statements:,}", "")
    table.add_row("bulk sync wall time", f"{bulk:.1f} s", "< 30 s for 100k")
    table.add_row("bulk sync rate", f"{args.statements / bulk:,.0f} statements/s", "")
    table.add_row("write->visible latency p50", f"{q[49] * 1000:.0f} ms", "")
    table.add_row("write->visible latency p99", f"{q[98] * 1000:.0f} ms", "")
    table.add_row("write on A -> alert on B p50", f"{qa[49] * 1000:.0f} ms", "")
    table.add_row("write on A -> alert on B p99", f"{qa[98] * 1000:.0f} ms", "< 1 s")
    Console(width=100).print(table)


if __name__ == "__main__":
    main()
