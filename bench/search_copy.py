"""A benchmark fixture loader: statements and their search terms by COPY (PostgreSQL) or
prepared inserts into index-less tables (SQLite).

``Store.write`` is the real write path (dedupe against what is stored, audit row, change
feed, terms in the same transaction); on this shared 2-core machine it loads about 1,000
statements a second, so 10M statements would take hours. A search benchmark only needs the
rows: this writes the same statements with the same content ids, keys, policies, aliases
and search terms (``search_index.terms``, the function every write uses), COPYed with the
secondary indexes and foreign keys dropped and rebuilt afterwards. It bypasses the audit
chain and the dedupe, so it is for the benchmark's own throw-away database only
(``bench/search.py --copy``), never for a node.

SQLite (``copy_statements_sqlite``): the same rows through ``executemany`` with the
secondary indexes dropped and rebuilt from their own SQL afterwards, and the term counts
(``search_term_count``, migration 0024) made in one grouped insert at the end: the insert
trigger skips while ``search_term_count_deferred`` holds a row (migration 0025), as in the
bulk writer. 10M statements through ``Store.write`` would take 42 minutes or more here.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from palermo.model.statement import Statement
from palermo.store import search_index
from palermo.store.bulk import COLUMNS, _Policies, content_hashes
from palermo.store.store import Store
from palermo.store.tables import statement as statement_table
from palermo.store.writer import ensure_aliases, ensure_policies

TABLES = ("statement", "search_term")
LOAD_CACHE_KIB = 4 * 1024 * 1024  # SQLite's page cache while loading: 4 GiB


def copy_statements(store: Store, chunks: Iterable[tuple[str, list[Statement]]]) -> int:
    """COPY every statement of ``chunks`` and its terms; returns the statements written."""
    if store.engine.dialect.name == "sqlite":
        return copy_statements_sqlite(store, chunks)
    now = datetime.now(UTC)
    policies = _Policies()
    known: set[str] = set()
    count = 0
    with store.engine.begin() as conn:
        rebuild = _drop_indexes(conn)
        raw = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        seq = int(conn.execute(sa.text("SELECT coalesce(max(seq), 0) FROM statement")).scalar_one())
        names = ", ".join(f'"{c}"' for c in ("seq", *COLUMNS))
        for _agency, batch in chunks:
            rows, terms = _prepared(conn, batch, seq, policies, known, now)
            seq += len(rows)
            with raw.copy(f"COPY statement ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            with raw.copy(f"COPY search_term ({search_index.INSERT_COLUMNS}) FROM STDIN") as copy:
                for term in terms:
                    copy.write_row(term)
            count += len(rows)
        raw.execute("SELECT setval(pg_get_serial_sequence('statement', 'seq'), %s)", (seq,))
        for command in rebuild:
            raw.execute(command)
        raw.close()
    return count


def copy_statements_sqlite(store: Store, chunks: Iterable[tuple[str, list[Statement]]]) -> int:
    """``copy_statements`` on SQLite: one transaction, indexes rebuilt after."""
    now = datetime.now(UTC)
    policies = _Policies()
    known: set[str] = set()
    count = 0
    names = ", ".join(f'"{c}"' for c in ("seq", *COLUMNS))
    marks = ", ".join(["?"] * (1 + len(COLUMNS)))
    put_statement = f"INSERT INTO statement ({names}) VALUES ({marks})"
    put_term = (
        f"INSERT INTO search_term ({search_index.INSERT_COLUMNS}) "
        f"VALUES ({', '.join(['?'] * (4 + len(search_index.FACTS)))})"
    )
    dialect = store.engine.dialect
    convert = [
        statement_table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        for name in ("seq", *COLUMNS)
    ]
    with store.engine.begin() as conn:
        # The load is one transaction: with SQLite's default 2 MB page cache every insert
        # into the term key's b-tree spilled pages to the WAL, and the rebuilt indexes
        # sorted through temporary files (10M: 1.9 GB of WAL after 13 minutes, not done).
        conn.execute(sa.text(f"PRAGMA cache_size = -{LOAD_CACHE_KIB}"))
        rebuild = _drop_sqlite_indexes(conn)
        conn.execute(sa.text("INSERT INTO search_term_count_deferred (pending) VALUES (1)"))
        raw = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        seq = int(conn.execute(sa.text("SELECT coalesce(max(seq), 0) FROM statement")).scalar_one())
        for _agency, batch in chunks:
            rows, terms = _prepared(conn, batch, seq, policies, known, now)
            seq += len(rows)
            raw.executemany(put_statement, [_sqlite_row(convert, r) for r in rows])
            raw.executemany(put_term, terms)
            count += len(rows)
        for command in rebuild:
            raw.execute(command)
        raw.execute(
            "INSERT INTO search_term_count (term, n) SELECT term, count(*) FROM search_term "
            "GROUP BY term ON CONFLICT (term) DO UPDATE SET n = excluded.n"
        )
        raw.execute("DELETE FROM search_term_count_deferred")
        raw.execute("PRAGMA cache_size = -2000")  # the connection goes back to the pool
        raw.close()
    return count


def _prepared(
    conn: sa.Connection,
    batch: list[Statement],
    seq: int,
    policies: _Policies,
    known: set[str],
    now: datetime,
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The statement rows of ``batch`` (seqs after ``seq``) and their term rows, its
    policies and aliases stored first, as the write path stores them."""
    ensure_policies(conn, {s.sharing for s in batch}, known)
    ensure_aliases(conn, {s.entity_id for s in batch if s.sharing.victim_sensitive})
    rows: list[tuple[Any, ...]] = []
    terms: list[tuple[Any, ...]] = []
    for stmt in batch:
        seq += 1
        canonical, pid = policies.of(stmt.sharing)
        key, sid = content_hashes(stmt, canonical)
        rows.append(_row(seq, stmt, key, sid, pid, now))
        facts = (stmt.entity_id, stmt.schema, stmt.prop, stmt.agency, pid, key)
        terms += [
            (t, seq, k, *facts) for t, k in search_index.terms(stmt.schema, stmt.prop, stmt.value)
        ]
    return rows, terms


def _sqlite_row(convert: list[Any], row: tuple[Any, ...]) -> tuple[Any, ...]:
    """Each value as SQLAlchemy binds it for its column (dates as its text, booleans 0/1)."""
    return tuple(
        value if to is None or value is None else to(value)
        for to, value in zip(convert, row, strict=True)
    )


def _drop_sqlite_indexes(conn: sa.Connection) -> list[str]:
    """Drop the named indexes of the loaded tables (a constraint's own index has no SQL
    and stays) and return the statements that make them again."""
    indexes = conn.execute(
        sa.text(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            "AND tbl_name IN ('statement', 'search_term')"
        )
    ).all()
    for name, _sql in indexes:
        conn.execute(sa.text(f'DROP INDEX "{name}"'))
    return [str(sql) for _name, sql in indexes]


def _row(seq: int, stmt: Statement, key: str, sid: str, pid: str, now: datetime) -> tuple[Any, ...]:
    return (
        seq,
        sid,
        key,
        stmt.entity_id,
        stmt.schema,
        stmt.prop,
        stmt.value,
        stmt.agency,
        stmt.source_record_id,
        pid,
        stmt.first_seen,
        stmt.last_seen,
        stmt.retracted,
        now,
        None,
        None,
    )


def _drop_indexes(conn: sa.Connection) -> list[str]:
    """Drop the secondary indexes, unique and foreign-key constraints of the loaded tables
    (``statement``'s primary key stays: its seq is what the terms point at) and return the
    statements that rebuild them exactly as they were."""
    constraints = conn.execute(
        sa.text(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), conindid "
            "FROM pg_constraint WHERE conrelid::regclass::text = ANY(:tables) "
            "AND contype IN ('u', 'f', 'p') AND conname <> 'statement_pkey'"
        ),
        {"tables": list(TABLES)},
    ).all()
    backing = {str(c[1]) for c in constraints}
    indexes = conn.execute(
        sa.text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(:tables) "
            "AND indexname <> 'statement_pkey'"
        ),
        {"tables": list(TABLES)},
    ).all()
    rebuild: list[str] = []
    for name, definition in indexes:
        if name not in backing:
            conn.execute(sa.text(f'DROP INDEX "{name}"'))
            rebuild.append(definition)
    for table, name, definition, _index in constraints:
        conn.execute(sa.text(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))
        rebuild.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    return rebuild


def replicate(store: Store, copies: int) -> int:
    """Grow a loaded bench database ``copies``-fold inside PostgreSQL (no row crosses the
    wire): every person again as ``<id>.c<k>`` with its statements and search terms. Names
    stay as they are, so a surname matches ``copies + 1`` times as many people, as in a
    larger population; document numbers, phones and e-mails get a ``c<k>-`` prefix in the
    value and the term, so an identifier still names one person (a copy never answers a
    query for an original). Returns the statements stored afterwards."""
    with store.engine.begin() as conn:
        conn.execute(sa.text("SET LOCAL maintenance_work_mem = '1GB'"))
        top = int(conn.execute(sa.text("SELECT max(seq) FROM statement")).scalar_one())
        rebuild = _drop_indexes(conn)
        marked = "'c' || c.k || '-' || "
        conn.execute(
            sa.text(
                f"INSERT INTO statement ({', '.join(('seq', *COLUMNS))}) "
                "SELECT s.seq + c.k * :top, md5(s.id || ':' || c.k), md5(s.key || ':' || c.k), "
                "s.entity_id || '.c' || c.k, s.schema, s.prop, "
                "CASE WHEN s.prop = 'id' THEN s.value || '.c' || c.k "
                f"WHEN s.prop IN ('passportNumber', 'phone', 'email') THEN {marked}s.value "
                "ELSE s.value END, "
                "s.agency, s.source_record_id || '.c' || c.k, s.policy_id, s.first_seen, "
                "s.last_seen, s.retracted, s.recorded_at, s.received_from, s.write_id "
                "FROM statement s CROSS JOIN generate_series(1, :copies) AS c(k) "
                "WHERE s.seq <= :top"
            ),
            {"top": top, "copies": copies},
        )
        conn.execute(
            sa.text(
                f"INSERT INTO search_term ({search_index.INSERT_COLUMNS}) "
                f"SELECT CASE WHEN t.kind = 'n' THEN t.term ELSE {marked}t.term END, "
                "t.seq + c.k * :top, t.kind, t.entity_id || '.c' || c.k, "
                "t.schema, t.prop, t.agency, t.policy_id, md5(t.key || ':' || c.k) "
                "FROM search_term t CROSS JOIN generate_series(1, :copies) AS c(k) "
                "WHERE t.seq <= :top"
            ),
            {"top": top, "copies": copies},
        )
        conn.execute(
            sa.text(
                "INSERT INTO entity_alias (entity_id, alias) "
                "SELECT a.entity_id || '.c' || c.k, 'masked-' || md5(a.alias || ':' || c.k) "
                "FROM entity_alias a CROSS JOIN generate_series(1, :copies) AS c(k)"
            ),
            {"copies": copies},
        )
        conn.execute(
            sa.text("SELECT setval(pg_get_serial_sequence('statement', 'seq'), :last)"),
            {"last": top * (copies + 1)},
        )
        for command in rebuild:
            conn.execute(sa.text(command))
        return int(conn.execute(sa.text("SELECT count(*) FROM statement")).scalar_one())


def main() -> None:
    import argparse
    import time

    parser = argparse.ArgumentParser(description="grow a search bench database in place")
    parser.add_argument("--database", required=True)
    parser.add_argument("--copies", type=int, default=9)
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432")
    args = parser.parse_args()
    store = Store.open(f"{args.pg}/{args.database}")
    started = time.perf_counter()
    total = replicate(store, args.copies)
    grown = time.perf_counter() - started
    started = time.perf_counter()
    store.analyze()
    print(
        f"{args.database}: {total:,} statements after {args.copies} copies in {grown:.0f} s, "
        f"ANALYZE {time.perf_counter() - started:.0f} s"
    )
    store.close()


if __name__ == "__main__":
    main()
