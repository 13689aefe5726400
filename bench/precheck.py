"""Pre-check timing: does the answer time tell a hit from a miss?

    .venv/bin/python bench/precheck.py                     # SQLite, 2,000 reports, 200 checks each
    .venv/bin/python bench/precheck.py --backend postgresql --checks 300

A node holds N stolen-document reports of one agency; an airline's pre-check account
submits numbers that are held (hit: a hit notice is written) and numbers that are not
(miss), alternating, through the API in-process (FastAPI TestClient: token auth, the
per-submitter rate limit, the audit, the floor). Each row is one case; the peer of a hit
row is the miss row of the same floor, and the ratio column is p50(hit) / p50(miss). The
floor (``PALERMO_PRECHECK_FLOOR_MS``) is what hides the difference: with floor 0 the raw
cost of a hit (one more insert and audit row) shows.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

from fastapi.testclient import TestClient
from rich.console import Console
from rich.table import Table

from palermo.access.viewer import Viewer
from palermo.api.app import create_app
from palermo.ingest.build import build
from palermo.model.sharing import Sharing
from palermo.store.directory import Agency
from palermo.store.store import Store

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/palermo_bench_precheck"


def load(store: Store, reports: int) -> str:
    system = Viewer.system()
    store.add_agency(system, Agency("A1", "Agency A1", "DE", "police"))
    store.add_agency(system, Agency("XX-AIR", "Air X", "XX", "other"))
    owner = store.add_user(system, "a1", "A1", "analyst").viewer()
    store.add_user(system, "air", "XX-AIR", "precheck")
    stmts = []
    for n in range(reports):
        props = {"documentNumber": f"C{n:08d}", "reportStatus": "stolen", "country": "de"}
        stmts += build("A1", f"a1.r{n}", "DocumentReport", props, Sharing.owner_only())
    store.write(owner, stmts)
    return store.create_token(system, "air", "bench")


def run(client: TestClient, token: str, checks: int, reports: int) -> dict[str, list[float]]:
    headers = {"Authorization": f"Bearer {token}"}
    times: dict[str, list[float]] = {"hit": [], "miss": []}
    for n in range(checks):
        for case in ("hit", "miss"):
            number = f"C{n % reports:08d}" if case == "hit" else f"M{n:08d}"
            started = time.perf_counter()
            response = client.post(
                "/api/v1/precheck",
                json={"document_number": number, "country": "DE"},
                headers=headers,
            )
            times[case].append((time.perf_counter() - started) * 1000)
            assert response.status_code == 202, response.text
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--reports", type=int, default=2000)
    parser.add_argument("--checks", type=int, default=200)
    parser.add_argument("--floors", type=float, nargs="+", default=[0.0, 150.0])
    args = parser.parse_args()
    os.environ["PALERMO_PRECHECK_RATE"] = "1000000"  # measure the path, not the limiter
    table = Table("backend", "floor ms", "case", "checks", "p50 ms", "p99 ms", "p50 / miss p50")
    with tempfile.TemporaryDirectory() as tmp:
        url = PG_URL if args.backend == "postgresql" else f"sqlite:///{tmp}/bench.db"
        if args.backend == "postgresql":
            import sqlalchemy as sa

            admin = sa.create_engine(
                url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT"
            )
            with admin.connect() as conn:
                conn.execute(sa.text("DROP DATABASE IF EXISTS palermo_bench_precheck WITH (FORCE)"))
                conn.execute(sa.text("CREATE DATABASE palermo_bench_precheck"))
        store = Store.open(url)
        token = load(store, args.reports)
        for floor in args.floors:
            os.environ["PALERMO_PRECHECK_FLOOR_MS"] = str(floor)
            client = TestClient(create_app(store=store, rate_limit=0))
            run(client, token, 10, args.reports)  # warm: token cache, key, statements
            times = run(client, token, args.checks, args.reports)
            miss = statistics.median(times["miss"])
            for case in ("hit", "miss"):
                values = sorted(times[case])
                p50 = statistics.median(values)
                p99 = values[min(len(values) - 1, int(len(values) * 0.99))]
                table.add_row(
                    args.backend,
                    f"{floor:.0f}",
                    case,
                    str(len(values)),
                    f"{p50:.1f}",
                    f"{p99:.1f}",
                    f"{p50 / miss:.2f}",
                )
        store.close()
    Console().print(table)


if __name__ == "__main__":
    main()
