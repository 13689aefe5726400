"""Exchange benchmark: node A pushes to node B over HTTP on loopback.

    .venv/bin/python bench/sync.py                  # 100,000 statements, 50 latency probes
    .venv/bin/python bench/sync.py --statements 20000

Node B is a real `palermo serve` process with its own database; node A runs in this
process. Prints the bulk sync rate and the end-to-end latency of single writes (written on
A, pushed by A's sync worker, visible in B's database).
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
from palermo.exchange import alerts, registry
from palermo.exchange.sync import sync_all
from palermo.exchange.worker import SyncWorker
from palermo.model.sharing import Sharing
from palermo.model.statement import Statement
from palermo.store.directory import Agency
from palermo.store.store import Store

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--statements", type=int, default=100_000)
    parser.add_argument("--probes", type=int, default=50)
    args = parser.parse_args()
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
