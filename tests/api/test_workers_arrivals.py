"""`palermo serve --workers 2` on PostgreSQL, end to end (issues 15 and 18).

A document reported stolen through one worker is a hit through every worker within 1 s;
records a CLI import commits (a process of its own, hosting no resolvers) are resolved by
the serving node's resolvers and end in one identity, read through the workers' API.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from palermo.model.sharing import Sharing
from palermo.model.statement import BASE, Statement
from palermo.store.store import Store
from tests.api.served_workers import serving_workers
from tests.api.test_workers import REFLECTED_WITHIN
from tests.conftest import fresh_pg_database
from tests.match.test_arrival_feed import PETROV, PETROV_AGAIN, write_ftm
from tests.store.factories import SYSTEM, setup_agencies

DB = f"palermo_workers_arrivals_{os.getpid()}"
OLD, NEW = "AB1111111", "CD2222222"
CLI = [sys.executable, "-c", "from palermo.cli.main import main; main()"]


@pytest.fixture
def pg_url() -> Iterator[str]:
    yield from fresh_pg_database(DB)  # its own database: the workers are other processes


def _report(number: str) -> list[Statement]:
    sharing, eid = Sharing(), "a1.r1"
    return [
        Statement(eid, "DocumentReport", BASE, eid, "A1", "r1", sharing),
        Statement(eid, "DocumentReport", "documentNumber", number, "A1", "r1", sharing),
        Statement(eid, "DocumentReport", "reportStatus", "stolen", "A1", "r1", sharing),
    ]


def _status(base_url: str, headers: dict[str, str], number: str) -> str:
    with httpx.Client(base_url=base_url, timeout=10) as fresh:  # a new connection: any worker
        answer = fresh.post("/api/v1/screening/document", json={"number": number}, headers=headers)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["status"])


def _identity(client: httpx.Client, headers: dict[str, str], record: str, seconds: float) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        answer = client.get(f"/api/v1/identities/of/{record}", headers=headers)
        if answer.status_code == 200:
            return str(answer.json()["id"])
        time.sleep(0.2)
    raise AssertionError(f"{record} was not resolved within {seconds} s")


def _cli_import(url: str, path: Path, cwd: Path) -> None:
    args = ["--db", url, "import", str(path), "--as", "analyst-a1"]
    done = subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=300, cwd=cwd)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.slow
def test_two_workers_see_a_stolen_report_and_resolve_cli_imports(
    pg_url: str, tmp_path: Path
) -> None:
    store = Store.open(pg_url)
    viewers = setup_agencies(store, {"A1": ()})
    store.write(viewers["A1"], _report(OLD))
    headers = {"Authorization": f"Bearer {store.create_token(SYSTEM, 'analyst-a1', 'w')}"}
    try:
        with serving_workers(pg_url, tmp_path, "--sync-interval", "0") as client:
            base = str(client.base_url)
            for _ in range(20):  # new connections spread over both workers: each builds an index
                assert _status(base, headers, NEW) == "clear"
            change = {"action": "replace", "prop": "documentNumber", "value": OLD, "new_value": NEW}
            path = "/api/v1/entities/a1.r1/corrections"
            reported = client.post(path, json=change, headers=headers)
            assert reported.status_code == 200, reported.text
            time.sleep(REFLECTED_WITHIN)
            for _ in range(20):
                assert _status(base, headers, NEW) == "stolen"
                assert _status(base, headers, OLD) == "clear"

            _cli_import(pg_url, write_ftm(tmp_path / "one.json", [("p1", PETROV)]), tmp_path)
            first = _identity(client, headers, "a1.p1", 300)  # the view's first build
            _cli_import(pg_url, write_ftm(tmp_path / "two.json", [("p2", PETROV_AGAIN)]), tmp_path)
            committed = time.monotonic()
            assert _identity(client, headers, "a1.p2", 60) == first
            took = time.monotonic() - committed
            answer = client.get("/api/v1/identities/of/a1.p2", headers=headers).json()
            assert {r["id"] for r in answer["records"]} == {"a1.p1", "a1.p2"}
            print(json.dumps({"cli_import_resolved_after_s": round(took, 2)}))
    finally:
        store.close()
