"""Incremental resolution: a record that arrives is resolved against existing identities.

The batch run (`Resolver.build`, the same steps as `xref.resolve`: features, training,
Splink prediction, strong identifiers, judgements, clustering) stays for training and full
rebuilds. It keeps what an arrival needs: the trained model (m, u, prior; persisted per
view with `save_model`, so a restart scores with the same parameters), the records'
feature rows, and indexes over them. An arriving record (`resolve_incremental`) then:

1. finds candidates among the existing records by the batch's own blocking rules: each
   rule's equality conditions (read from the model's blocking SQL) are looked up in a
   hash index, a superset the rule's full condition then filters; broad rules use the
   batch's cut-off (a key is used while no more records share it than the batch allowed);
2. scores new record x candidates with the batch's scoring SQL: Splink's own comparison
   and prediction SQL, generated once from the trained model and run on DuckDB with the
   same functions, term frequencies from the batch's records;
3. lays strong-identifier links over them (`xref.strong_links`, so strong identifiers
   decide as in batch) and applies judgements;
4. joins identities as the batch's greedy clustering would: strongest link first, never
   joining a pair an analyst rejected.

Time is bounded: at most CANDIDATE_MAX candidates are scored (those that meet the most
blocking rules first), so a record is one small SQL query whatever the size of the view.

Access: a resolver is built from what one view (an agency, with or without victim
details) may see, read through the store as that viewer; `arrive` reads an arriving record
as the same viewer, so a record the view may not see is never compared, and a link between
two agencies' records exists only in views that see both.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from palermo.access.viewer import Viewer
from palermo.match import ledger, ledger_pairs, xref
from palermo.match.engines import DuckDB, Engine
from palermo.match.xref import CONFIRM, REJECT, Link, Resolution, XrefRecord
from palermo.match.xref_threshold import XREF_THRESHOLD as XREF_THRESHOLD  # arrivals
from palermo.model.statement import utcnow
from palermo.store.store import Store
from palermo.store.tables import xref_model

CANDIDATE_MAX = 500  # candidates scored per arriving record (the time bound)
LEFT, RIGHT = "palermo_incremental_left", "palermo_incremental_right"
STATEMENT = "palermo_incremental_score"
# compiles the SQL of a view with no records yet; never indexed, never linked
PLACEHOLDER = XrefRecord("palermo:placeholder", "", ("placeholder",))
log = logging.getLogger(__name__)
_EQUALITY = re.compile(r'\bl\."?(\w+)"?\s*=\s*r\."?(\w+)"?')


def model_version(model: Mapping[str, Any]) -> str:
    """A short digest of the model's parameters: the same training gives the same version."""
    text = json.dumps(model, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass
class Arrival:
    """What resolving one record did: its identity, the links found, the identities it
    merged (their ids, now gone), and every record whose identity changed."""

    record: str
    identity: str
    links: list[Link]
    merged: list[str] = field(default_factory=list)
    changed: dict[str, str] = field(default_factory=dict)


class Scorer:
    """Splink's scoring SQL for one trained model, compiled once and run per arrival.

    Splink's `score_pairs` builds and transpiles its SQL on every call (about a second);
    the SQL itself does not change between calls, so it is taken from one call, pointed
    at two temporary tables of fixed names and prepared once; an arrival fills the tables
    and executes it. `found_by_blocking_rules` says whether a pair meets one of the
    batch's blocking rules. Term frequencies are those of the linker's records (the
    batch's), as in `xref.predict`."""

    def __init__(self, linker: Any, rows: Sequence[Mapping[str, Any]]):
        import pyarrow as pa

        self.linker = linker
        self.columns = pa.Table.from_pylist([dict(rows[0])]).column_names
        self.con: Any = linker._db_api._con
        self.lock = threading.Lock()
        sample = [dict(rows[0])]
        frame = linker.inference.score_pairs(sample, sample, include_found_by_blocking_rules=True)
        sql: str = frame.sql_used_to_create
        for side, name in (("left", LEFT), ("right", RIGHT)):
            sql = re.sub(rf"__splink__compare_two_records_{side}_(?!with_tf)\w+", name, sql)
        typed = ", ".join(f'"{c}" VARCHAR' for c in self.columns)
        for name in (LEFT, RIGHT):
            self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} ({typed})")
        self.con.execute(f"PREPARE {STATEMENT} AS {sql}")
        self.rules = [
            rule.blocking_rule_sql
            for rule in linker._settings_obj._blocking_rules_to_generate_predictions
        ]

    def score(self, new: Mapping[str, Any], candidates: Sequence[Mapping[str, Any]]) -> list[Link]:
        """Links from `new` to each candidate a blocking rule finds (probability and the
        match weight per comparison, as `xref.predict` gives them)."""
        import pyarrow as pa

        if not candidates:
            return []
        left = _typed(pa.Table.from_pylist([self._row(new)]), self.columns)
        right = _typed(pa.Table.from_pylist([self._row(c) for c in candidates]), self.columns)
        with self.lock:
            for name, table in ((LEFT, left), (RIGHT, right)):
                self.con.execute(f"DELETE FROM {name}")
                self.con.register("palermo_incremental_rows", table)
                self.con.execute(f"INSERT INTO {name} SELECT * FROM palermo_incremental_rows")
                self.con.unregister("palermo_incremental_rows")
            cursor = self.con.execute(f"EXECUTE {STATEMENT}")
            names = [d[0] for d in cursor.description]
            result = [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
        links = []
        for row in result:
            if not row.get("found_by_blocking_rules"):
                continue
            weights = {
                k[3:]: float(v) for k, v in row.items() if k.startswith("mw_") and v is not None
            }
            a, b = str(row["unique_id_l"]), str(row["unique_id_r"])
            links.append(Link(min(a, b), max(a, b), float(row["match_probability"]), weights))
        return links

    def _row(self, row: Mapping[str, Any]) -> dict[str, Any]:
        return {c: row.get(c) for c in self.columns}


def _names_of(row: Mapping[str, Any], group: Sequence[str]) -> set[str]:
    """The names a record holds in a group of the undated rules' columns (`xref.RARE`)."""
    return {v for c in group if (v := row.get(xref.RARE[c]))}


def _typed(table: Any, columns: Sequence[str]) -> Any:
    """Every column as text (as the batch's table): an all-empty column would be null-typed."""
    import pyarrow as pa

    return table.select(columns).cast(pa.schema([(c, pa.string()) for c in columns]))


class Candidates:
    """Hash indexes over the existing records for the blocking rules' equality conditions,
    the broad rules' keys with the batch's cut-off, and the undated rules' names with
    theirs (`xref.rare_keys`: a name at most `xref.UNDATED_BLOCK_MAX` records hold)."""

    def __init__(self, rules: Sequence[str], rows: Sequence[Mapping[str, Any]]):
        self.equalities: list[tuple[tuple[str, str], ...]] = []
        # only the broad keys the model's rules block on: a retired one (ADR 0058) would
        # take candidate slots for pairs no rule finds
        self.broad: dict[str, tuple[str, ...]] = {
            f"broad{i}": tuple(cols)
            for i, cols in enumerate(xref.BROAD)
            if any(re.search(rf"\bbroad{i}\b", rule) for rule in rules)
        }
        # the undated rules' columns the model's rules name (none in a model saved before
        # ADR 0059), and per group of them the holders of each name, as `xref.rare_keys`
        # counts them (a whole name in either slot is one name)
        self.rare = {
            c: raw
            for c, raw in xref.RARE.items()
            if any(re.search(rf"\b{c}\b", rule) for rule in rules)
        }
        self.groups = [g for g in xref.RARE_GROUPS if any(c in self.rare for c in g)]
        self.holders: list[dict[str, set[str]]] = [{} for _ in self.groups]
        for rule in rules:
            pairs = tuple(sorted(set(_EQUALITY.findall(rule))))
            if not pairs:
                raise ValueError(f"blocking rule: {rule!r} has no equality to index")
            self.equalities.append(pairs)
        self.index: dict[tuple[int, int], dict[tuple[str, ...], set[str]]] = {}
        self.broad_index: dict[str, dict[str, set[str]]] = {b: {} for b in self.broad}
        # the most records a broad key may be shared by and still be used (the batch's
        # `broad_keys` kept the rarest keys first, so its cut-off is one number per rule)
        self.cutoff = {b: 0 for b in self.broad}
        for row in rows:
            self.add(row)
        for column, buckets in self.broad_index.items():
            kept = (len(buckets.get(str(r[column]), ())) for r in rows if r.get(column) is not None)
            self.cutoff[column] = max(kept, default=0)

    def raw_broad(self, row: Mapping[str, Any], column: str) -> str | None:
        return xref.joined_key(row, self.broad[column])

    def add(self, row: Mapping[str, Any]) -> None:
        rid = str(row["unique_id"])
        indexed = self._raw(row)
        for i, pairs in enumerate(self.equalities):
            for side in (0, 1):
                key = self._key(indexed, pairs, side)
                if key is not None:
                    self.index.setdefault((i, side), {}).setdefault(key, set()).add(rid)
        for group, names in zip(self.groups, self.holders, strict=True):
            for value in _names_of(row, group):
                names.setdefault(value, set()).add(rid)
        for column in self.broad:
            raw = self.raw_broad(row, column)
            if raw is not None:
                self.broad_index[column].setdefault(raw, set()).add(rid)

    def remove(self, row: Mapping[str, Any]) -> None:
        rid = str(row["unique_id"])
        indexed = self._raw(row)
        for i, pairs in enumerate(self.equalities):
            for side in (0, 1):
                key = self._key(indexed, pairs, side)
                if key is not None:
                    self.index.get((i, side), {}).get(key, set()).discard(rid)
        for group, names in zip(self.groups, self.holders, strict=True):
            for value in _names_of(row, group):
                names.get(value, set()).discard(rid)
        for column in self.broad:
            raw = self.raw_broad(row, column)
            if raw is not None:
                self.broad_index[column].get(raw, set()).discard(rid)

    def _raw(self, row: Mapping[str, Any]) -> Mapping[str, Any]:
        """An existing record as indexed: its undated rules' columns hold its names even
        where the batch left them out (a name then held by too many), so an arrival that
        may block on a name finds every holder of it, as a rerun of the batch would."""
        if not self.rare:
            return row
        return {**row, **{c: row.get(raw) for c, raw in self.rare.items()}}

    @staticmethod
    def _key(
        row: Mapping[str, Any], pairs: Sequence[tuple[str, str]], side: int
    ) -> tuple[str, ...] | None:
        values = [row.get(pair[side]) for pair in pairs]
        return tuple(str(v) for v in values) if all(v is not None for v in values) else None

    def broad_values(self, row: Mapping[str, Any]) -> dict[str, str | None]:
        """The new record's broad keys: a key is used while the records sharing it, the new
        one included, stay within the batch's cut-off for that rule."""
        out: dict[str, str | None] = {}
        for column in self.broad:
            raw = self.raw_broad(row, column)
            holders = len(self.broad_index[column].get(raw, ())) if raw is not None else 0
            out[column] = raw if raw is not None and holders + 1 <= self.cutoff[column] else None
        return out

    def rare_values(self, row: Mapping[str, Any]) -> dict[str, str | None]:
        """The new record's undated rules' columns: a name is used while the records
        holding it, the new one included, are at most `xref.UNDATED_BLOCK_MAX`, the count
        `xref.rare_keys` would make over the batch's records and this one."""
        rid = str(row["unique_id"])
        out: dict[str, str | None] = {}
        for group, names in zip(self.groups, self.holders, strict=True):
            fits = {
                value
                for value in _names_of(row, group)
                if len(names.get(value, set()) - {rid}) + 1 <= xref.UNDATED_BLOCK_MAX
            }
            for column in group:
                value = row.get(xref.RARE[column])
                out[column] = value if value in fits else None
        return out

    def aligned(self, other: Mapping[str, Any], row: Mapping[str, Any]) -> dict[str, Any]:
        """A candidate's row as a batch over both records would have it against `row`
        (the arrival, its keys set): a broad key or a name the arrival may block on is
        set on the candidate too where it holds the same (its batch row may lack it: the
        key had no second holder yet, or the name more holders then)."""
        out = dict(other)
        for column in self.broad:
            value = row.get(column)
            if value is not None and self.raw_broad(other, column) == value:
                out[column] = value
        for group in self.groups:
            used = {v for c in group if (v := row.get(c)) is not None}
            for column in group:
                if (value := other.get(xref.RARE[column])) in used:
                    out[column] = value
        return out

    def keyed(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """The new record's row with the broad and undated rules' keys it may block on
        (`broad_values`, `rare_values`): what `find_keyed` and the scorer read."""
        return {**row, **self.broad_values(row), **self.rare_values(row)}

    def find(self, row: Mapping[str, Any], limit: int = CANDIDATE_MAX) -> list[str]:
        """Candidate record ids for `row` (a superset of the blocking rules' pairs), those
        meeting the most rules first, at most `limit`."""
        return self.find_keyed(self.keyed(row), limit)

    def find_keyed(self, row: Mapping[str, Any], limit: int = CANDIDATE_MAX) -> list[str]:
        """`find` of a row `keyed` already (an arrival's keys are worked out once)."""
        hits: Counter[str] = Counter()
        for i, pairs in enumerate(self.equalities):
            for side in (0, 1):
                key = self._key(row, pairs, 1 - side)
                if key is not None:
                    hits.update(self.index.get((i, side), {}).get(key, ()))
        for column in self.broad:
            if (value := row.get(column)) is not None:
                hits.update(self.broad_index[column].get(value, ()))
        hits.pop(str(row["unique_id"]), None)
        ranked = sorted(hits.items(), key=lambda kv: (-kv[1], kv[0]))
        return [rid for rid, _ in ranked[:limit]]


class Resolver:
    """One view's resolved identities, kept up to date record by record."""

    def __init__(
        self,
        records: Sequence[XrefRecord],
        rows: Sequence[dict[str, Any]],
        table: Sequence[dict[str, Any]],
        linker: Any,
        model: dict[str, Any],
        resolution: Resolution,
        judgements: Mapping[tuple[str, str], str],
        threshold: float,
        reported: Mapping[str, str],
        previous: Mapping[str, str] | None = None,
    ) -> None:
        self.model = model
        self.version = model_version(model)
        self.threshold = threshold
        self.reported = dict(reported)
        self.records = {r.id: r for r in records}
        self.rows = {str(r["unique_id"]): r for r in rows}
        self.resolution = resolution
        self.judgements: dict[tuple[str, str], str] = {
            (min(a, b), max(a, b)): v for (a, b), v in judgements.items()
        }
        self.scorer_linker = linker  # Splink's, for the SQL scorer and a comparison
        self.scorer = _scorer(model, linker, table)
        self.candidates = Candidates(self.scorer_rules(model, linker), rows)
        self.strong: dict[tuple[str, str], set[str]] = {}
        for record in records:
            for key in xref.strong_keys(record):
                self.strong.setdefault(key, set()).add(record.id)
        self.identity = ledger.assign_ids(resolution.clusters, previous or {})
        self.members: dict[str, set[str]] = {}
        for rid, identity in self.identity.items():
            self.members.setdefault(identity, set()).add(rid)
        # every id ever used in the view: a new identity never takes one (kept, not
        # recomputed per arrival, which cost O(records) each time)
        self.used: set[str] = set(self.members) | set((previous or {}).values())
        self.judged: dict[str, set[tuple[str, str]]] = {}  # record -> its judged pairs
        for pair in self.judgements:
            for rid in pair:
                self.judged.setdefault(rid, set()).add(pair)
        self.lock = threading.Lock()

    @staticmethod
    def scorer_rules(model: Mapping[str, Any], linker: Any) -> list[str]:
        """The blocking rules the model predicts with (as Splink holds them)."""
        rules = model.get("blocking_rules_to_generate_predictions")
        if rules:
            return [str(r["blocking_rule"]) for r in rules]
        return [
            rule.blocking_rule_sql
            for rule in linker._settings_obj._blocking_rules_to_generate_predictions
        ]

    @classmethod
    def build(
        cls,
        records: Sequence[XrefRecord],
        judgements: Mapping[tuple[str, str], str] | None = None,
        threshold: float = XREF_THRESHOLD,
        reported: Mapping[str, str] | None = None,
        engine: Engine | None = None,
        model: dict[str, Any] | None = None,
        previous: Mapping[str, str] | None = None,
    ) -> Resolver:
        """The batch run (as `xref.resolve`), keeping the model and the indexes. A given
        `model` (a persisted one) is used as it is; otherwise one is trained. `previous`
        (record -> identity) keeps identity ids from an earlier run."""
        import pyarrow as pa

        seen: set[str] = set()
        for record in records:
            if record.id in seen:
                raise ValueError(f"id: {record.id!r} appears twice; every record needs its own id")
            seen.add(record.id)
        xref._quiet()
        engine = engine or DuckDB()
        verdicts = dict(judgements or {})
        rows = [xref.features(r) for r in records]
        # an empty view still needs one row for Splink to compile its SQL on
        table = rows or [xref.features(PLACEHOLDER)]
        trained = (
            model if model is not None else xref.train([dict(r) for r in table], engine=engine)
        )
        xref.broad_keys(table)
        linker = xref._linker(pa.Table.from_pylist(table), trained, engine)
        links: list[Link] = []
        if len(rows) > 1:
            frame = linker.inference.predict(threshold_match_probability=min(threshold, 0.5))
            for row in frame.as_record_list():
                weights = {
                    k[3:]: float(v) for k, v in row.items() if k.startswith("mw_") and v is not None
                }
                links.append(
                    Link(
                        str(row["unique_id_l"]),
                        str(row["unique_id_r"]),
                        float(row["match_probability"]),
                        weights,
                    )
                )
        by_id = {str(row["unique_id"]): row for row in rows}
        links = xref.merge_links(links, xref.strong_links(records, by_id, reported))
        links = [_judged(link, verdicts) for link in links]
        clusters = xref.cluster([r.id for r in records], links, threshold, verdicts)
        return cls(
            records,
            rows,
            table,
            linker,
            trained,
            Resolution(links, clusters),
            verdicts,
            threshold,
            reported or {},
            previous,
        )

    def identities(self) -> dict[str, str]:
        """record id -> stable identity id."""
        with self.lock:
            return dict(self.identity)

    def remove(self, record_id: str) -> dict[str, str]:
        """Take a record out (it changed or is no longer visible). Its identity keeps the
        other records (a rerun may split it); returns {} (nothing else changed)."""
        with self.lock:
            return self._remove(record_id)

    def _remove(self, record_id: str) -> dict[str, str]:
        row = self.rows.pop(record_id, None)
        record = self.records.pop(record_id, None)
        if row is None or record is None:
            return {}
        self.candidates.remove(row)
        for key in xref.strong_keys(record):
            self.strong.get(key, set()).discard(record_id)
        identity = self.identity.pop(record_id)
        self.members[identity].discard(record_id)
        if not self.members[identity]:
            del self.members[identity]
        return {}

    def add(self, record: XrefRecord) -> Arrival:
        with self.lock:
            if record.id in self.records:
                self._remove(record.id)
            return self._add(record)

    def _add(self, record: XrefRecord) -> Arrival:
        row = self.candidates.keyed(xref.features(record))
        found = self.candidates.find_keyed(row)
        candidate_rows = [self.candidates.aligned(self.rows[rid], row) for rid in found]
        floor = min(self.threshold, 0.5)  # as the batch asks Splink for
        links = [lk for lk in self.scorer.score(row, candidate_rows) if lk.probability >= floor]
        links = xref.merge_links(links, self._strong(record, row))
        links = [_judged(link, self.judgements) for link in links]
        self.records[record.id] = record
        self.rows[record.id] = row
        self.candidates.add(row)
        for key in xref.strong_keys(record):
            self.strong.setdefault(key, set()).add(record.id)
        identity = ledger._mint(record.id, self.used)
        self.used.add(identity)
        self.identity[record.id] = identity
        self.members[identity] = {record.id}
        merged, changed = self._join(record.id, links)
        identity = self.identity[record.id]
        changed[record.id] = identity
        self.resolution.links.extend(links)
        return Arrival(record.id, identity, links, merged, changed)

    def _strong(self, record: XrefRecord, row: Mapping[str, Any]) -> list[Link]:
        """Strong-identifier links of the new record, decided by `xref.strong_links` over
        the new record and the holders of each identifier it shares (a value more than
        STRONG_GROUP_MAX records share decides nothing, as in batch)."""
        out: list[Link] = []
        for key in sorted(xref.strong_keys(record)):
            holders = sorted(self.strong.get(key, set()) - {record.id})
            if not holders or len(holders) + 1 > xref.STRONG_GROUP_MAX:
                continue
            group = [record] + [self.records[h] for h in holders]
            rows = {record.id: row, **{h: self.rows[h] for h in holders}}
            for link in xref.strong_links(group, rows, self.reported):
                if record.id in (link.left, link.right):
                    out.append(link)
        return out

    def _join(self, rid: str, links: Sequence[Link]) -> tuple[list[str], dict[str, str]]:
        """Greedy union as `xref.cluster`: confirmed pairs first, then the strongest link;
        never join two identities holding a rejected pair."""
        confirmed = [
            Link(a, b, 1.0, judged=CONFIRM)
            for (a, b) in sorted(self.judged.get(rid, ()))
            if self.judgements[(a, b)] == CONFIRM and a in self.identity and b in self.identity
        ]
        usable = confirmed + sorted(
            (
                lk
                for lk in links
                if (lk.probability >= self.threshold or lk.strong) and lk.judged != REJECT
            ),
            key=lambda lk: -lk.probability,
        )
        fresh = self.identity[rid]
        merged: list[str] = []
        changed: dict[str, str] = {}
        for link in usable:
            a, b = self.identity.get(link.left), self.identity.get(link.right)
            if a is None or b is None or a == b:
                continue
            if self._conflict(self.members[a], self.members[b]):
                continue
            keep, gone = _survivor(a, self.members[a], b, self.members[b], fresh)
            for member in self.members[gone]:
                self.identity[member] = keep
                changed[member] = keep
            self.members[keep] |= self.members.pop(gone)
            if gone != fresh:
                merged.append(gone)
        return merged, changed

    def _conflict(self, a: set[str], b: set[str]) -> bool:
        """Whether an analyst rejected a pair across `a` and `b` (looked up through the
        judged pairs of the members, not every pair of the two identities)."""
        for x in a if len(a) <= len(b) else b:
            other = b if x in a else a
            for pair in self.judged.get(x, ()):
                y = pair[1] if pair[0] == x else pair[0]
                if y in other and self.judgements[pair] == REJECT:
                    return True
        return False


def _scorer(model: Mapping[str, Any], linker: Any, table: Sequence[Mapping[str, Any]]) -> Any:
    """The model compiled to Python (`pair_scorer`), or Splink's SQL where the model
    holds a condition the compiler does not know."""
    from palermo.match.pair_scorer import PairScorer, Unsupported

    try:
        return PairScorer(model, Resolver.scorer_rules(model, linker), table)
    except Unsupported as exc:
        log.warning("incremental resolution: scoring through SQL (%s)", exc)
        return Scorer(linker, table)


def _survivor(a: str, ma: set[str], b: str, mb: set[str], fresh: str) -> tuple[str, str]:
    """The id that stays when two identities merge: never the arriving record's own new
    id; else the one with more records (ties: the smaller id), as `ledger.assign_ids`
    decides on a rerun."""
    if fresh in (a, b):
        return (b, a) if a == fresh else (a, b)
    if (-len(ma), a) <= (-len(mb), b):
        return a, b
    return b, a


def _judged(link: Link, verdicts: Mapping[tuple[str, str], str]) -> Link:
    verdict = verdicts.get((link.left, link.right)) or verdicts.get((link.right, link.left))
    if not verdict:
        return link
    return Link(
        link.left, link.right, link.probability, link.weights, verdict, link.evidence, link.review
    )


def resolve_incremental(resolver: Resolver, record: XrefRecord) -> Arrival:
    """Resolve one new or changed record against the resolver's identities."""
    return resolver.add(record)


# --- the model, persisted per view ----------------------------------------------------


def save_model(store: Store, scope: str, model: Mapping[str, Any], threshold: float) -> str:
    """Persist a trained model for a view; returns its version. Saving the same model
    twice stores it once."""
    version = model_version(model)
    with store.engine.begin() as conn:
        exists = conn.execute(
            sa.select(xref_model.c.version).where(xref_model.c.version == version)
        ).first()
        if exists is None:
            conn.execute(
                xref_model.insert().values(
                    version=version,
                    scope=scope,
                    created_at=utcnow(),
                    threshold=threshold,
                    model=json.dumps(model, sort_keys=True, default=str),
                )
            )
    return version


def load_model(store: Store, scope: str) -> tuple[dict[str, Any], float] | None:
    """The view's newest persisted model and its threshold, if any."""
    query = (
        sa.select(xref_model.c.model, xref_model.c.threshold)
        .where(xref_model.c.scope == scope)
        .order_by(xref_model.c.created_at.desc(), xref_model.c.version)
        .limit(1)
    )
    with store.engine.connect() as conn:
        row = conn.execute(query).first()
    if row is None:
        return None
    return json.loads(row[0]), float(row[1])


# --- a view: read through the store, resolve, persist ---------------------------------


def _view_records(store: Store, viewer: Viewer) -> tuple[list[XrefRecord], dict[str, str]]:
    from palermo.match.resolution import record_of
    from palermo.store.visibility import MASK

    people = store.export(viewer, schema="Person", batch=5000)
    records = [r for p in people if (r := record_of(p)).names]
    reports = [e.to_ftm() for e in store.export(viewer, schema="DocumentReport", batch=5000)]
    return records, xref.reported_documents(reports, (MASK,))


STALE_RETRIES = 3  # an analyst undoing three times during one run is not a loop to fear


def run_batch(
    store: Store,
    viewer: Viewer,
    threshold: float = XREF_THRESHOLD,
    engine: Engine | None = None,
    retrain: bool = True,
) -> Resolver:
    """Resolve everything the viewer may see (read through the store as the viewer),
    persist the model, and store the identities with stable ids and a ledger entry per
    merge and split since the last run. `retrain=False` reuses the view's persisted model."""
    from palermo.match.resolution import judgements

    viewer.require_data_role("cross-reference")
    scope = ledger.scope_of(viewer)
    for attempt in range(STALE_RETRIES):
        # An analyst's undo committed while this run computed (from the judgements read
        # before it) must not be overwritten: the run starts again from what is now there.
        judged_through = ledger.head_seq(store, scope)
        records, reported = _view_records(store, viewer)
        saved = None if retrain else load_model(store, scope)
        resolver = Resolver.build(
            records,
            judgements(store, viewer),
            threshold,
            reported,
            engine,
            model=saved[0] if saved else None,
            previous=ledger.membership(store, scope),
        )
        version = save_model(store, scope, resolver.model, threshold)
        try:
            ledger.record(
                store,
                scope,
                resolver.identities(),
                ledger.MODEL_ACTOR,
                version,
                resolver.resolution.links,
                pairs=ledger_pairs.Update(resolver.resolution.links, resolver.threshold),
                judged_through=judged_through,
            )
            break
        except ledger.StaleResolution:
            if attempt == STALE_RETRIES - 1:
                raise
    store.audit_event(
        viewer,
        "xref.batch",
        f"{len(records)} records",
        {"identities": len(resolver.members), "model": version},
    )
    return resolver


def arrive(
    store: Store,
    viewer: Viewer,
    resolver: Resolver,
    entity_ids: Iterable[str],
    entities: Sequence[Any] | None = None,
) -> list[Arrival]:
    """Resolve arriving or changed Person records in the viewer's view: each is read
    through the store as the viewer (a record the viewer may not see is taken out of the
    view, or never enters it), resolved, and the identity changes are stored with a
    ledger entry for every merge. The hook an import or a received batch calls.

    The records are read in one query per chunk (one audited read, not one per record),
    unless the caller passes what it read (`entities`, as the viewer); each arrival's
    change is written through to the ledger touching only the identities it involves
    (`ledger.record` with the `ledger.involved` reader), so neither cost grows with the
    size of the view."""
    from palermo.match.resolution import record_of

    viewer.require_data_role("cross-reference")
    scope = ledger.scope_of(viewer)
    ids = list(dict.fromkeys(entity_ids))
    if entities is None:
        entities = []
        for start in range(0, len(ids), ARRIVE_CHUNK):
            chunk = ids[start : start + ARRIVE_CHUNK]
            entities.extend(store.entities(viewer, ids=chunk, limit=len(chunk)))
    by_id = {e.id: e for e in entities}
    gone: list[str] = []
    out: list[Arrival] = []
    for entity_id in ids:
        entity = by_id.get(entity_id)
        record = record_of(entity) if entity is not None and entity.schema == "Person" else None
        if record is None or not record.names:
            if entity is None or entity.schema == "Person" or entity_id in resolver.records:
                resolver.remove(entity_id)
                gone.append(entity_id)
            continue
        arrival = resolver.add(record)
        ledger.record(
            store,
            scope,
            arrival.changed,
            ledger.MODEL_ACTOR,
            resolver.version,
            arrival.links,
            replace=False,
            read=ledger.involved,
            pairs=ledger_pairs.Update(
                arrival.links, resolver.threshold, frozenset({arrival.record})
            ),
        )
        out.append(arrival)
    if gone:
        ledger.forget(store, scope, gone)
    return out


ARRIVE_CHUNK = 500  # records read per query


def model_version_of(store: Store, scope: str) -> str | None:
    """The version of the view's newest persisted model (without loading it)."""
    query = (
        sa.select(xref_model.c.version)
        .where(xref_model.c.scope == scope)
        .order_by(xref_model.c.created_at.desc(), xref_model.c.version)
        .limit(1)
    )
    with store.engine.connect() as conn:
        value = conn.execute(query).scalar()
    return None if value is None else str(value)
