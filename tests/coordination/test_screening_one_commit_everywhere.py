"""Every screening interface commits its audit row with its hit notices (ADR 0052 amendment,
issue 18): the web forms, ``palermo screen``, the MRZ API route and the manifest API routes,
like the document and person API routes (`tests/api/test_screening_one_commit.py`). A
screening hitting another agency's record is one transaction holding its ``screen.*`` audit
row and the ``hit.notice`` rows after it; a miss is still audited, alone; a failed write
leaves no audit row and answers an error (the web an error page, the CLI one line and a
non-zero exit). SQLite and PostgreSQL.

Transactions are watched on every engine (the CLI opens its own store): for each commit, the
notices it inserted and the screening and notice audit rows it appended. Building the index
audits its reads (``read`` rows, in commits of their own); those are left out.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from palermo.api.app import create_app
from palermo.cli.main import main
from palermo.coordination import hit_notices
from palermo.store.store import Store
from tests.coordination.test_screening_notices_everywhere import (
    SCREENER,
    Interfaces,
    manifest_csv,
    number,
    web_login,
    world,
)
from tests.match.test_mrz_entry_points import td3

__all__ = ["world"]  # the fixture, used by name
INSERT = re.compile(r"\s*INSERT\s+INTO\s+\"?(\w+)", re.IGNORECASE)
ACTION = re.compile(r"'((?:screen|hit)\.[a-z]+)'")  # an audit row's action among its values
HITS = {  # kind -> (text that hits A1's shared records, the audit row's action)
    "person": ("Olga Petrov", "screen.person"),
    "document": (number(1), "screen.document"),
    "mrz": (number(1), "screen.mrz"),
    "manifest": (number(0), "screen.manifest"),
}
MISS = number(9)  # no record holds it


class Commits:
    """What each committed transaction wrote, on every engine: ``hit_notice`` for notice
    rows, and the action of each screening or notice audit row (``screen.*``, ``hit.*``)."""

    def __init__(self) -> None:
        self.pending: dict[int, set[str]] = {}
        self.done: list[set[str]] = []

    def executed(self, conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        found = INSERT.match(statement)
        table = found.group(1).lower() if found else ""
        wrote = self.pending.setdefault(id(conn), set())
        if table == "hit_notice":
            wrote.add(table)
        elif table == "audit_log":
            params = rest[0] if rest else ()
            wrote.update(ACTION.findall(repr(params)))

    def committed(self, conn: Any) -> None:
        self.done.append(self.pending.pop(id(conn), set()))

    def rolled_back(self, conn: Any) -> None:
        self.pending.pop(id(conn), None)

    def writing(self) -> list[set[str]]:
        """The commits that wrote notices or screening/notice audit rows, oldest first."""
        return [wrote for wrote in self.done if wrote]


@pytest.fixture
def commits() -> Iterator[Commits]:
    seen = Commits()
    hooks = (
        ("after_cursor_execute", seen.executed),
        ("commit", seen.committed),
        ("rollback", seen.rolled_back),
    )
    for name, fn in hooks:
        sa.event.listen(sa.engine.Engine, name, fn)
    yield seen
    for name, fn in hooks:
        sa.event.remove(sa.engine.Engine, name, fn)


def tail(store: Store, since: int) -> list[tuple[str, str]]:
    """(action, username) of the screening and notice audit rows written since ``since``
    rows (not the ``read`` rows of building an index)."""
    rows = store.audit_entries()[since:]
    return [(e.action, e.username) for e in rows if e.action.startswith(("screen.", "hit."))]


def assert_one_commit(store: Store, commits: Commits, since: int, action: str) -> None:
    """The screening's audit row and its notices' rows, in that order, in one commit."""
    rows = tail(store, since)
    assert rows[0] == (action, SCREENER), rows
    assert len(rows) > 1 and all(r == ("hit.notice", SCREENER) for r in rows[1:]), rows
    assert commits.writing() == [{action, "hit.notice", "hit_notice"}], commits.done


def broken(*args: object) -> dict[object, int]:
    raise sa.exc.OperationalError("INSERT", {}, Exception("the disk is full"))


def web_form(client: TestClient, csrf: str, kind: str, text: str) -> Any:
    """Post the screening page's form of ``kind`` (the screener is logged in)."""
    form = {"csrf_token": csrf}
    if kind == "manifest":
        files = {"manifest": ("m.csv", manifest_csv(text).encode(), "text/csv")}
        return client.post("/screening/manifest", data=form, files=files)
    field = {"person": "name", "document": "number", "mrz": "mrz"}[kind]
    value = td3(text) if kind == "mrz" else text
    return client.post(f"/screening/{kind}", data={**form, field: value})


def cli(
    url: str, tmp: Path, kind: str, text: str, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[int, str, str]:  # fmt: skip
    """``palermo screen KIND ...`` through the entry point: (exit code, stdout, stderr)."""
    if kind == "manifest":
        path = tmp / "manifest.csv"
        path.write_text(manifest_csv(text), encoding="utf-8")
        args = [str(path)]
    else:
        args = [td3(text) if kind == "mrz" else text]
    argv = ["palermo", "--db", url, "screen", kind, *args, "--as", SCREENER, "--json"]
    monkeypatch.setattr(sys, "argv", argv)
    capsys.readouterr()
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("kind", sorted(HITS))
def test_the_page_commits_its_audit_row_with_its_notices(
    world: Store, commits: Commits, kind: str
) -> None:
    text, action = HITS[kind]
    with TestClient(create_app(world, rate_limit=0)) as client:
        csrf = web_login(client)
        since = len(world.audit_entries())
        assert web_form(client, csrf, "document", MISS).status_code == 200  # builds the index
        assert tail(world, since) == [("screen.document", SCREENER)]  # a miss: audited alone
        since, commits.done[:] = len(world.audit_entries()), []
        got = web_form(client, csrf, kind, text)
        assert got.status_code == 200, got.text
    assert_one_commit(world, commits, since, action)


@pytest.mark.parametrize("kind", sorted(HITS))
def test_the_cli_commits_its_audit_row_with_its_notices(
    world: Store,
    backend_url: str,
    tmp_path: Path,
    commits: Commits,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
) -> None:
    since = len(world.audit_entries())
    code, _, err = cli(backend_url, tmp_path, "document", MISS, capsys, monkeypatch)
    assert code == 0, err
    assert tail(world, since) == [("screen.document", SCREENER)]  # a miss: audited alone
    text, action = HITS[kind]
    since, commits.done[:] = len(world.audit_entries()), []
    code, _, err = cli(backend_url, tmp_path, kind, text, capsys, monkeypatch)
    assert code in (0, 3), err  # 3: a reported document
    assert_one_commit(world, commits, since, action)


def api_screen(client: TestClient, headers: dict[str, str], kind: str, text: str) -> Any:
    """The MRZ route and the two manifest routes (JSON and CSV)."""
    if kind == "mrz":
        return client.post("/api/v1/screening/mrz", json={"mrz": td3(text)}, headers=headers)
    if kind == "manifest":
        rows = [{"name": f"Olga {text}", "document_number": text}]
        return client.post("/api/v1/screening/manifest", json={"passengers": rows}, headers=headers)
    body = manifest_csv(text).encode()
    return client.post("/api/v1/screening/manifest.csv", content=body, headers=headers)


@pytest.mark.parametrize("kind", ["mrz", "manifest", "manifest.csv"])
def test_the_mrz_and_manifest_routes_commit_their_audit_row_with_their_notices(
    world: Store, backend_url: str, tmp_path: Path, commits: Commits, kind: str
) -> None:
    text, action = HITS[kind.split(".")[0]]
    with TestClient(create_app(world, rate_limit=0)) as client:
        h = Interfaces(world, backend_url, client, tmp_path).headers
        since = len(world.audit_entries())
        assert api_screen(client, h, kind, MISS).status_code == 200  # builds the index
        assert [a for a, _ in tail(world, since)] == [action]  # a miss: audited alone
        since, commits.done[:] = len(world.audit_entries()), []
        got = api_screen(client, h, kind, text)
        assert got.status_code == 200, got.text
    assert_one_commit(world, commits, since, action)


@pytest.mark.parametrize("kind", sorted(HITS))
def test_a_failed_write_on_the_page_shows_the_error_and_audits_nothing(
    world: Store, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    text, _ = HITS[kind]
    with TestClient(create_app(world, rate_limit=0)) as client:
        csrf = web_login(client)
        assert web_form(client, csrf, "document", MISS).status_code == 200  # builds the index
        since = len(world.audit_entries())
        monkeypatch.setattr(hit_notices, "_insert_new", broken)
        got = web_form(client, csrf, kind, text)
    assert got.status_code == 503 and "Screening not recorded" in got.text, got.text
    assert "the disk is full" not in got.text  # the cause goes to the log, not the page
    assert "Olga" not in got.text.split("<main", 1)[-1]  # no answer shown
    assert tail(world, since) == []


@pytest.mark.parametrize("kind", sorted(HITS))
def test_a_failed_write_in_the_cli_exits_non_zero_and_audits_nothing(
    world: Store,
    backend_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
) -> None:
    text, action = HITS[kind]
    since = len(world.audit_entries())
    monkeypatch.setattr(hit_notices, "_insert_new", broken)
    code, out, err = cli(backend_url, tmp_path, kind, text, capsys, monkeypatch)
    assert code == 2 and out == "", (out, err)  # no answer printed
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith(f"error: {action}: not recorded") and "disk is full" in lines[0]
    assert tail(world, since) == []


@pytest.mark.parametrize("kind", ["mrz", "manifest", "manifest.csv"])
def test_a_failed_write_on_the_mrz_and_manifest_routes_audits_nothing(
    world: Store, backend_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    text, _ = HITS[kind.split(".")[0]]
    with TestClient(create_app(world, rate_limit=0)) as client:
        h = Interfaces(world, backend_url, client, tmp_path).headers
        assert api_screen(client, h, kind, MISS).status_code == 200  # builds the index
        since = len(world.audit_entries())
        monkeypatch.setattr(hit_notices, "_insert_new", broken)
        with pytest.raises(sa.exc.OperationalError):
            api_screen(client, h, kind, text)
    assert tail(world, since) == []  # rolled back together: no answer went out either
