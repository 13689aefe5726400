"""`palermo identity` (issue 15): resolve fills the ledger, `ledger` lists it (text and
JSON, paged), `undo` restores both identities; another agency's undo is "not found" and
prints one line. Both backends."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from palermo.access.viewer import NotVisible
from palermo.match import ledger
from palermo.store.store import Store
from tests.cli.test_cli_coordination import js, run
from tests.match.test_resolution import add
from tests.store.factories import setup_agencies


@pytest.fixture
def node(store: Store) -> Store:
    v = setup_agencies(store, {"A1": (), "B2": ()})
    add(store, v["A1"], "a1.one", "owner", name="Ivan Petrov", passportNumber="XK1234567")
    add(store, v["A1"], "a1.two", "owner", name="Ivan Petrov", phone="+7 912 345 6789")
    return store


def test_resolve_ledger_undo(node: Store) -> None:
    store = node
    code, out = run(store, "identity", "resolve", "--as", "analyst-a1")
    assert code == 0 and "2 records, 2 identities" in out and "new ledger entries: none" in out
    scope = ledger.scope_of(store.viewer("analyst-a1"))
    before = ledger.membership(store, scope)
    add(store, store.viewer("analyst-a1"), "a1.three", "owner", name="Petrov Ivan",
        passportNumber="XK1234567", phone="+7 912 345 6789")  # fmt: skip
    done = js(store, "identity", "resolve", "--as", "analyst-a1")
    assert isinstance(done, dict) and len(done["entries"]) == 1
    (seq,) = done["entries"]
    code, out = run(store, "identity", "ledger", "--as", "analyst-a1")
    assert code == 0 and f"#{seq} merge by model" in out
    assert "a1.three" in out and before["a1.one"] in out and "1-1 of 1" in out
    page = js(store, "identity", "ledger", "--as", "analyst-a1", "--limit", "1")
    assert isinstance(page, dict) and page["total"] == 1 and page["items"][0]["seq"] == seq

    with pytest.raises(NotVisible, match=f"no ledger entry {seq}"):
        run(store, "identity", "undo", str(seq), "--as", "analyst-b2")
    code, out = run(store, "identity", "undo", str(seq), "--as", "analyst-a1", "--reason", "twins")
    assert code == 0 and f"undone: entry #{seq}" in out
    now = ledger.membership(store, scope)
    assert now["a1.one"] == before["a1.one"] and now["a1.two"] == before["a1.two"]
    assert now["a1.three"] in (before["a1.one"], before["a1.two"])
    page = js(store, "identity", "ledger", "--as", "analyst-a1")
    assert isinstance(page, dict)
    assert [e["action"] for e in page["items"]] == ["undo", "merge"]


def test_errors_are_one_line(node: Store, backend_url: str) -> None:
    env = {**os.environ, "PALERMO_DB": backend_url}
    palermo = [sys.executable, "-c", "from palermo.cli.main import main; main()"]
    result = subprocess.run(
        [*palermo, "identity", "undo", "12345", "--as", "analyst-b2"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == "error: seq: no ledger entry 12345 in your view"
    result = subprocess.run(
        [*palermo, "identity", "ledger", "--as", "analyst-a1", "--limit", "0", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    assert "'--limit'" in result.stderr
