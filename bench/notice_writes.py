"""Hit-notice writes from many request threads at once, on PostgreSQL (ADR 0052 amendment).

    .venv/bin/python bench/notice_writes.py                          # 32 threads x 40, 1 record
    .venv/bin/python bench/notice_writes.py --records 20 --calls 10  # person-screening shaped
    PYTHONPATH=/tmp/old/src .venv/bin/python bench/notice_writes.py  # the code before a change

Each call is one request's ``hit_notices.notify_ids`` (A1 hitting B2's records, picked at
random from a fixed seed per thread), which is what a document check (one record) or a
person screening (up to 20) does after its answer is known. Prints requests/s, the
latency percentiles, and the notice rows, summed hits and ``hit.*`` audit rows written,
which must not depend on the code measured. The database is created and dropped.
"""

from __future__ import annotations

import argparse
import os
import random
import threading
import time

import sqlalchemy as sa

from palermo.access.viewer import Viewer
from palermo.coordination import hit_notices
from palermo.store.directory import Agency
from palermo.store.store import Store

PG_ADMIN = os.environ.get(
    "PALERMO_TEST_PG_ADMIN", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
DB = "palermo_bench_notices"


def run(store: Store, threads: int, calls: int, records: int) -> tuple[float, list[float]]:
    """(wall seconds, per-call latencies) for ``threads`` threads making ``calls`` each."""
    system = Viewer.system()
    for code in ("A1", "B2"):
        store.add_agency(system, Agency(code, code, "DE", "police", ()))
    viewer = store.add_user(system, "analyst", "A1", "analyst").viewer()
    latencies: list[float] = []
    start = threading.Barrier(threads)

    def work(seed: int) -> None:
        rng = random.Random(seed)
        start.wait()
        for _ in range(calls):
            ids = [f"b2.p{rng.randrange(100_000)}" for _ in range(records)]
            began = time.perf_counter()
            hit_notices.notify_ids(store, viewer, ids, "screening")
            latencies.append(time.perf_counter() - began)

    pool = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    began = time.perf_counter()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return time.perf_counter() - began, sorted(latencies)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=32)
    parser.add_argument("--calls", type=int, default=40, help="per thread")
    parser.add_argument("--records", type=int, default=1, help="records hit per call")
    args = parser.parse_args()
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{DB}"'))
    try:
        store = Store.open(PG_ADMIN.rsplit("/", 1)[0] + "/" + DB)
        wall, lat = run(store, args.threads, args.calls, args.records)
        with store.engine.connect() as conn:
            rows, hits = conn.execute(sa.text("SELECT count(*), sum(hits) FROM hit_notice")).one()
            audited = conn.execute(
                sa.text("SELECT count(*) FROM audit_log WHERE action LIKE 'hit.%'")
            ).scalar()
        store.close()
        n = len(lat)
        print(
            f"{args.threads} threads x {args.calls} calls, {args.records} record(s) each: "
            f"{n / wall:,.1f} requests/s, p50 {1000 * lat[n // 2]:.1f} ms, "
            f"p99 {1000 * lat[min(n - 1, int(n * 0.99))]:.1f} ms; notices {rows}, hits {hits}, "
            f"audit rows {audited}; load {os.getloadavg()[0]:.1f}"
        )
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
