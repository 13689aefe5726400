"""Hit-notice benchmark: one request's notices, batched vs one upsert per hit.

A person screening that hits N foreign records writes N notices (or counts them up) in
the request. ``hit_notices.notify_in`` writes them with one multi-row insert and one
count-up per owner; the reference here is the previous rule, two statements per hit
(``hit_notices._upsert``). Both run on the same store in the same run, alternating:

    .venv/bin/python bench/hit_notices.py                  # 20 hits, 30 requests each
    .venv/bin/python bench/hit_notices.py --hits 50 --backends sqlite
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.table import Table

from palermo.access.viewer import Viewer
from palermo.coordination import hit_notices
from palermo.coordination.hit_notices import HitRef
from palermo.store import audit
from palermo.store.directory import Agency
from palermo.store.store import Store
from palermo.store.tables import hit_notice
from store import fresh_pg  # bench/store.py

OWNERS = ("DE-BKA", "NL-KMAR")


def per_hit(store: Store, searcher: Viewer, hits: list[HitRef]) -> None:
    """The previous ``notify_in``: a deadline query per owner, then insert-or-count-up and
    the audit row per hit."""
    now = datetime.now(UTC)
    with store.transaction() as conn:
        hours = {o: hit_notices._deadline_hours(conn, o) for o in {h.owner for h in hits}}
        events: list[audit.Event] = []
        for hit in hits:
            row = {
                "owner_agency": hit.owner,
                "record_id": hit.record_id,
                "searcher_agency": searcher.agency,
                "channel": "screening",
                "purpose": None,
                "day": now.date().isoformat(),
                "hits": 1,
                "created_at": now,
                "last_hit_at": now,
                "due_at": now + timedelta(hours=hours[hit.owner]),
                "status": hit_notices.OPEN,
                "reminders": 0,
            }
            notice_id, new = hit_notices._upsert(conn, row, hit_notice.c.hits + 1)
            detail = {"notice": notice_id, "owner": hit.owner, "channel": "screening"}
            action = "hit.notice" if new else "hit.repeat"
            events.append((searcher.agency, searcher.username, action, hit.record_id, detail))
        audit.append_events(conn, events)


def batched(store: Store, searcher: Viewer, hits: list[HitRef]) -> None:
    hit_notices.notify(store, searcher, hits, "screening")


def run(url: str, hits: int, requests: int) -> dict[str, list[float]]:
    store = Store.open(url)
    system = Viewer.system()
    for code in (*OWNERS, "TH-RTP"):
        store.add_agency(system, Agency(code, code, code[:2], "police", ()))
    searcher = store.add_user(system, "bench-th", "TH-RTP", "analyst").viewer()
    times: dict[str, list[float]] = {"per hit": [], "batched": []}
    for n in range(requests):
        # half the records new today, half hit again (counted up)
        refs = [
            HitRef(f"{OWNERS[i % 2].lower()}.p{(n * hits // 2) + i}", OWNERS[i % 2])
            for i in range(hits)
        ]
        order = (("per hit", per_hit), ("batched", batched))
        for name, write in order if n % 2 == 0 else order[::-1]:
            prefix = "x" if name == "per hit" else "y"  # disjoint records per path
            mine = [HitRef(f"{prefix}{r.record_id}", r.owner) for r in refs]
            started = time.perf_counter()
            write(store, searcher, mine)
            times[name].append((time.perf_counter() - started) * 1000)
    store.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hits", type=int, default=20)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    table = Table(title=f"{args.hits} hits per request, {args.requests} requests per path")
    for col in ("backend", "per hit p50 ms", "batched p50 ms", "per hit / batched"):
        table.add_column(col, justify="right")
    with tempfile.TemporaryDirectory() as tmp:
        for backend in args.backends.split(","):
            url = (
                f"sqlite:///{Path(tmp) / 'hits.db'}"
                if backend == "sqlite"
                else fresh_pg(args.pg, "palermo_bench_hits")
            )
            times = run(url, args.hits, args.requests)
            a, b = statistics.median(times["per hit"]), statistics.median(times["batched"])
            table.add_row(backend, f"{a:.1f}", f"{b:.1f}", f"{a / b:.2f}x")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    table.caption = f"load average {load}, {os.cpu_count()} cores"
    Console(width=120).print(table)


if __name__ == "__main__":
    main()
