"""The bulk path's per-statement shortcuts (ADR 0039, amendment of 2026-11-30) store exactly
what the code before them stored.

The shortcuts: the content hashes of a batch in one loop (``bulk._prepare``: policy looked
up by object, one ISO form per distinct time), the audit digest updated once per batch, the
search terms computed once per distinct value of a batch (``search_index.terms_of``), an
ASCII name word's terms without its Latin forms' caches (``search_index._name_terms``),
ASCII text latinised without transliteration (``names._latin_text``), phone numbers
parsed once (``search_index._national_number``) and, on SQLite, the new rows' seqs taken
from the rowid instead of read back (``bulk._executemany_insert``). The functions they
replace are kept here, as they were, and the same statements are written into two stores
that start alike, one with the old functions patched in, one as the code is now, under the
same clock, write ids and aliases: every table's rows must come out identical, on both
backends.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import unicodedata
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from unittest import mock

import phonenumbers
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from normality import latinize_text

from palermo.match import names
from palermo.model.sharing import Sharing
from palermo.model.statement import BASE, Statement
from palermo.store import audit, bulk, directory, search_index, writer
from palermo.store.store import Store
from palermo.store.tables import audit_log, metadata
from palermo.store.visibility import ALIAS_PREFIX
from tests.conftest import fresh_pg_database, wipe
from tests.store.factories import setup_agencies

AGENCIES = {"A1": ("EU",), "B2": ("EU",), "C3": ()}
T1 = datetime(2026, 11, 29, 12, 0, 0, tzinfo=UTC)
T2 = datetime(2026, 11, 29, 12, 0, 1, 250000, tzinfo=UTC)
CLOCK = datetime(2026, 11, 30, 9, 0, 0, tzinfo=UTC)

# --- the functions as they were before the shortcuts ---------------------------------


def latin_text_before(text: str) -> str:
    """``names._latin_text`` before its ASCII shortcut."""
    text = names.NOT_BOUNDARIES.sub("", latinize_text(text) or "").lower()
    text = unicodedata.normalize("NFKD", text.translate(names.UNDECOMPOSED))
    text = "".join(c for c in text if not unicodedata.combining(c)).translate(names.UNDECOMPOSED)
    return re.sub(r"[^a-z ]+", " ", text).strip()


def name_terms_before(word: str) -> frozenset[str]:
    """``search_index._name_terms`` before its ASCII shortcut."""
    found = {names.fold(part) for form in names.name_forms(word, lone_word=True) for part in form}
    whole = names.fold(word).lower()
    if whole.isascii() and whole.isalpha():
        found.add(whole)
    return frozenset(found)


def phone_terms_before(value: str) -> set[str]:
    """``search_index.phone_terms`` before its parse cache."""
    digits = re.sub(r"\D", "", value)
    found = {digits}
    try:
        parsed = phonenumbers.parse(value if value.startswith("+") else "+" + digits)
    except phonenumbers.NumberParseException:
        return found
    found.add(str(parsed.national_number))
    return found


def terms_of_before(rows: Any) -> list[tuple[str, str, str]]:
    """``search_index.terms_of`` before it kept one computation per distinct value."""
    props = frozenset(search_index.searchable_props())
    return [
        (ref, term, kind)
        for ref, schema, prop, value in rows
        if prop in props
        for term, kind in search_index.terms(schema, prop, value)
    ]


def prepare_before(chunk: list[Statement], policies: Any, iso: Any) -> list[bulk.Prepared]:
    """``bulk._prepare`` as the loop before it: the model's own hashes, statement by
    statement, and each sharing's canonical form and policy id from the model."""
    return [
        bulk.Prepared((s, s.key, s.id, s.sharing.policy_id, s.sharing.canonical)) for s in chunk
    ]


def executemany_insert_before(conn: Any, rows: list[tuple[Any, ...]], write_id: str) -> Any:
    """``bulk._executemany_insert`` on SQLite before its seqs followed from the rowid: the
    new rows' seqs read back (PostgreSQL's branch did not change)."""
    if conn.dialect.name != "sqlite":
        return executemany_insert_now(conn, rows, write_id)
    names_ = ", ".join(f'"{c}"' for c in bulk.COLUMNS)
    cursor = conn.connection.driver_connection.cursor()
    try:
        cursor.execute("SELECT coalesce(max(seq), 0) FROM statement")
        mark = int(cursor.fetchone()[0])
        marks = ", ".join("?" * len(bulk.COLUMNS))
        cursor.execute("PRAGMA cache_size = -65536")
        cursor.executemany(
            f"INSERT INTO statement ({names_}) VALUES ({marks}) ON CONFLICT DO NOTHING", rows
        )
        cursor.execute(
            "SELECT id, seq FROM statement WHERE seq > ? AND write_id = ? ORDER BY seq",
            (mark, write_id),
        )
        return {str(sid): int(seq) for sid, seq in cursor.fetchall()}
    finally:
        cursor.close()


executemany_insert_now = bulk._executemany_insert

CACHED = (
    names.latinize,
    names.latin_forms,
    names.name_parts,
    names.name_forms,
    names.cyrillic_forms,
    search_index._name_terms,
    search_index._national_number,
)


def clear_caches() -> None:
    for cached in CACHED:
        cached.cache_clear()


@contextmanager
def before_the_shortcuts() -> Iterator[None]:
    """The old functions in place of the new ones (caches emptied before and after, so
    no value computed one way is read back the other)."""
    clear_caches()
    with ExitStack() as stack:
        stack.enter_context(mock.patch.object(names, "_latin_text", latin_text_before))
        stack.enter_context(mock.patch.object(search_index, "_name_terms", name_terms_before))
        stack.enter_context(mock.patch.object(search_index, "phone_terms", phone_terms_before))
        stack.enter_context(mock.patch.object(search_index, "terms_of", terms_of_before))
        stack.enter_context(mock.patch.object(bulk, "_prepare", prepare_before))
        stack.enter_context(
            mock.patch.object(bulk, "_executemany_insert", executemany_insert_before)
        )
        try:
            yield
        finally:
            clear_caches()


class FrozenClock(datetime):
    @classmethod
    def now(cls, tz: Any = None) -> datetime:  # type: ignore[override]
        return CLOCK.astimezone(tz) if tz is not None else CLOCK.replace(tzinfo=None)


@contextmanager
def same_clock_ids_and_aliases() -> Iterator[None]:
    """The write ids, aliases and clock of a run, the same in every run: what is left
    to differ is what the write path makes of the statements."""
    counter = itertools.count(1)
    aliases = itertools.count(1)
    stub = mock.Mock(uuid4=lambda: uuid.UUID(int=next(counter)))
    with ExitStack() as stack:
        for module in (bulk, writer, audit, directory):
            stack.enter_context(mock.patch.object(module, "datetime", FrozenClock))
        stack.enter_context(mock.patch.object(audit, "uuid", stub))
        alias = lambda: f"{ALIAS_PREFIX}{next(aliases):032x}"  # noqa: E731
        stack.enter_context(mock.patch.object(writer, "new_alias", alias))
        yield


# --- statements ----------------------------------------------------------------------

NAMES = [
    "Ivan Petrov",
    "Анна Берг",
    "O'Brien Jean-Pierre",
    "Łukasz Strauß",
    "al-Hassan Abubakr",
    "\u212aim Müller",  # a Kelvin sign: not ASCII, yet it folds to ASCII letters
    "name-3-0-0.123456",  # bench/store.py's values
    "Van Der Berg",
]
PHONES = ["+49 151 1234 5678", "+66 81 234 5678", "0151 1234 5678", "phone-1-4-0.5", "12"]
sharings = st.sampled_from(
    [
        Sharing.parse("owner"),
        Sharing.parse("group:EU"),
        Sharing.parse("C3"),
        Sharing.to_all(),
        Sharing.parse("all", ["victim-sensitive"]),
    ]
)


@st.composite
def statements(draw: st.DrawFn) -> Statement:
    owner = draw(st.sampled_from(sorted(AGENCIES)))
    n = draw(st.integers(0, 3))
    eid = f"{owner.lower()}.p{n}"
    prop = draw(st.sampled_from([BASE, "name", "alias", "phone", "email", "passportNumber"]))
    value = {
        BASE: eid,
        "name": draw(st.sampled_from(NAMES)),
        "alias": draw(st.sampled_from(NAMES)),
        "phone": draw(st.sampled_from(PHONES)),
        "email": draw(st.sampled_from(["a@example.org", "B@Example.org"])),
        "passportNumber": draw(st.sampled_from(["YF 973 2979", "c01x00t47"])),
    }[prop]
    stmt = Statement(
        eid,
        "Person",
        prop,
        value,
        owner,
        f"p{n}",
        draw(sharings),
        first_seen=draw(st.sampled_from([T1, T2])),
        last_seen=draw(st.sampled_from([None, T2])),
    )
    retract = draw(st.integers(0, 4)) == 0
    return stmt.retraction(draw(st.sampled_from([T1, T2]))) if retract else stmt


writes = st.lists(st.lists(statements(), min_size=1, max_size=12), min_size=1, max_size=4)


@pytest.fixture(params=["sqlite", "postgresql"])
def two_stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Store, Store]]:
    """Two empty stores of one backend, to be written alike."""
    if request.param == "sqlite":
        urls = [f"sqlite:///{tmp_path / name}" for name in ("before.db", "now.db")]
        databases: list[Iterator[str]] = []
    else:
        databases = [fresh_pg_database(f"palermo_same_rows_{n}") for n in ("before", "now")]
        urls = [next(db) for db in databases]
    stores = (Store.open(urls[0]), Store.open(urls[1]))
    yield stores
    for store in stores:
        store.close()
    for db in databases:
        next(db, None)  # drops the database


def every_row(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in a fixed order."""
    with store.engine.connect() as conn:
        return {
            table.name: sorted((tuple(r) for r in conn.execute(sa.select(table))), key=repr)
            for table in metadata.sorted_tables
        }


def load(store: Store, batches: list[list[Statement]]) -> list[int]:
    wipe(store)
    with same_clock_ids_and_aliases():
        viewers = setup_agencies(store, AGENCIES)
        counts = []
        for batch in batches:
            for owner in sorted(AGENCIES):
                own = [s for s in batch if s.agency == owner]
                if own:
                    counts.append(store.write(viewers[owner], own))
    return counts


@pytest.fixture
def tiny_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of 4 and COPY from 2 rows: boundaries and both insert paths in small data."""
    monkeypatch.setattr(bulk, "BATCH", 4)
    monkeypatch.setattr(bulk, "COPY_FROM", 2)
    monkeypatch.setattr(search_index, "COPY_FROM", 2)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(batches=writes)
def test_every_table_holds_what_the_code_before_stored(
    two_stores: tuple[Store, Store], tiny_batches: None, batches: list[list[Statement]]
) -> None:
    old, new = two_stores
    with before_the_shortcuts():
        old_counts = load(old, batches)
    new_counts = load(new, batches)
    assert new_counts == old_counts
    before, now = every_row(old), every_row(new)
    assert before["statement"]  # something was written
    assert before == now
    # The audit rows' digest is over every incoming id, one by one, as before (the
    # digest is now updated once per batch).
    with new.engine.connect() as conn:
        details = [
            json.loads(d)
            for d in conn.execute(
                sa.select(audit_log.c.detail)
                .where(audit_log.c.action == "write")
                .order_by(audit_log.c.seq)
            ).scalars()
        ]
    expected = [
        hashlib.sha256(b"".join(s.id.encode() for s in own)).hexdigest()
        for batch in batches
        for owner in sorted(AGENCIES)
        for own in [[s for s in batch if s.agency == owner]]
        if own
    ]
    assert [d["digest"] for d in details] == expected


# --- the shortcuts, function by function ---------------------------------------------


@given(st.text() | st.text(st.characters(max_codepoint=127)))
def test_latin_text_of_ascii_is_as_before(text: str) -> None:
    assert names._latin_text(text) == latin_text_before(text)


ascii_words = st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1)
some_words = st.sampled_from(["Łukasz", "\u212aim", "Анна", "Strauß", "Müller", "Ǿrsted"])


@given(ascii_words | some_words)
def test_name_terms_are_as_before(word: str) -> None:
    search_index._name_terms.cache_clear()
    assert search_index._name_terms(word) == name_terms_before(word)


@given(st.sampled_from(PHONES) | st.text(st.sampled_from("+0123456789 ()-x"), max_size=20))
def test_phone_terms_are_as_before(value: str) -> None:
    search_index._national_number.cache_clear()
    assert search_index.phone_terms(value) == phone_terms_before(value)
    assert search_index.phone_terms(value) == phone_terms_before(value)  # cached


offsets = st.sampled_from([UTC, timezone(timedelta(hours=1)), timezone(timedelta(hours=-5)), None])


@st.composite
def timed(draw: st.DrawFn) -> Statement:
    """Statements whose times are equal instants written with other offsets, or naive:
    one ISO form per distinct time must never give one time another's form."""
    base = datetime(2026, 11, 29, 12, 0, 0)
    shift = timedelta(seconds=draw(st.integers(0, 2)), microseconds=draw(st.integers(0, 1)))

    def at(tz: Any) -> datetime:
        instant = (base + shift).replace(tzinfo=UTC)
        return instant.astimezone(tz) if tz is not None else base + shift

    first = at(draw(offsets))
    last = draw(st.none() | offsets.map(at))
    return Statement(
        "a1.p1",
        "Person",
        "name",
        draw(st.sampled_from(NAMES)),
        "A1",
        "p1",
        draw(sharings),
        first_seen=first,
        last_seen=last,
        retracted=draw(st.booleans()),
    )


@given(st.lists(timed(), max_size=30))
def test_prepared_hashes_are_the_models(stmts: list[Statement]) -> None:
    policies = bulk._Policies()
    prepared = bulk._prepare(stmts, policies, {})
    assert [(p[1], p[2], p[3], p[4]) for p in prepared] == [
        (s.key, s.id, s.sharing.policy_id, s.sharing.canonical) for s in stmts
    ]
