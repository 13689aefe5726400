"""Backups of a node: one consistent snapshot of every table, portable between backends.

A backup is a gzip'd tar with one JSON-lines file per table (``tables/NAME.jsonl``: one JSON
array of column values per row), written from a single read-only snapshot: a REPEATABLE READ
transaction on PostgreSQL, a read transaction on SQLite (WAL gives it a stable view while
writers go on). The tables are those the database holds (reflected, so a database at an older
schema revision backs up as it is), which at head are exactly ``tables.metadata``. Values are
plain JSON; times are ISO 8601 in UTC, so a SQLite node restores into PostgreSQL and back.

``manifest.json`` names the Alembic revision, the tables in load order with their columns,
row counts and the SHA-256 of each file. Secrets never appear in clear: the node's signing
key (its key file) and the deconfliction secret (a table) are sealed with a key derived from a
passphrase (argon2id, then XSalsa20-Poly1305 ``SecretBox``), and a sealed digest of the
manifest lets restore tell a wrong passphrase from a changed manifest, and a changed manifest
from a changed table file.

``restore`` loads into an empty database only (it never merges), in foreign-key order in one
transaction, resets PostgreSQL's sequences, upgrades an older revision to head, records the
restore in the audit chain and verifies the chain and every statement.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import os
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from nacl import pwhash
from nacl.exceptions import CryptoError
from nacl.secret import SecretBox
from nacl.utils import random as random_bytes
from sqlalchemy.engine import Connection, Engine

from palermo.store import audit, migrate
from palermo.store.audit import AuditReport

FORMAT = "palermo-backup"
FORMAT_VERSION = 1
# Tables whose rows are secrets: sealed with the passphrase like the node key.
SECRET_TABLES = frozenset({"deconfliction_secret", "pprl_federation_key"})
SKIP_TABLES = frozenset({"alembic_version"})
# Tables kept by triggers from another table's rows (migration 0024: each term's count of
# ``search_term`` rows): loaded last, their backed-up rows replacing what the triggers
# counted while the source rows went in (the same snapshot, so the same rows).
DERIVED_TABLES = frozenset({"search_term_count"})
NODE_TABLE = "node_self"
BATCH = 5_000
MIN_PASSPHRASE = 12
PASSPHRASE_ENV = "PALERMO_BACKUP_PASSPHRASE"
# argon2id cost: MODERATE (256 MiB, about a second) for real backups; tests may pass INTERACTIVE.
MODERATE = (pwhash.argon2id.OPSLIMIT_MODERATE, pwhash.argon2id.MEMLIMIT_MODERATE)
INTERACTIVE = (pwhash.argon2id.OPSLIMIT_INTERACTIVE, pwhash.argon2id.MEMLIMIT_INTERACTIVE)


class BackupError(ValueError):
    """A backup or restore that cannot go on; one line naming the file, table or setting."""


@dataclass(frozen=True)
class TableDump:
    name: str
    rows: int
    sha256: str
    encrypted: bool
    columns: list[dict[str, str]]

    @property
    def member(self) -> str:
        return f"tables/{self.name}.jsonl" + (".sealed" if self.encrypted else "")


@dataclass(frozen=True)
class BackupSummary:
    path: str
    revision: str
    tables: int
    rows: dict[str, int]
    node_key: bool


@dataclass(frozen=True)
class RestoreSummary:
    path: str
    revision: str
    upgraded_to: str
    rows: dict[str, int]
    key_file: str | None
    verify: AuditReport = field(repr=False)


# --- passphrase and sealing ------------------------------------------------------------


def read_passphrase(passphrase_file: Path | None) -> bytes:
    """The passphrase from ``--passphrase-file`` (first line) or ``$PALERMO_BACKUP_PASSPHRASE``."""
    if passphrase_file is not None:
        text = passphrase_file.read_text(encoding="utf-8").splitlines()
        raw, where = (text[0] if text else ""), f"--passphrase-file {passphrase_file}"
    else:
        raw, where = os.environ.get(PASSPHRASE_ENV, ""), f"${PASSPHRASE_ENV}"
        if not raw:
            raise BackupError(
                f"passphrase: give --passphrase-file or set ${PASSPHRASE_ENV} "
                "(the node key and the deconfliction secret are sealed with it)"
            )
    if len(raw) < MIN_PASSPHRASE:
        raise BackupError(f"passphrase ({where}): at least {MIN_PASSPHRASE} characters, please")
    return raw.encode("utf-8")


def _box(passphrase: bytes, salt: bytes, limits: tuple[int, int]) -> SecretBox:
    key = pwhash.argon2id.kdf(SecretBox.KEY_SIZE, passphrase, salt, *limits)
    return SecretBox(key)


# --- backup ------------------------------------------------------------------------------


def backup(
    engine: Engine, out: Path, passphrase: bytes, limits: tuple[int, int] = MODERATE
) -> BackupSummary:
    """Write a backup of the whole database to ``out`` (refused if it exists)."""
    if out.exists():
        raise BackupError(f"{out}: already exists; choose a new file name")
    salt = random_bytes(pwhash.argon2id.SALTBYTES)
    box = _box(passphrase, salt, limits)
    with engine.connect() as conn:
        _revision(conn)  # a database without palermo's schema: say so before anything else
    _record(engine, "backup.create", out.name, {})
    partial = out.with_name(out.name + ".partial")
    try:
        # Owner-only from the first byte: the tables hold personal data in clear.
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with (
            os.fdopen(fd, "wb") as raw,
            tarfile.open(fileobj=raw, mode="w:gz", compresslevel=6) as tar,
            _snapshot(engine) as conn,
        ):
            revision = _revision(conn)
            dumps = [_dump_table(tar, conn, table, box) for table in _tables(conn)]
            key_seed = _node_key(conn)
            if key_seed is not None:
                _add(tar, "secrets/node.key.sealed", box.encrypt(key_seed.encode("ascii")))
            manifest = _manifest(engine, revision, dumps, salt, limits, key_seed is not None)
            _add(tar, "manifest.json", manifest)
            _add(tar, "manifest.sealed", box.encrypt(hashlib.sha256(manifest).digest()))
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)
    rows = {d.name: d.rows for d in dumps}
    return BackupSummary(str(out), revision, len(dumps), rows, key_seed is not None)


@contextmanager
def _snapshot(engine: Engine) -> Iterator[Connection]:
    """One read-only transaction that sees one state of the whole database."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
            conn.exec_driver_sql("SET TRANSACTION READ ONLY")
            yield conn
            conn.rollback()
        return
    with engine.connect() as conn:
        # pysqlite opens transactions only for writes: begin one by hand so that every
        # SELECT below reads the same snapshot of the WAL.
        conn.exec_driver_sql("BEGIN")
        yield conn
        conn.rollback()


def _revision(conn: Connection) -> str:
    revision = MigrationContext.configure(conn).get_current_revision()
    if revision is None:
        raise BackupError("database: no palermo schema here (run `palermo init` first)")
    return revision


def _tables(conn: Connection) -> list[sa.Table]:
    """Every table of the database (as it is, at any revision) in foreign-key order."""
    reflected = sa.MetaData()
    reflected.reflect(conn)
    return [t for t in reflected.sorted_tables if t.name not in SKIP_TABLES]


def _kind(column: sa.Column[Any]) -> str:
    if isinstance(column.type, sa.DateTime):
        return "datetime"
    if isinstance(column.type, sa.Date):
        return "date"
    if isinstance(column.type, sa.LargeBinary):
        return "bytes"
    return "json"


def _dump_table(
    tar: tarfile.TarFile, conn: Connection, table: sa.Table, box: SecretBox
) -> TableDump:
    """Stream one table into the archive (through a temporary file: tar needs the size)."""
    columns = list(table.columns)
    kinds = [_kind(c) for c in columns]
    order = list(table.primary_key.columns) or columns
    result = conn.execution_options(stream_results=True, yield_per=BATCH).execute(
        sa.select(table).order_by(*order)
    )
    encrypted = table.name in SECRET_TABLES
    with tempfile.TemporaryFile() as spool:
        rows = 0
        for row in result:
            values = [_encode(v, k) for v, k in zip(row, kinds, strict=True)]
            spool.write(json.dumps(values, ensure_ascii=False, separators=(",", ":")).encode())
            spool.write(b"\n")
            rows += 1
        spool.seek(0)
        if encrypted:  # small tables: sealed in memory
            sealed = box.encrypt(spool.read())
            spool.seek(0)
            spool.truncate()
            spool.write(sealed)
            spool.seek(0)
        digest = _sha256(spool)
        spec = [{"name": c.name, "kind": k} for c, k in zip(columns, kinds, strict=True)]
        dump = TableDump(table.name, rows, digest, encrypted, spec)
        info = _info(dump.member, spool.seek(0, os.SEEK_END))
        spool.seek(0)
        tar.addfile(info, spool)
    return dump


def _sha256(fh: IO[bytes]) -> str:
    digest = hashlib.sha256()
    for chunk in iter(lambda: fh.read(1 << 20), b""):
        digest.update(chunk)
    return digest.hexdigest()


def _encode(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "datetime" and isinstance(value, datetime):
        aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return aware.isoformat()
    if kind == "date" and isinstance(value, date):
        return value.isoformat()
    if kind == "bytes":
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, (int, float, str, bool, list, dict)):
        return value
    return str(value)  # Decimal and other exact types: their text round-trips


def _node_key(conn: Connection) -> str | None:
    """The node's private key seed (base64), read from the key file its identity names."""
    if not sa.inspect(conn).has_table(NODE_TABLE):
        return None
    path = conn.execute(sa.text(f"SELECT key_file FROM {NODE_TABLE}")).scalar()
    if path is None:
        return None
    key_file = Path(str(path))
    if not key_file.is_file():
        raise BackupError(
            f"node key: {key_file} (named by this node's identity) is missing; "
            "a backup without it could not sign for this node"
        )
    return key_file.read_text(encoding="ascii").strip()


def _manifest(
    engine: Engine,
    revision: str,
    dumps: list[TableDump],
    salt: bytes,
    limits: tuple[int, int],
    node_key: bool,
) -> bytes:
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "palermo_version": _palermo_version(),
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "backend": engine.dialect.name,
        "schema_revision": revision,
        "kdf": {
            "algorithm": "argon2id",
            "salt": base64.b64encode(salt).decode("ascii"),
            "opslimit": limits[0],
            "memlimit": limits[1],
        },
        "node_key": node_key,
        "tables": [d.__dict__ for d in dumps],
    }
    return json.dumps(manifest, indent=1, ensure_ascii=False).encode("utf-8")


def _palermo_version() -> str:
    try:
        return version("palermo")
    except PackageNotFoundError:
        return "unknown"


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    tar.addfile(_info(name, len(data)), io.BytesIO(data))


def _info(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = 0o600
    info.mtime = int(datetime.now(UTC).timestamp())
    return info


def _record(engine: Engine, action: str, target: str, detail: dict[str, Any]) -> None:
    """An audit row for a backup or restore: both read (or write) every value."""
    with engine.begin() as conn:
        audit.append(conn, "_system", "system", action, target, detail)


# --- restore -----------------------------------------------------------------------------


@dataclass
class _Archive:
    """An opened backup whose manifest and files were checked against the passphrase."""

    tar: tarfile.TarFile
    manifest: dict[str, Any]
    box: SecretBox
    tables: list[TableDump]

    def rows(self, dump: TableDump) -> Iterator[list[Any]]:
        """The rows of one table, streamed (sealed tables are small and opened in memory)."""
        with self.open(dump.member) as fh:
            lines: Iterator[bytes] = iter(fh)
            if dump.encrypted:
                lines = iter(self.box.decrypt(fh.read()).splitlines())
            for line in lines:
                if line.strip():
                    yield json.loads(line)

    def read(self, member: str) -> bytes:
        with self.open(member) as fh:
            return fh.read()

    def open(self, member: str) -> IO[bytes]:
        try:
            fh = self.tar.extractfile(member)
        except KeyError:
            fh = None
        if fh is None:
            raise BackupError(f"backup: {member} is missing from the archive")
        return fh


def open_archive(path: Path, passphrase: bytes) -> _Archive:
    """Open and check a backup: readable, a palermo backup, the right passphrase, and every
    file as the manifest says. Raises ``BackupError`` naming what does not hold."""
    try:
        tar = tarfile.open(path, "r:gz")  # noqa: SIM115 - closed by the caller (or below)
    except (tarfile.TarError, gzip.BadGzipFile, EOFError) as exc:
        raise BackupError(f"{path}: not a palermo backup ({exc})") from None
    try:
        return _checked(path, tar, passphrase)
    except BaseException:
        tar.close()
        raise


def _checked(path: Path, tar: tarfile.TarFile, passphrase: bytes) -> _Archive:
    archive = _Archive(tar, {}, SecretBox(bytes(SecretBox.KEY_SIZE)), [])
    raw = archive.read("manifest.json")
    manifest = _parse_manifest(path, raw)
    kdf = manifest["kdf"]
    box = _box(passphrase, base64.b64decode(kdf["salt"]), (kdf["opslimit"], kdf["memlimit"]))
    try:
        sealed_digest = box.decrypt(archive.read("manifest.sealed"))
    except CryptoError:
        raise BackupError(f"passphrase: wrong passphrase for {path}") from None
    if sealed_digest != hashlib.sha256(raw).digest():
        raise BackupError(f"{path}: manifest.json was changed after the backup was made")
    archive.manifest, archive.box = manifest, box
    archive.tables = [TableDump(**t) for t in manifest["tables"]]
    for dump in archive.tables:
        with archive.open(dump.member) as fh:
            digest = _sha256(fh)
        if digest != dump.sha256:
            raise BackupError(
                f"table {dump.name}: {dump.member} was changed or damaged "
                "(its SHA-256 differs from the manifest); nothing restored"
            )
    return archive


def _parse_manifest(path: Path, raw: bytes) -> dict[str, Any]:
    try:
        manifest = json.loads(raw)
    except ValueError:
        raise BackupError(f"{path}: manifest.json is not JSON") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{path}: not a palermo backup (manifest format)")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"{path}: backup format version {manifest.get('format_version')!r}; "
            f"this palermo reads version {FORMAT_VERSION}"
        )
    return manifest


def restore(
    engine: Engine, path: Path, passphrase: bytes, key_file: Path | None = None
) -> RestoreSummary:
    """Restore the backup at ``path`` into the empty database behind ``engine``."""
    archive = open_archive(path, passphrase)
    with archive.tar:
        revision = str(archive.manifest["schema_revision"])
        head = _check_revision(engine, revision)
        seed, key_path = _key_target(archive, key_file)
        _check_empty(engine)
        _prepare_schema(engine, revision)
        with engine.begin() as conn:
            rows = _load(conn, archive)
            if key_path is not None:
                conn.execute(sa.text(f"UPDATE {NODE_TABLE} SET key_file = :path"),
                             {"path": str(key_path.resolve())})  # fmt: skip
            _reset_sequences(conn)
    if seed is not None and key_path is not None:
        _write_key(key_path, seed)
    if revision != head:
        migrate.upgrade(engine)
    _record(engine, "backup.restore", path.name, {"created_at": archive.manifest["created_at"],
                                                   "revision": revision})  # fmt: skip
    from palermo.store.store import Store

    report = Store(engine).audit_verify()
    where = str(key_path) if key_path is not None else None
    return RestoreSummary(str(path), revision, head, rows, where, report)


def _check_revision(engine: Engine, revision: str) -> str:
    """The code's head revision, after checking this code knows the backup's revision."""
    script = ScriptDirectory.from_config(migrate.alembic_config(engine))
    try:
        known = script.get_revision(revision)
    except CommandError:
        known = None
    if known is None:
        raise BackupError(
            f"schema revision: the backup is at {revision!r}, which this palermo does not know "
            "(restore it with the palermo version that made it, or a newer one)"
        )
    head = script.get_current_head()
    assert head is not None
    return head


def _key_target(archive: _Archive, key_file: Path | None) -> tuple[str | None, Path | None]:
    """The node key seed and where it goes; refused if a different key is already there."""
    if not archive.manifest.get("node_key"):
        return None, None
    seed = archive.box.decrypt(archive.read("secrets/node.key.sealed")).decode("ascii")
    if key_file is None:
        node = next((d for d in archive.tables if d.name == NODE_TABLE), None)
        row = next(archive.rows(node), None) if node is not None else None
        names = [c["name"] for c in node.columns] if node is not None else []
        if row is None or "key_file" not in names:
            raise BackupError("--key-file: the backup holds a node key but no key file path")
        key_file = Path(str(row[names.index("key_file")]))
    if key_file.exists() and key_file.read_text(encoding="ascii").strip() != seed:
        raise BackupError(
            f"--key-file: {key_file} already holds a different key; move it away or "
            "name another file with --key-file"
        )
    return seed, key_file


def _write_key(path: Path, seed: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(seed + "\n")


def _check_empty(engine: Engine) -> None:
    """Refuse a target holding any row: a restore never merges into live data."""
    with engine.connect() as conn:
        full = [
            t.name for t in _tables(conn) if conn.execute(sa.select(sa.literal(1)).select_from(t)
                                                          .limit(1)).first() is not None
        ]  # fmt: skip
    if full:
        raise BackupError(
            f"restore: the target database is not empty ({', '.join(full[:4])} "
            f"{'has' if len(full) == 1 else 'have'} rows); restore only into a new, empty database"
        )


def _prepare_schema(engine: Engine, revision: str) -> None:
    """The schema at the backup's revision. Empty tables of another revision (a database
    made by `palermo init`) hold nothing and are dropped first."""
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    if current == revision:
        return
    if current is not None:
        reflected = sa.MetaData()
        reflected.reflect(engine)
        reflected.drop_all(engine)
    migrate.upgrade(engine, revision)


def _load(conn: Connection, archive: _Archive) -> dict[str, int]:
    """Insert every table's rows in the target's foreign-key order."""
    target = {t.name: t for t in _tables(conn)}
    by_name = {d.name: d for d in archive.tables}
    missing = sorted(set(by_name) - set(target))
    if missing:
        raise BackupError(f"restore: table {missing[0]} of the backup does not exist here")
    counts: dict[str, int] = {}
    for name, table in target.items():
        if name in by_name and name not in DERIVED_TABLES:
            counts[name] = _load_table(conn, table, by_name[name], archive)
    for name, table in target.items():
        if name in by_name and name in DERIVED_TABLES:
            conn.execute(table.delete())
            counts[name] = _load_table(conn, table, by_name[name], archive)
    return counts


def _load_table(conn: Connection, table: sa.Table, dump: TableDump, archive: _Archive) -> int:
    names = [c["name"] for c in dump.columns]
    unknown = [n for n in names if n not in table.c]
    if unknown:
        raise BackupError(f"table {dump.name}: column {unknown[0]} does not exist here")
    columns = [table.c[n] for n in names]
    kinds = [c["kind"] for c in dump.columns]
    rows = (
        [_decode(v, k, c) for v, k, c in zip(row, kinds, columns, strict=True)]
        for row in archive.rows(dump)
    )
    if conn.dialect.name == "postgresql":
        loaded = _copy(conn, table, names, rows)
    else:
        loaded = _executemany(conn, table, names, rows)
    if loaded != dump.rows:
        raise BackupError(f"table {dump.name}: {loaded} rows read, the manifest says {dump.rows}")
    return loaded


def _copy(conn: Connection, table: sa.Table, names: list[str], rows: Iterator[list[Any]]) -> int:
    """PostgreSQL's COPY, in the restore's transaction: ten times the rate of INSERTs."""
    quote = conn.dialect.identifier_preparer.quote
    sql = f"COPY {quote(table.name)} ({', '.join(quote(n) for n in names)}) FROM STDIN"
    as_json = [isinstance(table.c[n].type, sa.JSON) for n in names]  # COPY takes their text
    loaded = 0
    with conn.connection.driver_connection.cursor() as cursor, cursor.copy(sql) as copy:  # type: ignore[union-attr]
        for values in rows:
            pairs = zip(values, as_json, strict=True)
            copy.write_row([json.dumps(v) if j and v is not None else v for v, j in pairs])
            loaded += 1
    return loaded


def _executemany(
    conn: Connection, table: sa.Table, names: list[str], rows: Iterator[list[Any]]
) -> int:
    """Plain DB-API ``executemany`` in batches (SQLite), values bound by SQLAlchemy's own
    type processors so they are stored exactly as a normal write stores them."""
    quote = conn.dialect.identifier_preparer.quote
    sql = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(n) for n in names)}) "
        f"VALUES ({', '.join('?' for _ in names)})"
    )
    processors = [table.c[n].type.bind_processor(conn.dialect) for n in names]
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    loaded = 0
    batch: list[tuple[Any, ...]] = []
    for values in rows:
        batch.append(
            tuple(v if p is None else p(v) for v, p in zip(values, processors, strict=True))
        )
        if len(batch) >= BATCH:
            cursor.executemany(sql, batch)
            loaded, batch = loaded + len(batch), []
    if batch:
        cursor.executemany(sql, batch)
        loaded += len(batch)
    cursor.close()
    return loaded


def _decode(value: Any, kind: str, column: sa.Column[Any]) -> Any:
    if value is None:
        return None
    if kind == "datetime":
        moment = datetime.fromisoformat(value)
        timezone = getattr(column.type, "timezone", False)
        return moment if timezone else moment.astimezone(UTC).replace(tzinfo=None)
    if kind == "date":
        return date.fromisoformat(value)
    if kind == "bytes":
        return base64.b64decode(value)
    return value


def _reset_sequences(conn: Connection) -> None:
    """PostgreSQL sequences past the restored ids (explicit ids do not advance them)."""
    if conn.dialect.name != "postgresql":
        return
    quote = conn.dialect.identifier_preparer.quote
    for table in _tables(conn):
        for column in table.primary_key.columns:
            sequence = conn.execute(
                sa.text("SELECT pg_get_serial_sequence(:t, :c)"),
                {"t": quote(table.name), "c": column.name},
            ).scalar()
            if sequence is None:
                continue
            top = conn.execute(sa.select(sa.func.max(column))).scalar()
            conn.execute(
                sa.text("SELECT setval(:s, :v, :called)"),
                {"s": sequence, "v": int(top) if top is not None else 1, "called": top is not None},
            )
