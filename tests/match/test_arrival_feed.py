"""The arrival feed across processes (issue 15, ADR 0033): records committed by a process
that hosts no resolvers (a CLI import, another worker) are resolved by the node's host
from the database; two hosts on one database resolve each range of the feed once, and
write each ledger entry once. SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from palermo.ingest import import_file
from palermo.match import arrival_claim, arrivals, ledger
from palermo.match.resolution import judge
from palermo.match.xref import REJECT
from palermo.store.store import Store
from palermo.store.tables import xref_arrival, xref_ledger
from tests.match.test_resolution import add
from tests.store.factories import setup_agencies

PETROV = {"name": ["Ivan Petrov"], "birthDate": ["1980-02-03"], "passportNumber": ["XK1234567"]}
PETROV_AGAIN = {
    "name": ["PETROV Ivan"],
    "birthDate": ["1980-02-03"],
    "passportNumber": ["XK 1234567"],
}
SCOPE = "A1|plain"
PHONE = "+49 151 12345678"
RESOLVED_WITHIN = 30.0  # seconds for an incremental arrival on a loaded CI machine


def write_ftm(path: Path, rows: list[tuple[str, dict[str, list[str]]]]) -> Path:
    lines = [json.dumps({"id": i, "schema": "Person", "properties": p}) for i, p in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def identity_within(store: Store, record: str, seconds: float) -> str | None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = ledger.identity_of(store, SCOPE, record)
        if found is not None:
            return found
        time.sleep(0.05)
    return None


def cli_import(url: str, path: Path) -> None:
    """`palermo import` in a process of its own: it hosts no resolvers."""
    command = ["--db", url, "import", str(path), "--as", "analyst-a1"]
    done = subprocess.run(
        [sys.executable, "-c", "from palermo.cli.main import main; main()", *command],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_cli_import_in_another_process_is_resolved_by_the_nodes_host(
    store: Store, backend_url: str, tmp_path: Path
) -> None:
    analyst = setup_agencies(store, {"A1": ("EU",)})["A1"]
    host = arrivals.start(store, poll=0.2)
    try:
        assert import_file(store, analyst, write_ftm(tmp_path / "one.json", [("p1", PETROV)]))
        assert host.wait(120)  # the view's first arrival: a batch run builds the resolver
        first = ledger.identity_of(store, SCOPE, "a1.p1")
        assert first is not None
        built = host.resolvers[SCOPE].resolver

        cli_import(backend_url, write_ftm(tmp_path / "two.json", [("p2", PETROV_AGAIN)]))
        committed = time.monotonic()  # the subprocess has exited: its write is committed
        assert identity_within(store, "a1.p2", RESOLVED_WITHIN) == first
        took = time.monotonic() - committed
        assert host.resolvers[SCOPE].resolver is built  # incremental, not rebuilt
        assert "a1.p2" in built.records
        assert took < RESOLVED_WITHIN
    finally:
        arrivals.stop(store)


def test_a_write_through_a_second_store_wakes_nobody_and_is_still_resolved(
    store: Store, backend_url: str, tmp_path: Path
) -> None:
    """Another worker's write (a second Store on the same database, as `serve --workers`
    opens one per process): its announce reaches no host, the poll finds it."""
    analyst = setup_agencies(store, {"A1": ("EU",)})["A1"]
    other = Store.open(backend_url, upgrade=False)
    host = arrivals.start(store, poll=0.2)
    try:
        import_file(store, analyst, write_ftm(tmp_path / "one.json", [("p1", PETROV)]))
        assert host.wait(120)
        first = ledger.identity_of(store, SCOPE, "a1.p1")
        assert import_file(other, analyst, write_ftm(tmp_path / "two.json", [("p2", PETROV_AGAIN)]))
        assert arrivals.running(other) is None
        assert identity_within(store, "a1.p2", RESOLVED_WITHIN) == first
    finally:
        arrivals.stop(store)
        other.close()


def _ledger_rows(store: Store) -> list[tuple[str, str, str]]:
    query = sa.select(xref_ledger.c.action, xref_ledger.c.before, xref_ledger.c.after).where(
        xref_ledger.c.scope == SCOPE
    )
    with store.engine.connect() as conn:
        return [(str(a), str(b), str(c)) for a, b, c in conn.execute(query)]


def test_two_hosts_on_one_database_resolve_each_range_once(store: Store, backend_url: str) -> None:
    """Both hosts poll at the same moment after every write: each range is claimed by one
    of them, the ranges do not overlap, and no ledger entry is written twice."""
    viewers = setup_agencies(store, {"A1": ("EU",)})
    second = Store.open(backend_url, upgrade=False)
    hosts = [arrivals.Arrivals(store), arrivals.Arrivals(second)]  # polled by hand, at once
    for host in hosts:
        host.open_views()
    writes = [
        ("a1.p1", {"name": "Ivan Petrov", "passportNumber": "XK1234567"}),
        ("a1.p2", {"name": "Ivan Petrov", "phone": "+4915112345678"}),
        ("a1.p3", {"name": "Olga Sidorova", "birthDate": "1975-05-06"}),
        # holds both identifiers: joins p1's and p2's identities if they are apart
        ("a1.p4", {"name": "PETROV Ivan", "passportNumber": "XK 1234567", "phone": PHONE}),
        ("a1.p5", {"name": "SIDOROVA Olga", "birthDate": "1975-05-06"}),
    ]
    try:
        for eid, props in writes:
            add(store, viewers["A1"], eid, "owner", **props)
            barrier = threading.Barrier(len(hosts))

            def poll(host: arrivals.Arrivals, gate: threading.Barrier = barrier) -> None:
                gate.wait()
                host.poll_once()

            threads = [threading.Thread(target=poll, args=(h,)) for h in hosts]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=300)
        claims = sorted((c for h in hosts for c in h.claimed if c.scope == SCOPE),
                        key=lambda c: c.start)  # fmt: skip
        assert claims, "no host resolved anything"
        for before, after in itertools.pairwise(claims):
            assert before.end <= after.start, (before, after)  # no range resolved twice
        resolved = [i for c in claims for i in c.ids]
        assert sorted(resolved) == sorted(eid for eid, _ in writes)  # each arrival once
        entries = _ledger_rows(store)
        assert len(entries) == len(set(entries)), entries  # no entry written twice
        membership = ledger.membership(store, SCOPE)
        assert set(membership) == {eid for eid, _ in writes}
        assert membership["a1.p1"] == membership["a1.p2"] == membership["a1.p4"]
        with store.engine.connect() as conn:
            row = conn.execute(sa.select(xref_arrival).where(xref_arrival.c.scope == SCOPE)).one()
        assert row.holder is None and row.seq >= claims[-1].end
    finally:
        second.close()


def test_a_live_claim_is_left_alone_and_a_dead_hosts_claim_is_taken_over(
    store: Store,
) -> None:
    viewers = setup_agencies(store, {"A1": ("EU",)})
    host = arrivals.Arrivals(store)
    host.open_views()
    add(store, viewers["A1"], "a1.p1", "owner", name="Ivan Petrov", passportNumber="XK1234567")
    now = arrival_claim.now_ms()
    claimed = sa.update(xref_arrival).where(xref_arrival.c.scope == SCOPE)
    with store.engine.begin() as conn:
        start = conn.execute(
            sa.select(xref_arrival.c.seq).where(xref_arrival.c.scope == SCOPE)
        ).scalar()
        conn.execute(claimed.values(holder="elsewhere:1:x", lease_until=now + 60_000))
    assert host.poll_once() == 0  # another host is resolving it
    assert ledger.identity_of(store, SCOPE, "a1.p1") is None
    with store.engine.begin() as conn:
        conn.execute(claimed.values(lease_until=now - 1))  # that host died: its lease ran out
    assert host.poll_once() == 1
    assert ledger.identity_of(store, SCOPE, "a1.p1") is not None
    (claim,) = host.claimed
    assert claim.start == start and claim.ids == ("a1.p1",)


def test_a_judgement_from_another_process_rebuilds_the_view_to_obey_it(
    store: Store, backend_url: str, tmp_path: Path
) -> None:
    analyst = setup_agencies(store, {"A1": ("EU",)})["A1"]
    other = Store.open(backend_url, upgrade=False)  # the reviewing analyst's worker
    host = arrivals.start(store, poll=0.2)
    try:
        rows = [("p1", PETROV), ("p2", PETROV_AGAIN)]
        import_file(store, analyst, write_ftm(tmp_path / "both.json", rows))
        assert host.wait(120)
        assert ledger.identity_of(store, SCOPE, "a1.p1") == ledger.identity_of(
            store, SCOPE, "a1.p2"
        )
        judge(other, analyst, "a1.p1", "a1.p2", REJECT, "twins")
        assert host.wait(120)
        assert ledger.identity_of(store, SCOPE, "a1.p1") != ledger.identity_of(
            store, SCOPE, "a1.p2"
        )
    finally:
        arrivals.stop(store)
        other.close()


def test_two_processes_writing_one_views_ledger_write_each_merge_once(
    store: Store, backend_url: str
) -> None:
    """A host's rebuild and an analyst's "Re-resolve" through a worker may store the same
    merge at the same moment: the view's lock makes the second see the first's result."""
    other = Store.open(backend_url, upgrade=False)
    ledger.record(store, SCOPE, {"a1.p1": "idn-one", "a1.p2": "idn-two"})
    merged = {"a1.p1": "idn-one", "a1.p2": "idn-one"}
    gate = threading.Barrier(2)
    errors: list[BaseException] = []

    def slow_read(conn: Connection, scope: str, current: Mapping[str, str]) -> dict[str, str]:
        found = ledger.whole_view(conn, scope, current)
        time.sleep(0.3)  # both writers are between their read and their write
        return found

    def write(target: Store) -> None:
        gate.wait()
        try:
            ledger.record(target, SCOPE, merged, replace=False, read=slow_read)
        except BaseException as exc:  # reported below
            errors.append(exc)

    try:
        threads = [threading.Thread(target=write, args=(s,)) for s in (store, other)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not errors, errors
        merges = [e for e in _ledger_rows(store) if e[0] == ledger.MERGE]
        assert len(merges) == 1, merges
        assert ledger.membership(store, SCOPE) == merged
    finally:
        other.close()
