"""API benchmark: document checks and person screening over HTTP, with wrk on loopback.

    .venv/bin/python bench/api.py                    # 200,000 documents, 50,000 persons
    .venv/bin/python bench/api.py --documents 1000000 --duration 30
    .venv/bin/python bench/api.py --backend postgresql --workers 1 2   # one row set per count
    # load once (at low priority), then measure as often as needed on the same data:
    nice -n 19 .venv/bin/python bench/api.py --backend postgresql --documents 1000000 \
        --persons 200000 --keep-db palermo_bench_api_1m --load-only
    .venv/bin/python bench/api.py --backend postgresql --documents 1000000 \
        --persons 200000 --keep-db palermo_bench_api_1m --workers 1 2 --duration 20

A node is loaded (stolen-document reports and persons shared by another agency) and served
by `palermo serve` in its own process(es), exactly as in production: token auth, rate limit
(set to 5,000/s so it is in the measured path but does not bind), audit log, screening
index. wrk (Debian's package; C, one thread) sends the load over loopback from the other
core. The baseline row is `GET /api/v1/me` (token lookup and framework only): each row's
ratio to it shows what the screening itself costs. On PostgreSQL the node can serve with
several worker processes (`--workers 1 2` measures each count on the same data); each worker
builds its own screening index, so every worker is warmed before wrk starts.

The load goes through `Store.write`, i.e. the bulk path (store/bulk.py, ADR 0019/0027) with
production's ownership check, search terms and one audit row per batch. `--keep-db NAME`
keeps the loaded database (PostgreSQL: that database; SQLite: that file) after the run and
reuses it on the next run when it holds exactly the requested numbers of documents and
persons, so a second measurement does not reload; `--load-only` stops after the load, so
the load can run under `nice` while the measurement runs at normal priority. Without
`--keep-db` the database is dropped at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

from palermo.access.viewer import Viewer
from palermo.model.sharing import Sharing
from palermo.model.statement import BASE, Statement
from palermo.store.directory import Agency
from palermo.store.store import Store

SYSTEM = Viewer.system()
NAMES = ("Ivan Petrenko", "Olena Kovalenko", "Somchai Boonma", "Nguyen Van An", "Efosa Obi")


def load(store: Store, documents: int, persons: int) -> None:
    """Reports and persons of agency B2, shared with all, written as production writes
    (``Store.write``: the bulk path, ownership check and audit row per batch)."""
    for code in ("A1", "B2"):
        store.add_agency(SYSTEM, Agency(code, code, "DE", "police", ()))
    store.add_user(SYSTEM, "analyst", "A1", "analyst")
    writer = store.add_user(SYSTEM, "writer", "B2", "analyst").viewer()
    share = Sharing.parse("all")
    batch: list[Statement] = []
    rng = random.Random(3)
    for n in range(documents):
        eid = f"b2.dr{n}"
        batch += [
            Statement(eid, "DocumentReport", BASE, eid, "B2", f"dr{n}", share),
            Statement(eid, "DocumentReport", "documentNumber", f"D{n:09d}", "B2", f"dr{n}", share),
            Statement(eid, "DocumentReport", "reportStatus", "stolen", "B2", f"dr{n}", share),
        ]
        if len(batch) >= 30_000:
            store.write(writer, batch)
            batch = []
    for n in range(persons):
        eid = f"b2.p{n}"
        name = f"{rng.choice(NAMES)} {n}"
        batch += [
            Statement(eid, "Person", BASE, eid, "B2", f"p{n}", share),
            Statement(eid, "Person", "name", name, "B2", f"p{n}", share),
            Statement(
                eid, "Person", "birthDate", f"19{rng.randint(50, 99)}-01-01", "B2", f"p{n}", share
            ),
        ]
        if len(batch) >= 30_000:
            store.write(writer, batch)
            batch = []
    if batch:
        store.write(writer, batch)
    store.analyze()


def loaded(store: Store) -> tuple[int, int] | None:
    """(documents, persons) already in a kept database, or None if it holds no load."""
    import sqlalchemy as sa

    with store.engine.connect() as conn:
        if not sa.inspect(conn).has_table("statement"):
            return None
        rows = conn.execute(
            sa.text("SELECT schema, count(*) FROM statement WHERE prop = :base GROUP BY schema"),
            {"base": BASE},
        ).all()
    counts = {str(schema): int(n) for schema, n in rows}
    if not counts:
        return None
    return counts.get("DocumentReport", 0), counts.get("Person", 0)


def lua(method: str, path: str, token: str, bodies: list[str]) -> str:
    items = ",".join(json.dumps(b) for b in bodies) if bodies else '""'
    return f"""
math.randomseed(7)
local bodies = {{{items}}}
request = function()
  local body = bodies[math.random(#bodies)]
  return wrk.format("{method}", "{path}", {{["Content-Type"]="application/json",
    ["Authorization"]="Bearer {token}"}}, body ~= "" and body or nil)
end
"""


def run_wrk(url: str, script: Path, duration: int, connections: int) -> dict[str, float]:
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    # wrk gives up on a request after 2 s (its default --timeout): such requests are not in
    # the latency percentiles, so they are counted beside them
    timeouts = re.search(r"timeout (\d+)", out)
    lat = dict(re.findall(r"\s(50|99)%\s+([\d.]+\w+)", out))
    return {
        "rate": rate,
        "p50": to_ms(lat.get("50", "0ms")),
        "p99": to_ms(lat.get("99", "0ms")),
        "errors": float(errors.group(1)) if errors else 0.0,
        "timeouts": float(timeouts.group(1)) if timeouts else 0.0,
    }


def to_ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def settle(pid: int, timeout: float = 600) -> None:
    """Wait until the server process is idle (under 5% of a core for a second)."""

    def cpu() -> float:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        before = cpu()
        time.sleep(1)
        if cpu() - before < 0.05:
            return


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


PG_ADMIN = os.environ.get(
    "PALERMO_TEST_PG_ADMIN", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
PG_BENCH_DB = "palermo_bench_api"


def database(backend: str, tmp: str, keep: str | None) -> str:
    """The database URL on the chosen backend: fresh, or the kept one (``--keep-db``),
    created if missing and otherwise left as it is."""
    if backend == "sqlite":
        return f"sqlite:///{Path(keep) if keep else Path(tmp) / 'api.db'}"
    import sqlalchemy as sa

    name = keep or PG_BENCH_DB
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(
            sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
        ).first()
        if not keep:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        if not keep or not exists:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name


def drop_database(backend: str) -> None:
    """Drop the bench's own PostgreSQL database (not a kept one) after the run."""
    if backend != "postgresql":
        return
    import sqlalchemy as sa

    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{PG_BENCH_DB}" WITH (FORCE)'))
    admin.dispose()


def prepare(args: argparse.Namespace, tmp: str, console: Console) -> tuple[str, str]:
    """Load (or reuse a kept load), then a fresh token of A1's analyst: (db URL, token)."""
    db = database(args.backend, tmp, args.keep_db)
    store = Store.open(db)
    try:
        have = loaded(store) if args.keep_db else None
        want = (args.documents, args.persons)
        if have is None:
            started = time.perf_counter()
            load(store, *want)
            seconds = time.perf_counter() - started
            console.print(f"loaded {3 * sum(want):,} statements in {seconds:.0f} s "
                          f"({3 * sum(want) / seconds:,.0f}/s)")  # fmt: skip
        elif have != want:
            sys.exit(
                f"--keep-db: {args.keep_db} holds {have[0]:,} documents and {have[1]:,} "
                f"persons, not {want[0]:,} and {want[1]:,}; drop it or name another"
            )
        else:
            console.print(f"reusing {args.keep_db}: {have[0]:,} documents, {have[1]:,} persons")
        token = store.create_token(SYSTEM, "analyst", "bench")
    finally:
        store.engine.dispose()
    return db, token


def start_server(db: str, port: int, workers: int, src: str | None) -> subprocess.Popen[bytes]:
    """``src``: a copy of ``src/`` to serve from instead (the code before a change)."""
    env = {**os.environ, "PALERMO_DB": db, "PALERMO_RATE_LIMIT": "5000"}
    if src:
        env["PYTHONPATH"] = src
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "palermo"), "serve", "--port", str(port),
         "--sync-interval", "0", "--workers", str(workers), "--log-format", "none"],
        env=env,
    )  # fmt: skip


# The first screening request of a worker waits for its index: at 1M documents and 200k
# persons on PostgreSQL that build took over 10 minutes under load (each keyset page of
# `Store.entities` re-evaluates the visibility subquery over the whole statement table).
BUILD_TIMEOUT = 3600


def warm_up(base: str, token: str, workers: int) -> float:
    """Wait for the server, then make every worker build its screening index: fresh
    connections spread over the workers, several per worker. Returns seconds taken."""
    headers = {"Authorization": f"Bearer {token}"}
    for _ in range(900):
        try:
            httpx.get(f"{base}/api/v1/me", headers=headers, timeout=1)
            break
        except httpx.TransportError:
            time.sleep(0.2)
    started = time.perf_counter()
    for _ in range(8 * workers):
        httpx.post(f"{base}/api/v1/screening/document", json={"number": "X"}, headers=headers,
                   timeout=BUILD_TIMEOUT)  # fmt: skip
        httpx.post(f"{base}/api/v1/screening/person", json={"name": "X"}, headers=headers,
                   timeout=BUILD_TIMEOUT)  # fmt: skip
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=200_000)
    parser.add_argument("--persons", type=int, default=50_000)
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--workers", type=int, nargs="+", default=[1])
    parser.add_argument(
        "--before-src",
        help="also serve from this copy of src/ (the code before a change), same data and run",
    )
    parser.add_argument(
        "--keep-db",
        metavar="NAME",
        help="keep the loaded database (PostgreSQL: database NAME; SQLite: file NAME) and "
        "reuse it when it already holds the requested load",
    )
    parser.add_argument(
        "--load-only", action="store_true", help="load (or check a kept load) and stop"
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install wrk")
    if args.backend == "sqlite" and args.workers != [1]:
        sys.exit("--workers: SQLite serves from one process; use --backend postgresql")
    console = Console(width=140)
    sizes = f"{args.documents:,} documents, {args.persons:,} persons"
    title = f"API over HTTP ({args.backend}), {sizes}"
    table = Table(title=f"{title}, wrk -c{args.connections} {args.duration}s")
    for column in ("code", "workers", "request", "requests/s", "p50 ms", "p99 ms", "p99/p50",
                   "non-2xx", "timeouts", "vs baseline"):  # fmt: skip
        table.add_column(column, justify="left" if column == "request" else "right")
    if args.keep_db and args.backend == "postgresql" and not args.keep_db.startswith("palermo_"):
        sys.exit("--keep-db: a PostgreSQL database name starting with palermo_")
    if args.load_only and not args.keep_db:
        sys.exit("--load-only: needs --keep-db NAME (else the load is dropped at once)")
    with tempfile.TemporaryDirectory() as tmp:
        try:
            db, token = prepare(args, tmp, console)
            if args.load_only:
                return
            for workers in args.workers:
                for code, src in (("before", args.before_src), ("after", None)):
                    if code == "after" or src:
                        measure(args, db, token, workers, Path(tmp), table, console, (code, src))
        finally:
            if not args.keep_db:
                drop_database(args.backend)
    console.print(table)
    console.print(f"load average at the end: {os.getloadavg()}")
    console.print("target: >= 5,000 document checks/s (p99 < 50 ms), >= 1,500 person screenings/s")


def measure(
    args: argparse.Namespace,
    db: str,
    token: str,
    workers: int,
    tmp: Path,
    table: Table,
    console: Console,
    code: tuple[str, str | None] = ("after", None),
) -> None:
    port = free_port()
    server = start_server(db, port, workers, code[1])
    base = f"http://127.0.0.1:{port}"
    try:
        seconds = warm_up(base, token, workers)
        settle(server.pid)  # the alert scanner's first pass over the load
        console.print(f"{code[0]}, {workers} worker(s): indexes built in {seconds:.1f} s")
        rng = random.Random(1)
        docs = [
            json.dumps({"number": f"D{rng.randrange(args.documents * 2):09d}"}) for _ in range(500)
        ]
        people = [
            json.dumps({"name": f"{rng.choice(NAMES).upper()} {rng.randrange(args.persons)}"})
            for _ in range(500)
        ]
        runs = [
            ("GET /api/v1/me (baseline)", "GET", "/api/v1/me", []),
            ("POST /screening/document", "POST", "/api/v1/screening/document", docs),
            ("POST /screening/person", "POST", "/api/v1/screening/person", people),
        ]
        baseline = None
        for label, method, path, bodies in runs:
            script = tmp / "load.lua"
            script.write_text(lua(method, path, token, bodies), encoding="utf-8")
            m = run_wrk(base + path, script, args.duration, args.connections)
            baseline = baseline or m["rate"]
            spread = m["p99"] / m["p50"] if m["p50"] else 0.0
            row = (code[0], str(workers), label, f"{m['rate']:,.0f}", f"{m['p50']:.2f}",
                   f"{m['p99']:.2f}", f"{spread:.1f}", f"{m['errors']:.0f}", f"{m['timeouts']:.0f}",
                   f"{m['rate'] / baseline:.2f}x")  # fmt: skip
            table.add_row(*row)
            # each row as it is measured, with the load then (a long run may be cut short)
            console.print(" | ".join(row), f"| load {os.getloadavg()[0]:.1f}", highlight=False)
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:  # a worker busy in a build: the table must survive
            server.kill()
            server.wait(30)


if __name__ == "__main__":
    main()
