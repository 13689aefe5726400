"""Search benchmark: the search index against the old ``LIKE '%…%'`` query, same run.

Builds N statements of persons (names from the world generator's pools, in Latin and native
script; passports, phones, e-mails, nationality, ...) spread over 5 agencies and sharing
scopes, on SQLite and PostgreSQL, then searches as an agency that sees part of them:

    .venv/bin/python bench/search.py                         # 1,000,000 statements
    .venv/bin/python bench/search.py --statements 10000000   # 10M (long: loads for hours)
    .venv/bin/python bench/search.py --statements 10000000 --copy --backends postgresql
    .venv/bin/python bench/search.py --statements 10000000 --copy --backends sqlite \
        --sqlite-file /tmp/s.db                              # 10M without the write path
    .venv/bin/python bench/search.py --statements 100000 --backends sqlite
    .venv/bin/python bench/search.py --backends sqlite --sqlite-file /tmp/s.db  # kept; then
    .venv/bin/python bench/search.py --backends sqlite --sqlite-file /tmp/s.db --reuse

Query kinds (targets are persons the searching agency may read):
  full name       "Given Family" as the pool's Latin spelling
  surname         one family name (many matches: the pools hold ~50 per culture)
  name prefix     "Given Fami" (the last word typed half)
  document        the passport number typed with spaces ("YF 973 2979")
  phone           the phone in national format ("067 123 4567" for +380671234567)

"found" is the share of queries whose target entity is among the results (all pages for the
index, the first 1000 for LIKE). The old query is timed on fewer queries (it scans).
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from rich.console import Console
from rich.table import Table

from palermo.access.viewer import Viewer
from palermo.model.sharing import Sharing
from palermo.model.statement import BASE, Statement
from palermo.store import visibility
from palermo.store.directory import Agency
from palermo.store.store import NAME_PROPS, Store, _no_jit, like_escape
from palermo.store.tables import statement as statement_table
from palermo.world.pools import CULTURES, Culture
from store import fresh_pg  # bench/store.py

AGENCIES = ["DE-BKA", "NL-KMAR", "TH-RTP", "MY-IMM", "NG-NAPTIP"]
VIEWER = "NL-KMAR"  # in group EU: sees group:EU and all-scoped records of the others
SCOPES = [
    Sharing.parse("owner"),
    Sharing.parse("group:EU"),
    Sharing.parse("TH-RTP,MY-IMM"),
    Sharing.to_all(),
    Sharing.parse("all", ["victim-sensitive"]),
]
READABLE = {1, 3}  # scopes whose values VIEWER reads unmasked
CALLING = {"UA": "380", "TH": "66", "NG": "234", "RO": "40", "SY": "963", "VN": "84", "CN": "86"}
PER_ENTITY = 10
CHUNK = 20_000
PG_NAME = "palermo_bench_search"
KINDS = ("full name", "surname", "name prefix", "document", "phone")


@dataclass(frozen=True)
class Target:
    entity_id: str
    given: str
    family: str
    passport: str
    phone: str  # national format, as typed


def person(n: int, agency: str, rng: random.Random) -> tuple[list[Statement], Target, int]:
    culture: Culture = rng.choice(list(CULTURES.values()))
    given = rng.choice(culture.male + culture.female)
    family = rng.choice(culture.family)
    latin = f"{given[1][0]} {family[1][0]}"
    native = f"{family[0]} {given[0]}" if culture.family_first else f"{given[0]} {family[0]}"
    code = culture.code
    passport = (
        f"{rng.choice('ABCEFKLMNPTXY')}{rng.choice('ABCEFKLMNPTXY')}{rng.randrange(10**7):07d}"
    )
    national = f"{rng.randrange(6, 10)}{rng.randrange(10**8):08d}"
    phone = f"+{CALLING[code]}{national}"
    eid = f"{agency.lower()}.p{n}"
    scope_index = rng.randrange(len(SCOPES))
    sharing = SCOPES[scope_index]
    values = [
        ("name", latin),
        ("alias", native),
        (
            "birthDate",
            f"{rng.randrange(1960, 2005)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}",
        ),
        ("nationality", code.lower()),
        ("passportNumber", passport),
        ("phone", phone),
        ("email", f"{given[1][0]}.{family[1][0]}{n}@example.org".lower()),
        ("gender", rng.choice(["male", "female"])),
        ("notes", f"record {n} of {agency}"),
    ]
    stmts = [Statement(eid, "Person", BASE, eid, agency, f"p{n}", sharing)]
    stmts += [Statement(eid, "Person", p, v, agency, f"p{n}", sharing) for p, v in values]
    typed_phone = f"0{national[:2]} {national[2:5]} {national[5:]}"
    typed_passport = f"{passport[:2]} {passport[2:5]} {passport[5:]}"
    target = Target(eid, given[1][0], family[1][0], typed_passport, typed_phone)
    return stmts, target, scope_index


def setup(store: Store) -> dict[str, Viewer]:
    system = Viewer.system()
    viewers = {}
    for code in AGENCIES:
        groups = ("EU",) if code in ("DE-BKA", "NL-KMAR") else ()
        store.add_agency(system, Agency(code, code, code[:2], "police", groups))
        viewers[code] = store.add_user(system, f"bench-{code}", code, "analyst").viewer()
    return viewers


def known_viewers(store: Store) -> dict[str, Viewer]:
    return {code: store.viewer(f"bench-{code}") for code in AGENCIES}


def batches(total: int, targets: list[Target]) -> Iterator[tuple[str, list[Statement]]]:
    """The persons in chunks of CHUNK statements, agency by agency, always in the same
    order from the same seed (so a later ``--reuse`` run knows the same targets); the
    persons VIEWER may read of other agencies are appended to ``targets``."""
    rng = random.Random(7)
    per_agency = total // PER_ENTITY // len(AGENCIES)
    for agency in AGENCIES:
        for start in range(0, per_agency, CHUNK // PER_ENTITY):
            batch: list[Statement] = []
            for n in range(start, min(start + CHUNK // PER_ENTITY, per_agency)):
                stmts, target, scope = person(n, agency, rng)
                batch += stmts
                if scope in READABLE and agency != VIEWER:
                    targets.append(target)
            yield agency, batch


def load(
    store: Store, viewers: dict[str, Viewer], total: int, write: bool = True
) -> tuple[float, list[Target]]:
    """Write the persons through Store.write (the index is filled in the same transaction);
    with ``write`` False only draw them again (the same seed) to know the targets."""
    targets: list[Target] = []
    started = time.perf_counter()
    for agency, batch in batches(total, targets):
        if write:
            store.write(viewers[agency], batch)
    if write:
        store.analyze()
    return time.perf_counter() - started, targets


def copy_load(store: Store, total: int) -> tuple[float, list[Target]]:
    """The same persons as ``load``, COPYed (PostgreSQL) or inserted into index-less tables
    (SQLite; see bench/search_copy.py)."""
    from search_copy import copy_statements  # a sibling script of the bench folder

    targets: list[Target] = []
    started = time.perf_counter()
    copy_statements(store, batches(total, targets))
    store.analyze()
    return time.perf_counter() - started, targets


def freeze_fixture() -> None:
    """Keep the bench's own bookkeeping out of the garbage collector's full passes.

    The targets of 10M statements are a million ``Target`` objects this process holds and
    a node's server does not; each full (generation 2) collection walks them all, and a
    collection falls inside whichever search is running. Measured at 10M (PostgreSQL, 40
    surnames): two full passes of 690 ms each, the p99 808 ms; frozen first (as the API
    freezes its screening index, ``api.heap``), 24 ms of full passes and p99 154 ms."""
    gc.collect()
    gc.freeze()


def queries(targets: list[Target], count: int) -> dict[str, list[tuple[str, str]]]:
    rng = random.Random(11)
    picked = rng.sample(targets, min(count, len(targets)))
    return {
        "full name": [(f"{t.given} {t.family}", t.entity_id) for t in picked],
        "surname": [(t.family, t.entity_id) for t in picked],
        "name prefix": [(half_typed(f"{t.given} {t.family}"), t.entity_id) for t in picked],
        "document": [(t.passport, t.entity_id) for t in picked],
        "phone": [(t.phone, t.entity_id) for t in picked],
    }


def half_typed(name: str) -> str:
    """The name with its last word cut to 4 letters, as typed into a search box."""
    *first, last = name.split()
    return " ".join([*first, last[:4]])


def index_search(store: Store, viewer: Viewer, text: str) -> set[str]:
    """The new search: one page of 20, as the web page asks; ``found`` checks all pages'
    ids through the ranked total (the target is on some page if it matched)."""
    return {e.id for e in store.search(viewer, text, limit=20)}


def index_all_ids(store: Store, viewer: Viewer, text: str) -> set[str]:
    """Every matching id (not timed): did the target match at all?"""
    from palermo.store import search_index

    with store.engine.connect() as conn:
        outcome = search_index.run(conn, viewer, search_index.parse(text), search_index.Filters())
    return {m.entity_id for m in outcome.matches}


def like_search(store: Store, viewer: Viewer, text: str) -> set[str]:
    """The query Store.search ran before the index (kept here as the baseline)."""
    needle = f"%{like_escape(text.strip().lower())}%"
    candidates = visibility.unmasked_values(
        visibility.visible_statements(viewer), viewer, NAME_PROPS
    ).where(sa.func.lower(statement_table.c.value).like(needle, escape="\\"))
    visible = candidates.subquery()
    query = (
        sa.select(visible.c.entity_id)
        .distinct()
        .where(sa.func.lower(visible.c.value).like(needle, escape="\\"))
        .order_by(visible.c.entity_id)
        .limit(1000)
    )
    with store.engine.begin() as conn:
        _no_jit(conn)
        ids = set(conn.execute(query).scalars())
    return {e.id for e in store.entities(viewer, ids=sorted(ids)[:20], limit=20)} | ids


def timed(
    search: Callable[[Store, Viewer, str], set[str]],
    store: Store,
    viewer: Viewer,
    cases: list[tuple[str, str]],
    check: Callable[[Store, Viewer, str], set[str]] | None = None,
) -> tuple[list[float], float]:
    times, hits = [], 0
    for text, expected in cases:
        started = time.perf_counter()
        got = search(store, viewer, text)
        times.append(time.perf_counter() - started)
        if check is not None:
            got = check(store, viewer, text)
        hits += expected in got
    return times, hits / len(cases)


def pct(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] * 1000
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] * 1000


def run(
    url: str, total: int, count: int, old: int, reuse: bool = False, copy: bool = False
) -> dict[str, object]:
    store = Store.open(url)
    viewers = known_viewers(store) if reuse else setup(store)
    if copy and not reuse:
        seconds, targets = copy_load(store, total)
    else:
        seconds, targets = load(store, viewers, total, write=not reuse)
    stored = store.count_statements()
    freeze_fixture()
    viewer = viewers[VIEWER]
    rows: dict[str, dict[str, float]] = {}
    for kind, cases in queries(targets, count).items():
        index_search(store, viewer, cases[0][0])  # warm the caches once per kind
        new_times, new_found = timed(index_search, store, viewer, cases, index_all_ids)
        not_run = ([float("nan")], float("nan"))  # --old-queries 0: LIKE scans for minutes
        old_times, old_found = timed(like_search, store, viewer, cases[:old]) if old else not_run
        rows[kind] = {
            "p50": pct(new_times, 50),
            "p99": pct(new_times, 99),
            "found": new_found,
            "old p50": pct(old_times, 50),
            "old p99": pct(old_times, 99),
            "old found": old_found,
        }
    store.close()
    return {"statements": stored, "seconds": seconds, "rows": rows}


def urls(
    backends: str, tmp: str, pg: str, reuse: bool, name: str = PG_NAME, sqlite_file: str = ""
) -> Iterator[tuple[str, str]]:
    for backend in backends.split(","):
        if backend == "sqlite":
            yield (
                backend,
                f"sqlite:///{Path(sqlite_file) if sqlite_file else Path(tmp) / 'search.db'}",
            )
        elif reuse:
            yield backend, pg.rsplit("/", 1)[0] + "/" + name
        else:
            yield backend, fresh_pg(pg, name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--statements", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200, help="per kind, index search")
    parser.add_argument("--old-queries", type=int, default=20, help="per kind, LIKE search")
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="PostgreSQL only: search the database (--database) the last run loaded "
        "(same --statements), without loading it again",
    )
    parser.add_argument(
        "--database", default=PG_NAME, help="PostgreSQL database the bench (re)creates or reuses"
    )
    parser.add_argument(
        "--copy",
        action="store_true",
        help="load the fixture with COPY on PostgreSQL, with index-less inserts on SQLite "
        "(search_copy.py: same statements, ids and search terms, no audit chain), for 10M "
        "statements in minutes, not hours",
    )
    parser.add_argument(
        "--sqlite-file",
        default="",
        help="SQLite database file to load (kept afterwards) or, with --reuse, to search "
        "again; default: a temporary directory",
    )
    args = parser.parse_args()
    if args.reuse and "sqlite" in args.backends.split(",") and not args.sqlite_file:
        parser.error("--reuse with SQLite needs --sqlite-file (otherwise it runs in a temp dir)")
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for backend, url in urls(
            args.backends, tmp, args.pg, args.reuse, args.database, args.sqlite_file
        ):
            results[backend] = run(
                url, args.statements, args.queries, args.old_queries, args.reuse, args.copy
            )
    table = Table(
        title=f"palermo search: {args.statements:,} statements; {args.queries} index and "
        f"{args.old_queries} LIKE queries per kind, as {VIEWER}; times in ms"
    )
    columns = ("backend", "query", "index p50", "index p99", "found", "LIKE p50", "LIKE p99")
    for col in (*columns, "found ", "p50 ratio", "p99 ratio"):
        table.add_column(col, justify="right")
    for backend, result in results.items():
        rows = result["rows"]
        assert isinstance(rows, dict)
        for kind in KINDS:
            r = rows[kind]
            table.add_row(
                backend,
                kind,
                f"{r['p50']:.1f}",
                f"{r['p99']:.1f}",
                f"{r['found']:.0%}",
                f"{r['old p50']:.0f}",
                f"{r['old p99']:.0f}",
                f"{r['old found']:.0%}",
                f"{r['old p50'] / r['p50']:.0f}x",
                f"{r['old p99'] / r['p99']:.0f}x",
            )
    Console(width=140).print(table)
    for backend, result in results.items():
        stored, seconds = result["statements"], result["seconds"]
        assert isinstance(stored, int) and isinstance(seconds, float)
        if args.reuse:
            print(f"{backend}: searched the {stored:,} statements an earlier run loaded")
            continue
        print(
            f"{backend}: loaded {stored:,} statements with the index in {seconds:.0f} s "
            f"({stored / seconds:,.0f}/s)"
        )


if __name__ == "__main__":
    main()
