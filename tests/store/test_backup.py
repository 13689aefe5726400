"""Backups: a node's whole database to one file and back, on each backend and across them.

A small world (agencies, users, a token, persons, an analyst's judgement, a case, the audit
trail, a node identity with its key file, the deconfliction secret) is backed up, restored
into an empty database, and compared row by row with the source; the restored audit chain
and statements must verify. Broken inputs must fail with one clear line.
"""

from __future__ import annotations

import io
import json
import os
import tarfile
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from palermo.cli.main import app
from palermo.coordination import deconfliction
from palermo.coordination.cases import open_case
from palermo.exchange import registry
from palermo.match.resolution import judge
from palermo.model.sharing import Sharing
from palermo.store import migrate
from palermo.store.backup import INTERACTIVE, BackupError, backup, restore
from palermo.store.engine import create_engine
from palermo.store.store import Store
from palermo.store.tables import (
    audit_log,
    deconfliction_secret,
    metadata,
    node_self,
    statement,
)
from tests.conftest import PG_ADMIN_URL
from tests.store.factories import SYSTEM, person, setup_agencies

PASSPHRASE = b"correct horse battery staple"

MakeDb = Callable[[str], str]


@pytest.fixture
def make_db(tmp_path: Path) -> Iterator[MakeDb]:
    """Fresh, empty databases by backend name; PostgreSQL ones are dropped afterwards."""
    created: list[str] = []
    admin: Engine | None = None

    def make(backend: str) -> str:
        nonlocal admin
        if backend == "sqlite":
            return f"sqlite:///{tmp_path / f'{uuid.uuid4().hex[:8]}.db'}"
        if admin is None:
            admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        name = f"palermo_backup_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        try:
            with admin.connect() as conn:
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        except sa.exc.OperationalError as exc:
            if os.environ.get("CI"):
                pytest.fail(f"PostgreSQL is required in CI: {exc}")
            pytest.skip(f"PostgreSQL not reachable: {exc}")
        created.append(name)
        return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name

    yield make
    if admin is not None:
        with admin.connect() as conn:
            for name in created:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def build_world(store: Store, key_file: Path) -> None:
    """Everything a node holds that a restore must bring back."""
    viewers = setup_agencies(store, {"DE-BKA": ("EU",), "NL-KMAR": ("EU",), "TH-RTP": ()})
    anna, bram = viewers["DE-BKA"], viewers["NL-KMAR"]
    store.create_token(SYSTEM, anna.username, "laptop")
    eu = Sharing(groups=frozenset({"EU"}))
    store.write(anna, person("DE-BKA", "p1", eu, name="Ivan Petrov", birthDate="1980-02-03"))
    store.write(bram, person("NL-KMAR", "k7", eu, name="Iwan Petrow", birthDate="1980-02-03"))
    store.write(anna, person("DE-BKA", "p2", Sharing(), name="Anna Berg"))
    judge(store, anna, "de-bka.p1", "nl-kmar.k7", "confirm", "same passport")
    team = {"NL-KMAR": "member"}
    open_case(store, anna, "DE-2026-1", "Petrov ring", "sexual", ["de-bka.p1"], team)
    store.search(bram, "petrov")  # a read: in the audit trail too
    with store.transaction() as conn:
        registry.init_node(conn, "de-bka-1", "DE-BKA", key_file)
    deconfliction.node_secret(store)


def rows_of(engine: Engine, table: sa.Table) -> list[dict[str, Any]]:
    """A table's rows, times in UTC (SQLite returns them naive), in key order."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(table).order_by(*table.primary_key.columns)).mappings()
        return [{k: _utc(v) for k, v in row.items()} for row in rows]


def _utc(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value


PAIRS = [("sqlite", "sqlite"), ("postgresql", "postgresql"), ("sqlite", "postgresql"),
         ("postgresql", "sqlite")]  # fmt: skip


@pytest.mark.parametrize(("source", "target"), PAIRS)
def test_restore_brings_back_every_row(
    source: str, target: str, make_db: MakeDb, tmp_path: Path
) -> None:
    origin = Store.open(make_db(source))
    build_world(origin, tmp_path / "keys" / "node.key")
    archive = tmp_path / "node.tar.gz"
    summary = backup(origin.engine, archive, PASSPHRASE, INTERACTIVE)
    assert set(summary.rows) >= {t.name for t in metadata.sorted_tables}
    assert oct(archive.stat().st_mode & 0o777) == "0o600"

    engine = create_engine(make_db(target))
    restored = restore(engine, archive, PASSPHRASE, key_file=tmp_path / "new" / "node.key")
    assert restored.verify.ok, restored.verify.reason
    assert restored.verify.statements_checked == summary.rows["statement"] > 0

    for table in metadata.sorted_tables:
        if table.name in ("audit_log", "audit_head", "node_self"):
            continue
        assert rows_of(engine, table) == rows_of(origin.engine, table), table.name
    source_audit, target_audit = rows_of(origin.engine, audit_log), rows_of(engine, audit_log)
    assert target_audit[:-1] == source_audit  # every row, then the restore's own
    assert target_audit[-1]["action"] == "backup.restore"
    assert any(r["action"] == "backup.create" for r in source_audit)
    judgements = [r for r in rows_of(engine, statement) if r["schema"] == "MatchJudgement"]
    assert {r["value"] for r in judgements} >= {"confirm", "de-bka.p1", "nl-kmar.k7"}
    assert rows_of(engine, deconfliction_secret) == rows_of(origin.engine, deconfliction_secret)

    key_row = rows_of(engine, node_self)[0]
    assert key_row["public_key"] == rows_of(origin.engine, node_self)[0]["public_key"]
    assert Path(key_row["key_file"]) == (tmp_path / "new" / "node.key").resolve()
    new_key = (tmp_path / "new" / "node.key").read_text()
    assert new_key == (tmp_path / "keys" / "node.key").read_text()
    assert oct((tmp_path / "new" / "node.key").stat().st_mode & 0o777) == "0o600"

    # The node works on: new writes get fresh ids (PostgreSQL's sequences were reset).
    again = Store(engine)
    anna = again.viewer("analyst-de-bka")
    again.write(anna, person("DE-BKA", "p9", Sharing(), name="Olga Petrova"))
    assert again.audit_verify().ok
    origin.close()
    again.close()


def test_backup_is_a_consistent_snapshot_of_secrets(make_db: MakeDb, tmp_path: Path) -> None:
    """Neither the node key nor the deconfliction secret is readable in the archive."""
    store = Store.open(make_db("sqlite"))
    build_world(store, tmp_path / "node.key")
    archive = tmp_path / "b.tar.gz"
    backup(store.engine, archive, PASSPHRASE, INTERACTIVE)
    seed = (tmp_path / "node.key").read_text().strip()
    scalar = rows_of(store.engine, deconfliction_secret)[0]["scalar"]
    with tarfile.open(archive) as tar:
        everything = b"".join(
            f.read() for m in tar.getmembers() if (f := tar.extractfile(m)) is not None
        )
    assert seed.encode() not in everything and scalar.encode() not in everything
    assert b"Ivan Petrov" in everything  # the data itself is plain JSON lines


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_writes_during_a_backup_are_not_in_it(
    backend: str, make_db: MakeDb, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write committed while the tables are being dumped is in none of them: the
    statements, audit rows and head all come from the moment the snapshot began."""
    from palermo.store import backup as module

    store = Store.open(make_db(backend))
    viewers = setup_agencies(store, {"DE-BKA": ()})
    store.write(viewers["DE-BKA"], person("DE-BKA", "p1", Sharing(), name="Ivan Petrov"))
    dump_table = module._dump_table

    def dump_then_write(tar: Any, conn: Any, table: sa.Table, box: Any) -> Any:
        done = dump_table(tar, conn, table, box)
        if table.name == "audit_head":  # between the head and the log, the worst moment
            late = person("DE-BKA", "late", Sharing(), name="Late Writer")
            store.write(viewers["DE-BKA"], late)
        return done

    monkeypatch.setattr(module, "_dump_table", dump_then_write)
    archive = tmp_path / "during.tar.gz"
    summary = backup(store.engine, archive, PASSPHRASE, INTERACTIVE)
    assert store.count_statements() == summary.rows["statement"] + 2  # the write happened
    restored = restore(create_engine(make_db(backend)), archive, PASSPHRASE)
    assert restored.verify.ok, restored.verify.reason
    assert restored.rows["statement"] == summary.rows["statement"]
    assert restored.rows["audit_log"] == len(rows_of(store.engine, audit_log)) - 1
    store.close()


def test_wrong_passphrase_is_refused(make_db: MakeDb, tmp_path: Path) -> None:
    archive = small_backup(make_db, tmp_path)
    target = create_engine(make_db("sqlite"))
    with pytest.raises(BackupError, match="wrong passphrase"):
        restore(target, archive, b"not the passphrase at all")
    assert not sa.inspect(target).get_table_names()  # nothing touched


def test_tampered_table_is_named(make_db: MakeDb, tmp_path: Path) -> None:
    archive = small_backup(make_db, tmp_path)
    rewrite(archive, "tables/statement.jsonl", lambda data: data.replace(b"Petrov", b"Petrof"))
    with pytest.raises(BackupError, match=r"table statement: .* changed or damaged"):
        restore(create_engine(make_db("sqlite")), archive, PASSPHRASE)


def test_tampered_manifest_is_refused(make_db: MakeDb, tmp_path: Path) -> None:
    archive = small_backup(make_db, tmp_path)

    def forge(data: bytes) -> bytes:
        manifest = json.loads(data)
        for table in manifest["tables"]:
            table["sha256"] = "0" * 64
        return json.dumps(manifest).encode()

    rewrite(archive, "manifest.json", forge)
    with pytest.raises(BackupError, match=r"manifest\.json was changed"):
        restore(create_engine(make_db("sqlite")), archive, PASSPHRASE)


def test_non_empty_target_is_refused(make_db: MakeDb, tmp_path: Path) -> None:
    archive = small_backup(make_db, tmp_path)
    busy = Store.open(make_db("sqlite"))
    setup_agencies(busy, {"FR-OCRTEH": ()})
    with pytest.raises(BackupError, match=r"not empty \(agency, .*app_user"):
        restore(busy.engine, archive, PASSPHRASE)
    assert [r["code"] for r in rows_of(busy.engine, metadata.tables["agency"])] == ["FR-OCRTEH"]


def test_an_initialised_empty_target_is_accepted(make_db: MakeDb, tmp_path: Path) -> None:
    """`palermo init` then restore: the empty schema is no obstacle."""
    archive = small_backup(make_db, tmp_path)
    target = Store.open(make_db("sqlite"))
    assert restore(target.engine, archive, PASSPHRASE).verify.ok


def test_an_older_revision_is_upgraded_after_loading(make_db: MakeDb, tmp_path: Path) -> None:
    """A backup made before an upgrade restores at its revision and is then migrated."""
    engine = create_engine(make_db("sqlite"))
    migrate.upgrade(engine, "0006")
    old = Store(engine)
    setup_agencies(old, {"DE-BKA": ("EU",), "NL-KMAR": ()})
    archive = tmp_path / "old.tar.gz"
    assert backup(engine, archive, PASSPHRASE, INTERACTIVE).revision == "0006"
    target = create_engine(make_db("sqlite"))
    restored = restore(target, archive, PASSPHRASE)
    assert restored.verify.ok, restored.verify.reason
    assert (restored.revision, restored.upgraded_to) == ("0006", heads(target))
    assert [r["code"] for r in rows_of(target, metadata.tables["agency"])] == ["DE-BKA", "NL-KMAR"]


def test_cli_round_trip_and_errors(make_db: MakeDb, tmp_path: Path) -> None:
    source = make_db("sqlite")
    build_world(Store.open(source), tmp_path / "node.key")
    secret = tmp_path / "pass.txt"
    secret.write_text(PASSPHRASE.decode() + "\n")
    archive = str(tmp_path / "cli.tar.gz")
    runner = CliRunner()
    args = ["--db", source, "backup", archive, "--passphrase-file", str(secret)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "node key sealed" in result.output

    target = make_db("sqlite")
    args = ["--db", target, "restore", archive, "--key-file", str(tmp_path / "k2")]
    result = runner.invoke(app, [*args, "--passphrase-file", str(secret), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["verify"]["ok"] and report["rows"]["statement"] > 0

    result = runner.invoke(app, ["--db", make_db("sqlite"), "backup", str(tmp_path / "x.tar.gz")],
                           env={"PALERMO_BACKUP_PASSPHRASE": ""})  # fmt: skip
    assert isinstance(result.exception, BackupError)
    assert "PALERMO_BACKUP_PASSPHRASE" in str(result.exception)


def small_backup(make_db: MakeDb, tmp_path: Path) -> Path:
    store = Store.open(make_db("sqlite"))
    viewers = setup_agencies(store, {"DE-BKA": (), "NL-KMAR": ()})
    store.write(viewers["DE-BKA"], person("DE-BKA", "p1", Sharing(), name="Ivan Petrov"))
    archive = tmp_path / f"small-{uuid.uuid4().hex[:6]}.tar.gz"
    backup(store.engine, archive, PASSPHRASE, INTERACTIVE)
    store.close()
    return archive


def rewrite(archive: Path, member: str, change: Callable[[bytes], bytes]) -> None:
    """Rewrite one member of the archive as an attacker (or a bad disk) would."""
    with tarfile.open(archive) as tar:
        members = [(m, tar.extractfile(m)) for m in tar.getmembers()]
        contents = [(m, f.read() if f is not None else b"") for m, f in members]
    with tarfile.open(archive, "w:gz") as tar:
        for info, data in contents:
            if info.name == member:
                data = change(data)
                assert data, "the change must leave something"
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def heads(engine: Engine) -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(migrate.alembic_config(engine)).get_current_head()
    assert head is not None
    return head
