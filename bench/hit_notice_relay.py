"""From a hit on a received record to the notice stored at the owner's node (issue 19).

    .venv/bin/python bench/hit_notice_relay.py            # 40 hits per design
    .venv/bin/python bench/hit_notice_relay.py --hits 100

Two nodes on SQLite files: DE owns a person that reached NL by sync; DE's app is served by
uvicorn on a local port (real HTTP through the node's peer client). NL hits the record
(``hit_notices.notify_ids``, as every hit path calls it) and the clock runs until DE's
``hit_notice`` row has the new count. Designs, same run, same nodes:

- ``0029 worker``: what ADR 0029 shipped: the node's worker woken by the commit runs
  ``deliver`` with a transport built per round (a new peer client and TLS context each
  time), behind the worker's other tasks (here: none, the best case for it);
- ``0035 relay``: the relay's own thread (``hit_notice_relay.start``) with the process's
  one peer client.

The ratio column is p50(design) / p50(0029 worker). Say the load (``uptime``) with the
numbers: the machine is shared.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
import uvicorn
from rich.console import Console
from rich.table import Table

from palermo.access.viewer import Viewer
from palermo.api.app import create_app
from palermo.coordination import hit_notice_relay, hit_notices
from palermo.exchange import registry
from palermo.exchange.peer_tls import json_transport
from palermo.exchange.sync import sync_all
from palermo.exchange.worker import Worker
from palermo.model.sharing import Sharing
from palermo.model.statement import Statement
from palermo.store.directory import Agency
from palermo.store.store import Store
from palermo.store.tables import hit_notice

SYSTEM = Viewer.system()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _node(tmp: Path, code: str) -> tuple[Store, Viewer]:
    store = Store.open(f"sqlite:///{tmp / code}.db")
    for other, country in (("DE-BKA", "DE"), ("NL-KMAR", "NL")):
        store.add_agency(SYSTEM, Agency(other, other, country, "police", ("EU",)))
    viewer = store.add_user(SYSTEM, f"analyst-{code.lower()}", code, "analyst").viewer()
    with store.transaction() as conn:
        registry.init_node(conn, code.lower() + "-node", code, tmp / f"{code}.key")
    return store, viewer


def _pair(tmp: Path, port: int) -> tuple[Store, Store, Viewer]:
    de, de_viewer = _node(tmp, "DE-BKA")
    nl, nl_viewer = _node(tmp, "NL-KMAR")
    endpoints = {"de-bka-node": f"http://127.0.0.1:{port}", "nl-kmar-node": "http://127.0.0.1:9"}
    for store, other_store, other_id, other_agency in (
        (de, nl, "nl-kmar-node", "NL-KMAR"),
        (nl, de, "de-bka-node", "DE-BKA"),
    ):
        with other_store.engine.connect() as conn:
            ident = registry.identity(conn)
        assert ident is not None
        with store.transaction() as conn:
            registry.add_peer(conn, other_id, other_agency, endpoints[other_id], ident.public_key)
    eu = Sharing.parse("group:EU")
    eid = "de-bka.p1"
    de.write(
        de_viewer,
        [
            Statement(eid, "Person", "id", eid, "DE-BKA", "p1", eu),
            Statement(eid, "Person", "name", "Ivan Petrov", "DE-BKA", "p1", eu),
        ],
    )
    sync_all(de, _direct(nl))
    return de, nl, nl_viewer


def _direct(receiver: Store) -> Callable[[str, dict[str, object]], tuple[int, dict[str, object]]]:
    from palermo.exchange import inbox

    def post(endpoint: str, body: dict[str, object]) -> tuple[int, dict[str, object]]:
        outcome = inbox.receive(receiver, body)
        return outcome.http_status, {"status": outcome.status, "cursor": outcome.cursor}

    return post


def _count(de: Store) -> int:
    with de.engine.connect() as conn:
        return int(
            conn.execute(
                sa.select(sa.func.coalesce(sa.func.sum(hit_notice.c.hits), 0))
            ).scalar_one()
        )


def _measure(de: Store, nl: Store, viewer: Viewer, hits: int) -> list[float]:
    times = []
    for _ in range(hits):
        before = _count(de)
        started = time.perf_counter()
        hit_notices.notify_ids(nl, viewer, ["de-bka.p1"], "search", "bench")
        while _count(de) == before:
            if time.perf_counter() - started > 30:
                raise RuntimeError("no notice within 30 s")
            time.sleep(0.002)
        times.append(time.perf_counter() - started)
        time.sleep(0.05)  # the next hit finds the relay idle, as a fresh hit would
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hits", type=int, default=40)
    args = parser.parse_args()
    port = _free_port()
    with tempfile.TemporaryDirectory() as tmp:
        de, nl, viewer = _pair(Path(tmp), port)
        config = uvicorn.Config(create_app(de, rate_limit=0), port=port, log_level="warning")
        server = uvicorn.Server(config)
        threading.Thread(target=server.run, daemon=True).start()
        while not server.started:
            time.sleep(0.05)

        def old_round() -> None:  # ADR 0029: a transport per round
            hit_notice_relay.deliver(nl, json_transport(hit_notice_relay.RELAY_PATH, 30.0))

        results: dict[str, list[float]] = {}
        old = Worker(nl, [old_round], 30.0).start()
        results["0029 worker"] = _measure(de, nl, viewer, args.hits)
        old.stop()
        new = hit_notice_relay.start(nl)
        results["0035 relay"] = _measure(de, nl, viewer, args.hits)
        new.stop()
        server.should_exit = True
    load = os.getloadavg()
    table = Table(title=f"hit -> notice stored at the owner's node ({args.hits} hits each)")
    for col in ("design", "p50 ms", "p95 ms", "max ms", "ratio p50"):
        table.add_column(col, justify="right")
    base = statistics.median(results["0029 worker"])
    for name, times in results.items():
        ordered = sorted(times)
        p95 = ordered[int(0.95 * (len(ordered) - 1))]
        table.add_row(
            name,
            f"{1000 * statistics.median(times):.1f}",
            f"{1000 * p95:.1f}",
            f"{1000 * max(times):.1f}",
            f"{statistics.median(times) / base:.2f}",
        )
    console = Console()
    console.print(table)
    console.print(
        f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} ({os.cpu_count()} cores)"
    )


if __name__ == "__main__":
    main()
