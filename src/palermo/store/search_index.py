"""The search index: normalised terms of names and identifiers, kept with every write.

``LIKE '%…%'`` over raw values misses what analysts type: a passport number with spaces
(``YF 973 2979``), a phone in national format (``0151 1234 5678`` for ``+4915112345678``),
a Cyrillic name typed in Latin letters; and it scans every value (1.5 s at 3.3M
statements). Instead, each current statement of a searchable property is broken into
*terms* when it is written (same transaction, see ``Store._write`` / ``Store.receive``):

- names: every name part in every Latin form (``names.name_forms``: Cyrillic national
  systems, Thai spellings, ...), folded (``names.fold``: w/v, kh/h, double letters);
- identifiers (documents, case numbers, IBANs, accounts, vehicle plates): upper case
  without spaces, dashes, dots or slashes (``mrz.normalise_document_number``);
- phones: the E.164 digits and the national significant number (``phonenumbers``);
- e-mail addresses: lower case.

A query is normalised the same way, so it matches whatever spelling or spacing either side
used. The table holds only (term, kind, statement seq): it says nothing by itself. Every
search joins it to ``visibility.visible_statements`` (ADR 0002, docs/security.md), so a
term of a statement the viewer may not read, a retracted one or a masked one never matches
(ADR 0013).
"""

from __future__ import annotations

import functools
import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import phonenumbers
import sqlalchemy as sa
from followthemoney import registry
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement, UnaryExpression
from sqlalchemy.sql.operators import custom_op

from palermo.match.mrz import normalise_document_number
from palermo.match.names import fold, name_forms, name_parts
from palermo.model.schemata import model
from palermo.store.purpose_view import copy_usable, statement_copy, usable_values
from palermo.store.tables import FACET_VALUES, metadata, policy, statement
from palermo.store.views import Entity

NAME, IDENTIFIER, PHONE, EMAIL = "n", "i", "p", "e"
IDENTIFYING = (IDENTIFIER, PHONE, EMAIL)
MAX_TERM = 200  # longer terms are cut (a btree entry must stay small on PostgreSQL)
MIN_PREFIX = 3  # a last query term shorter than this matches whole terms only
BATCH = 5000

# The statement columns each term row copies beside its entity (migration 0026), in the
# order ``insert_new_terms`` takes them after (term, seq, kind, entity_id).
FACTS = ("schema", "prop", "agency", "policy_id", "key")

# Byte order ("C") on PostgreSQL, so a range ``term >= 'pet' AND term < 'peu'`` is a prefix
# scan on the primary key whatever the database's locale; SQLite compares bytes anyway.
TermText = sa.String(MAX_TERM).with_variant(sa.String(MAX_TERM, collation="C"), "postgresql")

search_term = sa.Table(
    "search_term",
    metadata,
    sa.Column("term", TermText, primary_key=True),
    sa.Column("seq", sa.BigInteger(), primary_key=True),  # statement.seq
    sa.Column("kind", sa.String(1), nullable=False),
    # Migration 0022 (ADR 0032, amendment): the statement's entity, copied from it when the
    # term is written, so the words of a query are intersected in the index (which
    # entities hold every word) before any statement is read. Null only for rows a
    # pre-0022 path left, which 0022 fills; such a row can only narrow candidates.
    sa.Column("entity_id", sa.String(255), nullable=True),
    # Migration 0026 (ADR 0032, fourth amendment): the statement's immutable facts the
    # access rule reads (``visibility.may_see``, ``is_masked``, ``is_current``'s retraction
    # probe, the searchable-property filter) and a hit row carries, copied when the term
    # is written, so a word's rows are judged from the index without a statement fetch
    # each. Only facts of the statement row itself, which no writer ever changes (a new
    # sharing is a new row); the sharing *decision* (a policy's audience, group members,
    # handling) stays in ``policy``/``group_member`` and is read live. Null only for rows
    # a pre-0026 path left, which 0026 fills; a null row is never readable.
    sa.Column("schema", sa.String(64), nullable=True),
    sa.Column("prop", sa.String(64), nullable=True),
    sa.Column("agency", sa.String(64), nullable=True),
    sa.Column("policy_id", sa.String(40), nullable=True),
    sa.Column("key", sa.String(40), nullable=True),
    # Migration 0017 (ADR 0032): the columns keyed by term and by seq, so that both a
    # word's terms and one statement's terms are read from an index alone (no table fetch
    # per term row), the second for words read among candidate entities; 0022 adds the
    # entity to the first and keys the terms by entity as well (an entity's terms); 0026
    # adds the copied facts to the first (a one-word search reads nothing else).
    sa.Index("ix_search_term_cover", "term", "seq", "kind", "entity_id", *FACTS),
    sa.Index("ix_search_term_seq", "seq", "term", "kind"),
    sa.Index("ix_search_term_entity", "entity_id", "term", "seq", "kind"),
)

# Migration 0024 (ADR 0032, third amendment): how many ``search_term`` rows hold each term,
# kept by triggers on ``search_term`` (every insert, delete and term update, whichever path
# writes: bulk ``COPY``, prepared inserts, backfill, re-index, purge), so a word's rarity
# is a sum over its few distinct terms instead of a count of its index rows (up to 8,000,
# bitmap heap scans at 10M while the visibility map is not set). A count is of index rows,
# readable or not, as the count it replaces: it orders words and says nothing by itself.
search_term_count = sa.Table(
    "search_term_count",
    metadata,
    sa.Column("term", TermText, primary_key=True),
    sa.Column("n", sa.BigInteger(), nullable=False),
)
# Migration 0025 (ADR 0032, third amendment, note): a row here, only ever inside the bulk
# writer's own transaction (``insert_new_terms``), tells SQLite's insert trigger to skip the
# term rows being inserted: the writer counts them itself, one grouped upsert per batch
# instead of one upsert per row. Empty at every commit; unused on PostgreSQL.
search_term_count_deferred = sa.Table(
    "search_term_count_deferred",
    metadata,
    sa.Column("pending", sa.Integer(), primary_key=True, autoincrement=False),
)

# Name-like properties FtM types as plain strings; their values are indexed as names.
NAME_STRINGS = frozenset(
    {"firstName", "middleName", "lastName", "fatherName", "motherName", "secondName", "title"}
)
# Identifier-like strings of palermo's schemata (a case reference is typed as text there).
IDENTIFIER_STRINGS = frozenset({"caseReference", "caseReferences"})
# Digests, not identifiers anyone types: never indexed.
SKIPPED = frozenset({"selectorHash", "publicKey"})
# Entity-level values the facets count and filter on.
COUNTRY = "country"
TOPIC = "topic"


@functools.cache
def kind_of(schema: str, prop: str) -> str | None:
    """How values of ``schema.prop`` are indexed, or None if they are not searchable."""
    found = model.get(schema)
    spec = found.get(prop) if found is not None else None
    if spec is None or prop in SKIPPED:
        return None
    if spec.type == registry.name or prop in NAME_STRINGS:
        return NAME
    if spec.type == registry.phone:
        return PHONE
    if spec.type == registry.email:
        return EMAIL
    if spec.type == registry.identifier or prop in IDENTIFIER_STRINGS:
        return IDENTIFIER
    return None


@functools.cache
def searchable_props() -> tuple[str, ...]:
    """Every property name that is indexed in at least one schema (for SQL filters)."""
    return tuple(sorted(_props_where(lambda s, p: kind_of(s, p) is not None)))


@functools.cache
def facet_props(facet: str) -> tuple[str, ...]:
    """The property names of the country- or topic-typed values of any schema."""
    kind = registry.country if facet == COUNTRY else registry.topic
    return tuple(sorted(_props_where(lambda s, p: _type_of(s, p) == kind)))


def _props_where(test: Any) -> set[str]:
    return {
        prop
        for schema in model.schemata.values()
        for prop in schema.properties
        if test(schema.name, prop)
    }


def _type_of(schema: str, prop: str) -> Any:
    found = model.get(schema)
    spec = found.get(prop) if found is not None else None
    return spec.type if spec is not None else None


# --- what a value is indexed under ----------------------------------------------------


def terms(schema: str, prop: str, value: str) -> set[tuple[str, str]]:
    """(term, kind) pairs a value of ``schema.prop`` is found by."""
    kind = kind_of(schema, prop)
    if kind is None:
        return set()
    if kind == NAME:
        found = {term for word in value.split() for term in _name_terms(word)}
    elif kind == PHONE:
        found = phone_terms(value)
    elif kind == EMAIL:
        found = {value.strip().lower()}
    else:
        found = {normalise_document_number(value)}
    return {(t[:MAX_TERM], kind) for t in found if t}


@functools.lru_cache(maxsize=200_000)
def _name_terms(word: str) -> frozenset[str]:
    """Folded parts of one word in every Latin form. Word by word, so the costly forms
    (Thai romanisation: ~30 ms) are computed once per distinct word, not per full name;
    queries are split into words the same way (``parse``).

    A Latin word is also kept whole: the name parts drop a glued article (Elmira is the
    part ``mira``, Elmasri ``masri``), which a whole word typed finds the same way, but a
    prefix typed (``elmi``) would never reach (migration 0023)."""
    if word.isascii():
        # An ASCII word has one Latin form, its name parts (``names.latin_forms``), and
        # folds to an ASCII word of letters exactly when it is one (folding replaces
        # letters by letters and keeps every other character): the same terms as below
        # without the forms' caches or a fold of a word that is not kept (ADR 0039,
        # amendment; ``tests/store/test_bulk_same_rows.py`` compares both ways).
        found = {fold(part) for part in name_parts(word, lone_word=True)}
        if word.isalpha():
            found.add(fold(word).lower())
        return frozenset(found)
    found = {fold(part) for form in name_forms(word, lone_word=True) for part in form}
    whole = fold(word).lower()
    if whole.isascii() and whole.isalpha():
        found.add(whole)
    return frozenset(found)


def reindex_names(
    conn: Connection,
    holds: ColumnElement[bool],
    with_entity: bool = True,
    with_facts: bool | None = None,
) -> int:
    """Re-make the search terms of the current statements of name-like properties that
    ``holds`` selects, with the function every write uses (``terms``): a term no longer
    produced is deleted, a missing one inserted, nothing else touched; returns the rows
    deleted plus inserted (0 when run again). For migrations whose term rules changed
    (0021, 0023); ``with_entity`` False before 0022 added ``search_term.entity_id``;
    ``with_facts`` as in ``index_statements``."""
    if with_facts is None:
        with_facts = has_facts(conn)
    changed = 0
    for rows in _current_statements(conn, sa.and_(statement.c.prop.in_(_name_props()), holds)):
        seqs = [row.seq for row in rows]
        stored = {
            (term, seq, kind)
            for term, seq, kind in conn.execute(
                sa.select(search_term.c.term, search_term.c.seq, search_term.c.kind).where(
                    search_term.c.seq.in_(seqs)
                )
            )
        }
        copied = {row.seq: _copied(row._mapping, with_entity, with_facts) for row in rows}
        wanted = {
            (term, row.seq, kind)
            for row in rows
            for term, kind in terms(row.schema, row.prop, row.value)
        }
        stale = stored - wanted
        if stale:
            conn.execute(
                search_term.delete().where(
                    search_term.c.term == sa.bindparam("old_term"),
                    search_term.c.seq == sa.bindparam("old_seq"),
                ),
                [{"old_term": term, "old_seq": seq} for term, seq, _ in stale],
            )
        missing = wanted - stored
        if missing:
            conn.execute(
                sa.insert(search_term),
                [{"term": t, "seq": q, "kind": k} | copied[q] for t, q, k in missing],
            )
        changed += len(stale) + len(missing)
    return changed


def _name_props() -> list[str]:
    """The properties indexed as names in at least one schema (``kind_of``)."""
    return sorted(
        {
            prop
            for schema in model.schemata.values()
            for prop in schema.properties
            if kind_of(schema.name, prop) == NAME
        }
    )


NOT_DIGIT = re.compile(r"\D")


def phone_terms(value: str) -> set[str]:
    """E.164 digits and the national significant number (``+66 81 234 5678`` is found by
    ``66812345678`` and by ``0812345678`` typed the national way)."""
    digits = NOT_DIGIT.sub("", value)
    found = {digits}
    national = _national_number(value if value.startswith("+") else "+" + digits)
    if national is not None:
        found.add(national)
    return found


@functools.lru_cache(maxsize=100_000)
def _national_number(text: str) -> str | None:
    """The national significant number ``phonenumbers`` reads in ``text``, None if it
    reads none. Cached: parsing takes tens of microseconds, and an import repeats the
    numbers of the people it names."""
    try:
        return str(phonenumbers.parse(text).national_number)
    except phonenumbers.NumberParseException:
        return None


def index_statements(
    conn: Connection,
    rows: Iterable[Mapping[Any, Any]],
    with_entity: bool = True,
    with_facts: bool | None = None,
) -> int:
    """Insert the terms of statement rows (``seq``, ``entity_id``, ``schema``, ``prop``,
    ``value``, ``agency``, ``policy_id``, ``key``); terms already there are kept
    (idempotent). Returns the number of term rows offered. ``with_entity`` False leaves
    the entity out, for migration 0008, which runs before 0022 adds that column (0022 then
    fills it). The statement's ``FACTS`` are copied where the table has their columns
    (``with_facts`` None: from migration 0026 on, which fills the rows written before)."""
    if with_facts is None:
        with_facts = has_facts(conn)
    batch: list[dict[str, Any]] = []
    total = 0
    for row in rows:
        copied = _copied(row, with_entity, with_facts)
        for term, kind in terms(row["schema"], row["prop"], row["value"]):
            batch.append({"term": term, "seq": row["seq"], "kind": kind} | copied)
        if len(batch) >= BATCH:
            total += _insert(conn, batch)
            batch = []
    return total + _insert(conn, batch)


def has_facts(conn: Connection) -> bool:
    """Whether ``search_term`` has the columns of ``FACTS`` yet (migration 0026): the
    migrations that write terms before it (0008, 0021, 0023) run this code too."""
    columns = {c["name"] for c in sa.inspect(conn).get_columns("search_term")}
    return all(name in columns for name in FACTS)


def _copied(row: Mapping[Any, Any], with_entity: bool, with_facts: bool) -> dict[str, Any]:
    """The statement columns a term row of ``row`` copies (its entity, its ``FACTS``)."""
    names = (("entity_id",) if with_entity else ()) + (FACTS if with_facts else ())
    return {name: row[name] for name in names}


def _insert(conn: Connection, rows: list[dict[str, Any]]) -> int:
    if not rows:
        return 0
    dialect = sqlite if conn.dialect.name == "sqlite" else postgresql
    conn.execute(dialect.insert(search_term).on_conflict_do_nothing(), rows)
    return len(rows)


COPY_FROM = 500  # fewer term rows go in one executemany (COPY's set-up costs more)


def terms_of(rows: Iterable[tuple[str, str, str, str]]) -> list[tuple[str, str, str]]:
    """(ref, term, kind) for each (ref, schema, prop, value) of a searchable property: the
    write side's whole computation, free of the database, so the bulk path can run it
    beside its inserts (``store.bulk``, ADR 0027)."""
    props = frozenset(searchable_props())
    known: dict[tuple[str, str, str], set[tuple[str, str]]] = {}
    out: list[tuple[str, str, str]] = []
    for ref, schema, prop, value in rows:
        if prop not in props:
            continue
        # Once per distinct value of the batch: an import repeats names and numbers.
        found = known.get((schema, prop, value))
        if found is None:
            found = known[(schema, prop, value)] = terms(schema, prop, value)
        out.extend([(ref, term, kind) for term, kind in found])
    return out


TermRow = tuple[str, int, str, str, str, str, str, str, str]
INSERT_COLUMNS = ", ".join(("term", "seq", "kind", "entity_id", *FACTS))


def insert_new_terms(conn: Connection, rows: Sequence[TermRow]) -> int:
    """Insert (term, seq, kind, entity_id, schema, prop, agency, policy_id, key) rows of
    statements this transaction has just inserted (the entity and the ``FACTS`` are the
    statement's own, ``bulk._flush``).

    Their seqs are new, and ``terms`` gives each (term, kind) once per value, so no row
    can already be there: PostgreSQL takes them with one ``COPY`` straight into the table
    (no staging table, no join to ``statement``); SQLite and small batches use one
    prepared INSERT. Returns the rows inserted.

    On SQLite the counts (``search_term_count``) are kept here, not by the row trigger: one
    grouped upsert per batch (``_insert_counted_sqlite``, migration 0025)."""
    if not rows:
        return 0
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        if conn.dialect.name == "sqlite":
            _insert_counted_sqlite(cursor, rows)
        elif len(rows) < COPY_FROM:
            cursor.executemany(
                f"INSERT INTO search_term ({INSERT_COLUMNS}) VALUES "
                f"({', '.join(['%s'] * len(rows[0]))}) ON CONFLICT DO NOTHING",
                rows,
            )
        else:
            with cursor.copy(f"COPY search_term ({INSERT_COLUMNS}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
    finally:
        cursor.close()
    return len(rows)


def _insert_counted_sqlite(cursor: Any, rows: Sequence[TermRow]) -> None:
    """Insert the term rows with SQLite's count trigger skipped (a row in
    ``search_term_count_deferred`` for the insert's duration, in this transaction only, so
    no other connection ever sees it) and add each term's rows to its count in one grouped
    upsert, in term order. The rows are counted as distinct (term, seq) pairs, the key;
    if the insert skipped any (a row already there, which ``bulk`` never writes), the
    batch's terms are recounted from the index instead, so the counts stay exact."""
    cursor.execute("INSERT INTO search_term_count_deferred (pending) VALUES (1)")
    try:
        cursor.executemany(
            f"INSERT INTO search_term ({INSERT_COLUMNS}) VALUES "
            f"({', '.join(['?'] * len(rows[0]))}) ON CONFLICT DO NOTHING",
            rows,
        )
        inserted = cursor.rowcount
        keys = {(row[0], row[1]) for row in rows}
        if inserted == len(keys):
            counts = sorted(Counter(term for term, _ in keys).items())
            cursor.executemany(
                "INSERT INTO search_term_count (term, n) VALUES (?, ?) "
                "ON CONFLICT (term) DO UPDATE SET n = n + excluded.n",
                counts,
            )
        else:
            _recount_sqlite(cursor, sorted({term for term, _ in keys}))
    finally:
        cursor.execute("DELETE FROM search_term_count_deferred")


def _recount_sqlite(cursor: Any, terms: Sequence[str]) -> None:
    """Set these terms' counts from the index itself (the exact fallback)."""
    cursor.executemany(
        "INSERT INTO search_term_count (term, n) "
        "VALUES (?1, (SELECT count(*) FROM search_term WHERE term = ?1)) "
        "ON CONFLICT (term) DO UPDATE SET n = excluded.n",
        [(term,) for term in terms],
    )


def high_water(conn: Connection) -> int:
    """The highest statement seq stored now (0 if none): a write's rows come after it."""
    return int(conn.execute(sa.select(sa.func.max(statement.c.seq))).scalar() or 0)


def index_written(conn: Connection, after: int, write_id: str) -> int:
    """Index the assertions this write (``write_id``) inserted after seq ``after``: called
    in the write's transaction, so the terms commit or roll back with the statements."""
    query = (
        sa.select(
            statement.c.seq,
            statement.c.entity_id,
            statement.c.schema,
            statement.c.prop,
            statement.c.value,
            statement.c.agency,
            statement.c.policy_id,
            statement.c.key,
        )
        .where(statement.c.seq > after, statement.c.write_id == write_id)
        .where(statement.c.retracted.is_(False), statement.c.prop.in_(searchable_props()))
        .order_by(statement.c.seq)
    )
    return index_statements(conn, (r._mapping for r in conn.execute(query)))


# --- what a query looks for -----------------------------------------------------------


@dataclass(frozen=True)
class Group:
    """One query term: the forms it may take in the index; ``prefix`` forms match any
    term starting with them (the last word typed)."""

    forms: tuple[str, ...]
    prefixes: tuple[str, ...] = ()

    def condition(self, column: ColumnElement[str]) -> ColumnElement[bool]:
        ranges = [sa.and_(column >= p, column < _after_prefix(p)) for p in self.prefixes]
        return sa.or_(column.in_(self.forms), *ranges)

    def spans(self) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
        """The terms ``condition`` matches as disjoint parts: whole forms outside every
        prefix range, and the prefix ranges ``[p, after p)`` with nested ones merged
        (``ien`` holds ``iena``'s range and the form ``ien``). Read one index range scan
        each (``_word_rows``), they give every matching row once, as ``condition`` does."""
        ranges: list[tuple[str, str]] = []
        for start in sorted(set(self.prefixes)):
            end = _after_prefix(start)
            if ranges and start < ranges[-1][1]:  # within the previous range: nested
                ranges[-1] = (ranges[-1][0], max(ranges[-1][1], end))
            else:
                ranges.append((start, end))
        forms = tuple(f for f in self.forms if not any(a <= f < b for a, b in ranges))
        return forms, tuple(ranges)

    def holds(self, term: str) -> bool:
        """``condition`` in Python, for a term a query read: the same comparisons (code
        point order is the byte order both backends compare terms in, ``TermText``)."""
        return term in self.forms or any(p <= term < _after_prefix(p) for p in self.prefixes)


@dataclass(frozen=True)
class Query:
    """What a search text asks: every word (AND), or the whole text as one identifier
    (a document number or phone typed with spaces: ``YF 973 2979``)."""

    words: tuple[Group, ...]
    whole: Group | None

    @property
    def empty(self) -> bool:
        return not self.words and self.whole is None


SPLIT = re.compile(r"[\s,;]+")
PHONE_TEXT = re.compile(r"^\+?[\d\s()./-]+$")


def parse(text: str) -> Query:
    """The groups a search text is made of; words that are name particles alone (``van``,
    ``al``) are dropped, as they are from indexed names."""
    raw = [w for w in SPLIT.split(text.strip()) if w]
    words: list[Group] = []
    for position, word in enumerate(raw):
        group = _word_group(word, last=position == len(raw) - 1)
        if group is not None:
            words.append(group)
    whole = _identifier_group(text.strip(), last=True) if len(raw) > 1 else None
    return Query(tuple(words), whole)


def _word_group(word: str, last: bool) -> Group | None:
    forms: set[str] = set()
    prefixes: set[str] = set()
    if not any(c.isdigit() or c == "@" for c in word):  # identifiers are not names
        parts = name_parts(word, lone_word=True)
        if not parts:  # a particle (van, al, de): dropped from indexed names too
            return None
        forms |= {fold(part) for part in parts}
        if last:
            prefixes |= {form for part in parts for form in _name_prefixes(part)}
    identifier = _identifier_group(word, last)
    if identifier is None and not forms:
        return None
    if identifier is not None:
        forms |= set(identifier.forms)
        prefixes |= set(identifier.prefixes)
    return Group(_clip(forms), _clip(prefixes))


def _name_prefixes(part: str) -> set[str]:
    """Folded forms of a half-typed name part. Folding is not prefix-stable at the cut
    (``Diac`` folds to ``diak`` but ``Diachenko`` to ``diajenko``), so the part without its
    last letter is looked up as well; the length rule applies to what was typed, not to
    the folded form (``Khou`` folds to ``hu``)."""
    if len(part) < MIN_PREFIX:
        return set()
    found = {fold(part)}
    shorter = fold(part[:-1])
    if len(part) > MIN_PREFIX and len(shorter) >= MIN_PREFIX:  # not "je" for "Chen"
        found.add(shorter)
    return found


def _identifier_group(text: str, last: bool) -> Group | None:
    """Forms of the text as a document number, phone or e-mail; None if it has no letter
    or digit at all (punctuation alone), or is a short word of letters only."""
    forms: set[str] = set()
    document = normalise_document_number(text)
    has_digit = any(c.isdigit() for c in text)
    if document and (has_digit or len(document) >= MIN_PREFIX or "@" in text):
        forms.add(document)
    if "@" in text:
        forms.add(text.strip().lower())
    if PHONE_TEXT.match(text):
        forms |= _phone_query_forms(text)
    forms.discard("")
    if not forms:
        return None
    prefixes = {f for f in forms if len(f) >= MIN_PREFIX} if last else set()
    return Group(_clip(forms), _clip(prefixes))


def _phone_query_forms(text: str) -> set[str]:
    """``+49 151…``, ``0049 151…`` and national ``0151…`` all reduce to digits the index
    holds (E.164 without ``+`` or the national significant number)."""
    digits = re.sub(r"\D", "", text)
    if len(digits) < 4:
        return set()
    found = {digits}
    if digits.startswith("00"):
        found.add(digits[2:])
    elif digits.startswith("0"):
        found.add(digits[1:])
    return found


def _clip(forms: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted({f[:MAX_TERM] for f in forms if f}))


def _after_prefix(prefix: str) -> str:
    """The smallest string greater than every string starting with ``prefix``."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def exact_identifier(forms: Sequence[str], term: str, kind: str) -> bool:
    """Whether a matched term is a whole identifier the query named (ranked first)."""
    return kind in IDENTIFYING and term in forms


def chunks(items: Sequence[str], size: int = 500) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def backfill(conn: Connection, with_entity: bool = True, with_facts: bool | None = None) -> int:
    """Index every current assertion already stored (migration 0008), page by page;
    ``with_entity`` and ``with_facts`` as in ``index_statements``."""
    total = 0
    for rows in _current_statements(conn, statement.c.prop.in_(searchable_props())):
        total += index_statements(conn, [dict(r._mapping) for r in rows], with_entity, with_facts)
    return total


def _current_statements(conn: Connection, where: ColumnElement[bool]) -> Iterator[Sequence[Any]]:
    """The current statements ``where`` selects, in pages of ``BATCH`` by seq (each page
    read whole, so the caller may write between pages on the same connection)."""
    last = 0
    while True:
        rows = conn.execute(
            sa.select(
                statement.c.seq,
                statement.c.entity_id,
                statement.c.schema,
                statement.c.prop,
                statement.c.value,
                statement.c.agency,
                statement.c.policy_id,
                statement.c.key,
            )
            .where(statement.c.seq > last, statement.c.retracted.is_(False), where)
            .order_by(statement.c.seq)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        yield rows
        last = int(rows[-1].seq)


# --- running a search as a viewer ------------------------------------------------------

MAX_HITS = 2000  # matching statements read per query term; beyond it the count is a floor
FACETS = ("schema", "agency", "country", "topic")


@dataclass
class Match:
    """A visible entity that matched: what ranks it and what its facets count."""

    entity_id: str
    real_id: str
    schema: str
    agencies: set[str]
    groups: set[int]
    terms: set[str]
    exact: bool = False
    countries: set[str] | None = None
    topics: set[str] | None = None
    # (agency, policy id) of the statements that matched, and, for a search with a
    # declared purpose, the agencies of those whose copy the purpose may use (ADR 0051).
    sources: set[tuple[str, str]] = field(default_factory=set)
    usable_agencies: set[str] | None = None

    def rank(self) -> tuple[int, int, str]:
        return (0 if self.exact else 1, -len(self.terms), self.entity_id)


@dataclass
class Filters:
    """Facet values a search is narrowed to (None: any)."""

    kinds: Sequence[str] | None = None  # schema and its descendants
    agency: str | None = None
    country: str | None = None
    topic: str | None = None


@dataclass
class Outcome:
    matches: list[Match]  # ranked, filtered
    facets: dict[str, list[tuple[str, int]]]
    truncated: bool


class SearchResults(list[Entity]):
    """One page of ranked entities, with the number of visible matches (``total``; a floor
    when ``truncated``) and facet counts over all of them: {facet: [(value, count)]}."""

    def __init__(
        self,
        entities: Iterable[Entity] = (),
        total: int = 0,
        facets: dict[str, list[tuple[str, int]]] | None = None,
        offset: int = 0,
        limit: int = 20,
        truncated: bool = False,
    ) -> None:
        super().__init__(entities)
        self.total = total
        self.facets = facets if facets is not None else {facet: [] for facet in FACETS}
        self.offset = offset
        self.limit = limit
        self.truncated = truncated


def run(
    conn: Connection, viewer: Any, query: Query, filters: Filters, purpose: str | None = None
) -> Outcome:
    """Every visible entity matching the query (ranked) and the facet counts over them.

    Words are ANDed: the entities holding every word are found in the index first
    (``_intersected``) and only their statements holding a word are read; past
    ``MAX_HITS`` such entities the rarest word's matches are read first and the others
    only among those entities (``_and``).

    With a declared H0 ``purpose`` (ADR 0051, amendment) every match stays, but its
    facets (agency, country, topic) and the facet filters come only from values that
    purpose may use (`purpose_view`'s rule), so no facet value or count derives from a
    withheld value; ``None`` counts every visible value (internal callers)."""
    matches: dict[str, Match] = {}
    truncated = False
    whole_count: int | None = None
    if query.words:
        order = list(range(len(query.words)))
        counts: list[int] = []
        sizes: list[int] = []
        if len(order) > 1:
            # The whole text is counted in the same round trip as the words: a full name
            # is almost never an identifier (``IVANPETRENKO``), and a zero count skips its
            # query (ADR 0032, amendment).
            whole = (query.whole,) if query.whole is not None else ()
            sizes = _sizes(conn, [*query.words, *whole])
            counts = [min(size, _rarity_cap()) for size in sizes]
            if whole:
                whole_count = counts.pop()
            # Words past the cap are "common" alike for ``_and``; among them the smaller
            # goes first, so ``_entities_holding`` scans the two smallest (ADR 0032,
            # sixth amendment: ``THI HOA TONG`` read 72,354 rows, in this order 40,660).
            order.sort(key=lambda i: (counts[i], sizes[i]))
        found: dict[str, Match] | None = None
        if INTERSECT_IN_INDEX and len(order) > 1:
            found = _intersected(
                conn, viewer, query.words, order, filters, [sizes[i] for i in order]
            )
        if found is None:
            found, truncated = _and(conn, viewer, query.words, order, filters, counts, sizes)
        matches.update(found)
    if query.whole is not None and whole_count != 0:
        rows = _hits(conn, viewer, query.whole, filters, None)
        truncated = truncated or len(rows) >= MAX_HITS
        for match in _collect(rows, query.whole, -1).values():
            known = matches.get(match.entity_id)
            matches[match.entity_id] = _merge(known, match) if known is not None else match
    ranked = sorted(matches.values(), key=Match.rank)
    _attach_facet_values(conn, viewer, ranked, purpose)
    if purpose is not None:
        _attach_usable_agencies(conn, viewer, ranked, purpose)
    kept = [m for m in ranked if _passes(m, filters)]
    return Outcome(kept, _count_facets(kept), truncated)


def _rarity(conn: Connection, group: Group) -> int:
    """How many index rows the group matches (an index-only count, capped)."""
    return _rarities(conn, [group])[0]


# Whether rarity is read from ``search_term_count`` (migration 0024) or counted in the
# index rows (False: as before; benches and tests compare the two).
RARITY_FROM_COUNTS = True


def _rarities(conn: Connection, groups: Sequence[Group]) -> list[int]:
    """How many index rows each group matches (capped at ``MAX_HITS * 4``: past it every
    word is "common" alike), in one round trip: a query's words are counted together."""
    return [min(size, _rarity_cap()) for size in _sizes(conn, groups)]


def _rarity_cap() -> int:
    return MAX_HITS * 4


def _sizes(conn: Connection, groups: Sequence[Group]) -> list[int]:
    """How many index rows each group matches, in one round trip: uncapped when read from
    the counts (``_entities_holding`` weighs a scan against probes with them), at most
    ``MAX_HITS * 4`` when counted in the index rows.

    From ``search_term_count`` (migration 0024): the sum of the counts of the group's
    distinct terms (a word's forms and prefix ranges hold a few to thousands of terms: at
    10M ``van…``, the shorter prefix of ``Wang``, holds 19,969). ``_rarities`` caps it as the
    count of rows it replaces, so ``_and`` orders words as before; a zero still means no
    row holds it."""
    cap = _rarity_cap()
    counts = []
    for group in groups:
        if RARITY_FROM_COUNTS:
            total = sa.select(sa.func.coalesce(sa.func.sum(search_term_count.c.n), 0)).where(
                group.condition(search_term_count.c.term)
            )
            counts.append(total.scalar_subquery())
            continue
        inner = sa.select(search_term.c.seq).where(group.condition(search_term.c.term))
        capped = inner.limit(cap).subquery()
        counts.append(sa.select(sa.func.count()).select_from(capped).scalar_subquery())
    row = conn.execute(sa.select(*counts)).one()
    return [int(count) for count in row]


# Whether a search of two or more words finds its entities in the index first
# (``_intersected``, migration 0022); False runs ``_and`` alone, as before (benches, tests).
INTERSECT_IN_INDEX = True


def _intersected(
    conn: Connection,
    viewer: Any,
    words: Sequence[Group],
    order: list[int],
    filters: Filters,
    sizes: Sequence[int] = (),
) -> dict[str, Match] | None:
    """The matches of every word, the entities found in the index before any statement
    is read; None when the index finds ``MAX_HITS`` entities or more (then ``_and`` reads
    them as before, with its floor).

    First the entities holding a term of every word, from ``search_term`` alone: the
    rarest word's rows (``ix_search_term_cover``, which ends with the entity) and for each
    of them one probe per other word among that entity's terms (``ix_search_term_entity``).
    Index rows of statements the viewer may not read take part here, so this is a superset
    of the answer and says nothing by itself. Then the access rule: the statements of
    those entities holding a term of any word, read through ``visible`` (the viewer's
    current, unmasked statements of searchable properties, the rule of ``_hits``), and an
    entity is kept only if its *readable* statements hold every word. The words are told
    apart in Python with the same comparison the SQL condition makes (``Group.holds``).

    When ``_and`` is not cut at ``MAX_HITS`` both give every entity whose readable
    statements hold every word, with the same rows, so the same matches; when ``_and`` is
    cut (a rarest word with ``MAX_HITS`` readable rows or more) this one is not, as long as
    fewer than ``MAX_HITS`` entities hold every word."""
    entities = _entities_holding(conn, [words[i] for i in order], sizes)
    if len(entities) >= MAX_HITS:
        return None
    if not entities:
        return {}
    rows: list[sa.Row[Any]] = []
    if sizes and _read_again(conn, sum(sizes), len(entities)):
        for index in order:
            rows += _hits_from_index(conn, viewer, words[index], filters, entities)
    else:
        for part in _id_batches(conn, entities):
            rows += _rows_of_entities(conn, viewer, words, filters, part)
    found: dict[str, Match] | None = None
    for index in order:
        group = words[index]
        extra = _collect((r for r in rows if group.holds(r[HIT_TERM])), group, index)
        if found is None:
            found = extra
        else:
            found = {k: _merge(m, extra[k]) for k, m in found.items() if k in extra}
    return found or {}


# Whether the rows of many candidate entities are read again from the words' index rows,
# judged on the facts they copy (``_hits_from_index`` among the entities), rather than each
# entity's term rows and their statements fetched one by one (``_rows_of_entities``; False:
# always so, as before; ``bench/search_intersect.py --change rescan``). A row of the words'
# index-only scans costs 0.2-0.45 µs, a fetched statement 10-25 µs, two or so per entity:
# the words are read again while their rows number at most ``RESCAN_PER_ENTITY`` per
# candidate entity (ADR 0032, seventh amendment).
ROWS_FROM_INDEX = True
RESCAN_PER_ENTITY = 40
# On SQLite at 1M statements the rescan's median was 1.05-1.06 times the fetch's (full
# names, name prefixes; alternating, 100 queries each); at 10M, with the word's rows read
# from the covering index (``_among_entities``), it cut the slowest names' time by half
# (ADR 0032, eighth amendment), so both backends read again.
RESCAN_DIALECTS: tuple[str, ...] = ("postgresql", "sqlite")


def _read_again(conn: Connection, rows: int, entities: int) -> bool:
    """Whether words of ``rows`` index rows are read again among ``entities`` candidates
    (``ROWS_FROM_INDEX``) rather than the candidates' statements fetched."""
    on = ROWS_FROM_INDEX and conn.dialect.name in RESCAN_DIALECTS
    return on and rows <= RESCAN_PER_ENTITY * entities


# Whether ``_entities_holding`` reads the rarest words' entities as index-only range scans
# (True), or the first word's ``OR`` condition with a probe per index row for every other
# word (False: as before; ``bench/search_intersect.py --change holding``).
HOLDING_FROM_SPANS = True
# The second rarest word is scanned, not probed, while it holds at most this many times
# the rarest word's index rows: at 10M statements on PostgreSQL a row of an index-only
# range scan costs 0.2-0.45 µs, a probe of one entity 6-23 µs. Kept as the rarest word's
# entities stream by (``HOLDING_SEMI_JOIN``) the scan pays up to about 30 times the rarest
# word's rows (ADR 0032, seventh amendment: ``Xiulan Wan``, 26 times, 14.8 ms scanned
# against 18.4 ms probed; ``Min Zha``, 34 times, 44.5 against 32.4); intersected (both
# sides hashed) only up to 10.
SCAN_RATIO = 25
INTERSECT_RATIO = 10
# Whether the second word's rows are kept where the rarest word's entities (hashed: the
# small side) hold them, as they stream from the index (a semi-join), or both words' sets
# are built and intersected (``INTERSECT``: the large side hashed too; False, as before,
# with ``INTERSECT_RATIO``; ``bench/search_intersect.py --change semi``).
HOLDING_SEMI_JOIN = True
# Measured better on PostgreSQL only: on SQLite at 1M statements the semi-join's median was
# 1.15-1.24 times the intersection's (alternating, 100 full names and name prefixes).
SEMI_JOIN_DIALECTS: tuple[str, ...] = ("postgresql",)


def _entities_holding(
    conn: Connection, groups: Sequence[Group], sizes: Sequence[int] = ()
) -> list[str]:
    """The entities (raw ids) with an index row of every group, from the index alone, at
    most ``MAX_HITS``; ``groups`` rarest first, ``sizes`` their index rows if known.

    The rarest word's entities are read as ``_word_rows`` reads a word (one index-only
    range scan of ``ix_search_term_cover`` per disjoint span: its ``OR`` made PostgreSQL
    combine bitmaps and fetch each row's heap page), each entity once. The second word is
    read the same way when it is at most ``SCAN_RATIO`` times as large, its rows kept where
    the rarest word's entities hold them (a semi-join: only the small side is hashed); the
    other words are probed in ``ix_search_term_entity`` for each entity left.
    At 10M statements a common given name has 4,000-8,000 rows: probing each of its
    entities for the surname took 30-70 ms, reading both words' rows a few (ADR 0032,
    sixth amendment); kept by a semi-join rather than intersected, a surname prefix 26
    times the given name's rows took 15 ms against 18-23 (seventh amendment)."""
    if not HOLDING_FROM_SPANS:
        return _entities_holding_by_rows(conn, groups)
    known = len(groups) > 1 and len(sizes) == len(groups)
    semi = HOLDING_SEMI_JOIN and conn.dialect.name in SEMI_JOIN_DIALECTS
    ratio = SCAN_RATIO if semi else INTERSECT_RATIO
    scanned = 2 if known and sizes[1] <= ratio * max(sizes[0], 1) else 1
    reads = [_entities_of(group, f"word_rows_{i}") for i, group in enumerate(groups[:scanned])]
    candidates = _both_read(reads, semi).subquery("candidates")
    entity = candidates.c.entity_id
    query = sa.select(entity).where(*_probes(entity, groups, scanned))
    return sorted(conn.execute(query.limit(MAX_HITS)).scalars())


def _both_read(
    reads: Sequence[sa.Select[Any]], semi: bool
) -> sa.Select[Any] | sa.CompoundSelect[Any]:
    """The distinct entities of one scanned word, or of the second word's rows the rarest
    word's entities hold (``semi``), or of both sets intersected."""
    if len(reads) == 1:
        return reads[0].distinct()
    if not semi:
        return sa.intersect(*reads)
    # Each side behind a fence (``OFFSET 0``), so neither can be read per entity of the
    # other: PostgreSQL guessed 200 entities for the rarest word's spans and probed the
    # second word in ``ix_search_term_entity`` for each of its 5,114 (53 ms, where the
    # hashed rarest side took 9).
    rare, common = (read.offset(0).subquery(f"scanned_{i}") for i, read in enumerate(reads))
    kept = common.c.entity_id.in_(sa.select(rare.c.entity_id))
    return sa.select(common.c.entity_id).where(kept).distinct()


def _probes(entity: Any, groups: Sequence[Group], start: int) -> list[sa.Exists]:
    """For each group from ``start`` on: the entity has an index row of it
    (``ix_search_term_entity``, one probe per entity)."""
    probes = []
    for position, group in enumerate(groups[start:], start=start):
        other = search_term.alias(f"word_{position}")
        held = sa.select(other.c.seq).where(
            other.c.entity_id == entity, group.condition(other.c.term)
        )
        probes.append(held.exists())
    return probes


def _entities_of(group: Group, name: str) -> sa.Select[Any]:
    """The entities of a group's index rows (with repeats), as index-only range scans."""
    rows = _span_union(group, (search_term.c.entity_id,), name)
    return sa.select(rows.c.entity_id).where(rows.c.entity_id.is_not(None))


def _entities_holding_by_rows(conn: Connection, groups: Sequence[Group]) -> list[str]:
    """``_entities_holding`` as before ``HOLDING_FROM_SPANS``: every index row of the first
    group's condition probed for the others."""
    first = search_term.alias("first_word")
    query = sa.select(first.c.entity_id).where(
        groups[0].condition(first.c.term),
        first.c.entity_id.is_not(None),
        *_probes(first.c.entity_id, groups, 1),
    )
    return sorted(conn.execute(query.distinct().limit(MAX_HITS)).scalars())


def _rows_of_entities(
    conn: Connection,
    viewer: Any,
    words: Sequence[Group],
    filters: Filters,
    entities: Sequence[str],
) -> list[sa.Row[Any]]:
    """The readable statements of ``entities`` holding a term of any of ``words``, one row
    per (statement, term), in the columns of ``_hits``: the entities' term rows
    (``ix_search_term_entity``), each statement fetched by seq and put through
    ``visible``, the same rule as every other search read."""
    visible = _unmasked(conn, viewer, searchable_props())
    query = visible.with_only_columns(*_hit_columns()).where(
        search_term.c.seq == statement.c.seq,
        _one_of(conn, search_term.c.entity_id, entities),
        search_term.c.entity_id == statement.c.entity_id,
        sa.or_(*(group.condition(search_term.c.term) for group in words)),
    )
    if filters.kinds is not None:
        query = query.where(statement.c.schema.in_(filters.kinds))
    if filters.agency is not None:
        query = query.where(statement.c.agency == filters.agency)
    return list(conn.execute(query))


# A word whose index rows outnumber the candidate entities this many times is read from
# the candidates' own statements (their terms by seq) instead of all its rows (ADR 0032).
DRIVE_FROM_ENTITIES = 2


def _and(
    conn: Connection,
    viewer: Any,
    words: Sequence[Group],
    order: list[int],
    filters: Filters,
    counts: Sequence[int] = (),
    sizes: Sequence[int] = (),
) -> tuple[dict[str, Match], bool]:
    """The rarest word's first ``MAX_HITS`` readable rows, then each other word among their
    entities: its rows read again among them (``_read_again``: from ``sizes``, the words'
    uncapped index rows), or the entities' statements (``among``, a common word) or the
    word's rows narrowed to the entities."""
    first = order[0]
    rows = _hits(conn, viewer, words[first], filters, None)
    truncated = len(rows) >= MAX_HITS
    found = _collect(rows, words[first], first)
    for index in order[1:]:
        if not found:
            break
        real = sorted({m.real_id for m in found.values()})
        common = bool(counts) and counts[index] > DRIVE_FROM_ENTITIES * len(real)
        more: list[sa.Row[Any]] = []
        if sizes and _read_again(conn, sizes[index], len(real)):
            more = _hits_from_index(conn, viewer, words[index], filters, real)
        else:
            for part in _id_batches(conn, real):
                more += _hits(conn, viewer, words[index], filters, part, among=common)
        extra = _collect(more, words[index], index)
        found = {k: _merge(m, extra[k]) for k, m in found.items() if k in extra}
    return found, truncated


def _merge(a: Match, b: Match) -> Match:
    a.groups |= b.groups
    a.terms |= b.terms
    a.agencies |= b.agencies
    a.sources |= b.sources
    a.exact = a.exact or b.exact
    return a


def _hits(
    conn: Connection,
    viewer: Any,
    group: Group,
    filters: Filters,
    real_ids: Sequence[str] | None,
    among: bool = False,
) -> list[sa.Row[Any]]:
    """Matching index terms of statements the viewer may read unmasked: the visibility
    rule is the store's own query (``visible_statements`` + ``unmasked_values``).

    With ``among`` (a common word, ``real_ids`` given) the statements of those entities
    are read first and each one's terms looked up by seq (``ix_search_term_seq``), instead
    of reading every row of the word and each one's statement: at 10M statements a
    surname has ~16k rows but the rarest word's entities only a few statements each.

    The entity id is the raw one, not ``shown_id``: every row here is a current statement
    the viewer reads unmasked, so its entity is not opaque for the viewer and is shown
    under its real id (rule 4 of ``visibility``); working the alias rule out again per
    matching row costs two correlated subqueries each."""

    if real_ids is None and ONE_WORD_FROM_INDEX and WORD_ROWS_AS_RANGES:
        # (With the ranges switched off, the statement-fetching read of the word's ``OR``
        # answers, the comparison ``test_search_word_ranges`` makes.)
        return _hits_from_index(conn, viewer, group, filters)
    visible = _unmasked(conn, viewer, searchable_props())
    if among and real_ids is not None:
        query = _terms_of_statements(conn, visible, group, real_ids)
    elif WORD_ROWS_AS_RANGES:
        rows = _word_rows(group)
        query = visible.with_only_columns(*_hit_columns(rows)).where(rows.c.seq == statement.c.seq)
    else:
        query = visible.with_only_columns(*_hit_columns()).where(
            search_term.c.seq == statement.c.seq, group.condition(search_term.c.term)
        )
    if filters.kinds is not None:
        query = query.where(statement.c.schema.in_(filters.kinds))
    if filters.agency is not None:
        query = query.where(statement.c.agency == filters.agency)
    if real_ids is not None and not among:
        query = query.where(_one_of(conn, statement.c.entity_id, real_ids))
    return list(conn.execute(query.limit(MAX_HITS)))


# Whether a word read alone (a one-word search, the rarest word of ``_and``, the whole
# text as an identifier) is judged from the facts its index rows copy (``_hits_from_index``,
# migration 0026) or by fetching each row's statement (False: as before; benches, tests).
ONE_WORD_FROM_INDEX = True


def _hits_from_index(
    conn: Connection,
    viewer: Any,
    group: Group,
    filters: Filters,
    entities: Sequence[str] | None = None,
) -> list[sa.Row[Any]]:
    """``_hits`` of a word read alone, without a statement fetch per index row: the
    access rule of ``visible_statements`` narrowed to unmasked searchable values, applied
    to the statement's facts each index row copies (migration 0026), with the same
    functions: ``may_see`` (owner agency, or a policy whose audience, read live from
    ``policy``/``policy_agency``/``policy_group``/``group_member``, holds the viewer),
    ``is_masked`` (the policy's handling, read live), ``is_current`` (a later retraction
    of the same key, probed live in ``ix_statement_retraction``) and the property filter.

    Only immutable facts are copied: a statement row is never updated (a new sharing is a
    new row with its own terms; a retraction is a row of its own), so the copies cannot go
    stale. A term row is written for an assertion only (``bulk._flush``,
    ``index_written``, ``backfill`` skip retractions), so its own ``retracted`` is false.
    A row without facts (never left by a write from 0026 on) fails ``may_see``: denied.

    The rows come from ``ix_search_term_cover`` alone (PostgreSQL: index-only range scans
    once the visibility map is set; SQLite: a covering-index search); the statements are
    fetched later for the page's entities only (``Store._read``).

    The query is built once per viewer class and shape (``_index_hits``), the word's
    forms, ranges and the filters bound as parameters: building the rule's expressions
    cost more than running the query for a rare word (a document: ~3 ms per search).

    With ``entities``, every row of those entities (no ``MAX_HITS``): the word's rows are
    scanned whole and kept where a bound entity holds them (``_among_entities``)."""
    from palermo.store import visibility

    forms, ranges = group.spans()
    shape = (bool(forms), len(ranges), filters.kinds is not None, filters.agency is not None)
    # The viewer reduced as ``visible_statements`` caches it (agency, role class).
    canonical = visibility._canonical(viewer)
    among = entities is not None
    query = _index_hits(canonical, conn.dialect.name, shape, None if among else MAX_HITS, among)
    params: dict[str, Any] = {}
    if entities is not None:
        ids = list(entities)
        params["ids"] = ids if conn.dialect.name == "postgresql" else json.dumps(ids)
    for i, (low, high) in enumerate(ranges):
        params[f"low_{i}"], params[f"high_{i}"] = low, high
    if forms:
        params["forms"] = list(forms)
    if filters.kinds is not None:
        params["kinds"] = list(filters.kinds)
    if filters.agency is not None:
        params["agency"] = filters.agency
    return list(conn.execute(query, params))


@functools.lru_cache(maxsize=512)
def _index_hits(
    viewer: Any,
    dialect: str,
    shape: tuple[bool, int, bool, bool],
    limit: int | None,
    among: bool = False,
) -> sa.Select[Any]:
    """The query of ``_hits_from_index`` for a canonical viewer (``visibility._canonical``:
    the rule depends on its agency and role class only) and a shape: whether the word has
    whole forms, how many prefix ranges, whether a schema or agency filter is set, whether
    only rows of bound entities are kept; values are bound by name (``forms``,
    ``low_<i>``/``high_<i>``, ``kinds``, ``agency``, ``ids``)."""
    from palermo.store import visibility

    has_forms, range_count, kinds, agency = shape
    term = search_term.c.term
    parts: list[ColumnElement[bool]] = [
        sa.and_(term >= sa.bindparam(f"low_{i}"), term < sa.bindparam(f"high_{i}"))
        for i in range(range_count)
    ]
    if has_forms:
        parts.insert(0, term.in_(sa.bindparam("forms", expanding=True)))
    rows = _rows_union(parts, facts=True)
    if among:
        rows = _among_entities(rows, dialect)
    props: ColumnElement[bool]
    if dialect == "postgresql":
        array = sa.bindparam("props", list(searchable_props()), type_=postgresql.ARRAY(sa.String()))
        props = rows.c.prop == sa.any_(array)
    else:
        props = rows.c.prop.in_(searchable_props())
    query = sa.select(*_hit_columns(rows, rows)).where(
        visibility.may_see(viewer, rows),
        visibility.is_current(rows),
        props,
        sa.not_(visibility.is_masked(viewer, rows)),
    )
    if kinds:
        query = query.where(rows.c.schema.in_(sa.bindparam("kinds", expanding=True)))
    if agency:
        query = query.where(rows.c.agency == sa.bindparam("agency"))
    return query if limit is None else query.limit(limit)


def _among_entities(rows: sa.Subquery, dialect: str) -> sa.Subquery:
    """``rows`` whose entity is one of the bound ``ids`` (PostgreSQL: an array, unnested;
    SQLite: a JSON array, ``json_each``): one parameter whatever the number of entities.
    The rows are kept behind a fence (``OFFSET 0``), so the access rule is judged on the
    kept rows only, not on every row of the word before the ids are looked up (PostgreSQL
    pushed it down: 16,164 rows judged where 1,914 were kept)."""
    ids: sa.Select[Any]
    entity: ColumnElement[Any] = rows.c.entity_id
    if dialect == "postgresql":
        bound = sa.bindparam("ids", type_=postgresql.ARRAY(sa.String()))
        ids = sa.select(sa.func.unnest(bound))
    else:
        ids = sa.select(sa.column("value")).select_from(sa.func.json_each(sa.bindparam("ids")))
        # SQLite's unary ``+``: the entity is no index term, so the word's rows come from
        # its range in ``ix_search_term_cover`` (facts included), not from a probe per
        # entity in ``ix_search_term_entity`` and a table fetch per row for the facts,
        # which SQLite chose for a prefix's ranges (at 10M: 2,884 rows in 33-35 ms warm
        # against 22-24, and random table pages cold; ADR 0032, eighth amendment).
        entity = UnaryExpression(rows.c.entity_id, operator=custom_op("+"), type_=sa.String())
    return sa.select(rows).where(entity.in_(ids)).offset(0).subquery("among")


# Whether a word's index rows are read as disjoint index ranges, one scan each
# (``_word_rows``), or with the word's condition, an OR of its forms and prefix ranges
# (False: as before; benches and tests compare the two).
WORD_ROWS_AS_RANGES = True


def _word_rows(group: Group, facts: bool = False) -> sa.Subquery:
    """The group's index rows (term, seq, kind) as a ``UNION ALL`` of one scan per
    disjoint part (``Group.spans``): each branch is an index-only range scan of
    ``ix_search_term_cover``. With the condition's ``OR`` of a form list and prefix ranges
    PostgreSQL combined bitmaps and then read every row from the table (a surname at 1M:
    2,248 rows on 1,147 table pages, 11-49 ms, against ~1 ms for the same rows from the
    index alone). The rows are the same, each once (the parts do not overlap).

    With ``facts`` the rows carry the statement's entity and copied facts as well (all in
    the cover index) and a ``retracted`` column that is false: term rows are written for
    assertions only (``_hits_from_index``)."""
    return _span_union(group, _row_columns(facts))


def _span_union(group: Group, columns: Sequence[Any], name: str = "word_rows") -> sa.Subquery:
    """``columns`` of the group's index rows, one ``UNION ALL`` branch per disjoint span."""
    forms, ranges = group.spans()
    term = search_term.c.term
    parts: list[ColumnElement[bool]] = [sa.and_(term >= a, term < b) for a, b in ranges]
    if forms:
        parts.insert(0, term.in_(forms))
    return _union_of(parts, columns, name)


def _rows_union(parts: Sequence[ColumnElement[bool]], facts: bool) -> sa.Subquery:
    """The index rows each condition of ``parts`` selects, one ``UNION ALL`` branch each
    (``_word_rows``)."""
    return _union_of(parts, _row_columns(facts))


def _row_columns(facts: bool) -> tuple[Any, ...]:
    columns: tuple[Any, ...] = (search_term.c.term, search_term.c.seq, search_term.c.kind)
    if facts:
        columns += (
            search_term.c.entity_id,
            *(search_term.c[name] for name in FACTS),
            sa.false().label("retracted"),
        )
    return columns


def _union_of(
    parts: Sequence[ColumnElement[bool]], columns: Sequence[Any], name: str = "word_rows"
) -> sa.Subquery:
    selects = [sa.select(*columns).where(part) for part in parts]
    if len(selects) == 1:
        return selects[0].subquery(name)
    return sa.union_all(*selects).subquery(name)


def _terms_of_statements(
    conn: Connection, visible: sa.Select[Any], group: Group, real_ids: Sequence[str]
) -> sa.Select[Any]:
    """``visible`` narrowed to the candidates' statements that hold one of the group's
    terms, with those terms: a semi-join, the access rule checked on the few statements
    that matched rather than on every statement of the candidates (ADR 0032, amendment).

    The inner query finds the seqs: the candidates' statements (``ix_statement_entity_id``)
    and each one's terms by seq (``ix_search_term_seq``, index-only). On SQLite the entity
    index holds the rowid (the seq), so this reads no table row at all; on PostgreSQL the
    candidates' rows are read (the index has no seq) and the probe is a ``LATERAL``
    subquery with ``OFFSET 0`` (not flattened into a join, so the order holds whatever the
    estimates say). The outer query fetches the matched statements by primary key and
    applies ``visible``, the same rule as every other search read."""
    cand = statement.alias("cand")
    own = search_term.alias("own_term")
    among = _one_of(conn, cand.c.entity_id, real_ids)
    if conn.dialect.name == "postgresql":
        lookup = sa.select(own.c.seq, own.c.term, own.c.kind).where(
            own.c.seq == cand.c.seq, group.condition(own.c.term)
        )
        terms = lookup.offset(0).lateral("own_terms")
        matched = (
            sa.select(terms.c.seq, terms.c.term, terms.c.kind)
            .select_from(cand.join(terms, sa.true()))
            # The row is read anyway (the entity index holds no seq here): its property
            # spares the probe of statements no term is kept for (dates, notes, ...).
            .where(among, _one_of(conn, cand.c.prop, searchable_props()))
            .offset(0)
            .subquery("matched")
        )
    else:
        matched = (
            sa.select(own.c.seq, own.c.term, own.c.kind)
            .where(own.c.seq == cand.c.seq, group.condition(own.c.term), among)
            .offset(0)  # not flattened: the statements are read after the terms
            .subquery("matched")
        )
    return visible.join_from(
        statement, matched, matched.c.seq == statement.c.seq
    ).with_only_columns(
        statement.c.entity_id,
        statement.c.entity_id.label("real_id"),
        statement.c.schema,
        statement.c.agency,
        statement.c.policy_id,
        matched.c.term,
        matched.c.kind,
    )


def _unmasked(conn: Connection, viewer: Any, props: Sequence[str]) -> sa.Select[Any]:
    """``visibility.unmasked_values(visible_statements(viewer), viewer, props)``: the same
    rule (the viewer's current statements, masked ones left out, of these properties),
    with the property list sent to PostgreSQL as one array parameter (``_one_of``)."""
    from palermo.store import visibility

    if conn.dialect.name != "postgresql":
        return visibility.unmasked_values(visibility.visible_statements(viewer), viewer, props)
    return visibility.visible_statements(viewer).where(
        _one_of(conn, statement.c.prop, props), sa.not_(visibility.is_masked(viewer))
    )


def _one_of(conn: Connection, column: Any, values: Sequence[str]) -> ColumnElement[bool]:
    """``column IN values``; on PostgreSQL ``column = ANY(:array)``: one bind parameter
    instead of one per value, so neither SQLAlchemy's per-call rendering of an expanded
    ``IN`` nor the server's planning grows with the list (2,000 ids, 110 property names)."""
    if conn.dialect.name == "postgresql":
        array = sa.bindparam(None, list(values), type_=postgresql.ARRAY(sa.String()))
        return column == sa.any_(array)  # type: ignore[no-any-return]
    return column.in_(values)  # type: ignore[no-any-return]


def _id_batches(conn: Connection, ids: Sequence[str]) -> Iterator[Sequence[str]]:
    """The ids in one batch on PostgreSQL (one array parameter), in chunks on SQLite
    (whose statements take a bounded number of parameters)."""
    if conn.dialect.name == "postgresql":
        if ids:
            yield ids
        return
    yield from chunks(ids)


def _collect(rows: Iterable[Sequence[Any]], group: Group, index: int) -> dict[str, Match]:
    found: dict[str, Match] = {}
    # Unpacked by position (the order of ``_hit_columns``): a surname's 1,138 rows took
    # 27 ms through ``Row._mapping`` and 40 ms by attribute, 5-7 ms so (1M bench).
    for entity_id, real_id, schema, agency, policy_id, term, kind in rows:
        match = found.get(entity_id)
        if match is None:
            match = Match(entity_id, real_id, schema, set(), {index}, set())
            found[entity_id] = match
        match.agencies.add(agency)
        match.sources.add((agency, policy_id))
        match.terms.add(term)
        match.exact = match.exact or exact_identifier(group.forms, term, kind)
    return found


def _attach_facet_values(
    conn: Connection, viewer: Any, matches: list[Match], purpose: str | None = None
) -> None:
    """The countries and topics the viewer may read (unmasked) of each matched entity;
    with a declared ``purpose``, only those it may use: a value is usable when any of the
    entity's copies of it allows the purpose (`purpose_view.usable_values`, the rule every
    read applies), so a country only a withheld value holds is no facet of the entity."""

    countries, topics = facet_props(COUNTRY), facet_props(TOPIC)
    by_real = {m.real_id: m for m in matches}
    for m in matches:
        m.countries, m.topics = set(), set()
    if not by_real:
        return
    visible = (
        _facet_statements(viewer)
        if FACETS_BY_INDEX
        else _unmasked(conn, viewer, (*countries, *topics))
    )
    rows: list[Any] = []
    for part in _id_batches(conn, sorted(by_real)):
        query = visible.with_only_columns(
            statement.c.entity_id,
            statement.c.prop,
            statement.c.value,
            statement.c.agency,
            statement.c.policy_id,
        ).where(_one_of(conn, statement.c.entity_id, part))
        rows += conn.execute(query).all()
    if purpose is not None:
        rows = _usable_rows(conn, viewer, rows, purpose)
    for row in rows:
        match = by_real[row.entity_id]
        target = match.countries if row.prop in countries else match.topics
        if target is not None:
            target.add(str(row.value))


# Whether the facet values are read through the partial index of country- and topic-typed
# statements (``_facet_statements``, migration 0027) or with the property list bound as
# before (False: through the entity index, every statement of every match; benches, tests).
FACETS_BY_INDEX = True


def _facet_statements(viewer: Any) -> sa.Select[Any]:
    """``_facet_query`` for the viewer reduced as ``visible_statements`` caches it."""
    from palermo.store import visibility

    return _facet_query(visibility._canonical(viewer))


@functools.lru_cache(maxsize=512)
def _facet_query(viewer: Any) -> sa.Select[Any]:
    """``visible_statements(viewer)`` narrowed to unmasked values of the country- and
    topic-typed properties: the rule of ``_unmasked`` (``unmasked_values``), with the
    property condition written as ``tables.FACET_VALUES`` word for word, the predicate of
    ``ix_statement_facet`` (migration 0027), so the planner of either backend reads each
    matched entity's few such statements from it instead of all of its statements (a
    bound list does not prove the predicate on SQLite). ``tables.FACET_PROPS`` is checked
    equal to ``facet_props`` by the tests. Built once per canonical viewer (agency and
    role class), as ``_index_hits``."""
    from palermo.store import visibility

    return visibility.visible_statements(viewer).where(
        sa.text(FACET_VALUES), sa.not_(visibility.is_masked(viewer))
    )


def _usable_rows(conn: Connection, viewer: Any, rows: list[Any], purpose: str) -> list[Any]:
    """The facet rows whose (entity, prop, value) ``purpose`` may use (any copy allows it,
    `purpose_view.usable_values`). Only the entities with a copy that does not allow it
    are judged value by value; the others keep every row, as `value_copies` skips them."""
    sources = _sources(conn, viewer, {(row.agency, row.policy_id) for row in rows})
    judged = {r.entity_id for r in rows if not copy_usable(sources[r.agency, r.policy_id], purpose)}
    if not judged:
        return rows
    copies: dict[str, list[list[Any]]] = {}
    for row in rows:
        if row.entity_id in judged:
            source = sources[row.agency, row.policy_id]
            copies.setdefault(row.entity_id, []).append([row.prop, str(row.value), *source[2:]])
    usable = {eid: usable_values(found, purpose) for eid, found in copies.items()}
    return [
        r
        for r in rows
        if r.entity_id not in judged or (r.prop, str(r.value)) in usable[r.entity_id]
    ]


def _attach_usable_agencies(
    conn: Connection, viewer: Any, matches: list[Match], purpose: str
) -> None:
    """The agencies of each match's matched statements whose own copy allows ``purpose``
    (`purpose_view.copy_usable`): the agency facet and filter. A hit found only through
    withheld values stays listed (ADR 0051) but is counted under no agency."""
    sources = _sources(conn, viewer, {pair for m in matches for pair in m.sources})
    for m in matches:
        m.usable_agencies = {a for a, p in m.sources if copy_usable(sources[a, p], purpose)}


def _sources(
    conn: Connection, viewer: Any, pairs: set[tuple[str, str]]
) -> dict[tuple[str, str], list[Any]]:
    """(agency, policy id) -> a copy without property or value (`purpose_view.statement_copy`):
    the purposes of a statement depend on these two alone, and a search's rows hold few
    distinct pairs, so each is worked out once."""
    canonical = _policies(conn, {policy_id for _, policy_id in pairs})
    return {(a, p): statement_copy("", "", a, canonical[p], viewer) for a, p in pairs}


def _policies(conn: Connection, ids: set[str]) -> dict[str, str]:
    """policy id -> canonical text, for the few distinct policies of a search's rows."""
    out: dict[str, str] = {}
    wanted = sorted(ids)
    for part in _id_batches(conn, wanted):
        query = sa.select(policy.c.id, policy.c.canonical).where(_one_of(conn, policy.c.id, part))
        out.update({row.id: row.canonical for row in conn.execute(query)})
    return out


def _passes(match: Match, filters: Filters) -> bool:
    usable = match.usable_agencies
    if filters.agency is not None and usable is not None and filters.agency not in usable:
        return False  # matched only through the agency's withheld values
    if filters.country is not None and filters.country not in (match.countries or ()):
        return False
    return filters.topic is None or filters.topic in (match.topics or ())


def _count_facets(matches: Iterable[Match]) -> dict[str, list[tuple[str, int]]]:
    counts: dict[str, dict[str, int]] = {facet: {} for facet in FACETS}
    for m in matches:
        values = {
            "schema": {m.schema},
            "agency": m.usable_agencies if m.usable_agencies is not None else m.agencies,
            "country": m.countries or set(),
            "topic": m.topics or set(),
        }
        for facet, found in values.items():
            for value in found:
                counts[facet][value] = counts[facet].get(value, 0) + 1
    return {
        facet: sorted(found.items(), key=lambda item: (-item[1], item[0]))
        for facet, found in counts.items()
    }


HIT_TERM = 5  # the term's position in a hit row


def _hit_columns(terms: Any = search_term, facts: Any = statement) -> tuple[Any, ...]:
    """The columns of one (statement, term) hit row, as ``_hits`` reads them, the term
    and its kind from ``terms`` (``search_term`` or a subquery of its rows), the
    statement's entity, schema, agency and policy from ``facts`` (``statement``, or the
    term rows' copies of them, ``_hits_from_index``); every read of hit rows selects them
    in this order (``_collect`` unpacks them by position)."""
    return (
        facts.c.entity_id,
        facts.c.entity_id.label("real_id"),
        facts.c.schema,
        facts.c.agency,
        facts.c.policy_id,
        terms.c.term,
        terms.c.kind,
    )
