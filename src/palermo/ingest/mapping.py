"""CSV imports through followthemoney's own mapping engine (ADR 0012).

A mapping file is FtM's (``ftm map-csv``): a dataset name with ``queries`` (or ``query``),
each with ``entities`` whose ``keys``/``key_literal``/``id_column`` make the ids and whose
properties take ``column(s)``, ``literal(s)``, ``template``, ``join``, ``split``,
``format``, ``required`` and ``entity`` references. A bare query (``entities`` at the top)
is accepted too. Ids are FtM's: the SHA-1 of the dataset name, the ``key_literal`` and the
sorted key values, so the same key values give the same id in whichever mapped entity (or
column) they appear, and an edge list makes one Person per name, not one per column.

palermo adds what FtM does not have, in the same file: ``sharing`` (a literal
``AUDIENCE|HANDLING`` or ``{column: ...}``) and ``first_seen``/``last_seen``
(``{column: ...}``) on a query or an entity, and ``same_name`` (``merge``, the default,
or ``keep``) for the same-name rule of :mod:`palermo.ingest.consolidate`.

Values go through FtM's ``PropertyMapping`` as in ``EntityMapping.map``; where FtM logs
a value it cannot clean and drops it, palermo reports the row (file, line, property and
reason), because an import must never lose a value silently.
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from followthemoney.entity import ValueEntity
from followthemoney.exc import InvalidMapping
from followthemoney.mapping.csv import CSVSource
from followthemoney.mapping.entity import EntityMapping
from followthemoney.mapping.query import QueryMapping
from followthemoney.proxy import EntityProxy
from followthemoney.types import registry

from palermo.ingest.errors import RowProblem
from palermo.model.schemata import model

Row = tuple[int, dict[str, Any] | RowProblem]

SAME_NAME_MODES = ("merge", "keep")
ENTITY_KEYS = {
    "schema",
    "key",
    "keys",
    "key_literal",
    "id_column",
    "properties",
    *("sharing", "first_seen", "last_seen"),  # palermo's additions
}
PROPERTY_KEYS = {
    *("column", "columns", "literal", "literals", "template", "join", "split"),
    *("entity", "format", "fuzzy", "required"),
}
QUERY_KEYS = {
    *("entities", "filters", "filters_not", "csv_url", "csv_urls", "database"),
    *("sharing", "first_seen", "last_seen", "same_name"),
}
PROVENANCE = ("sharing", "first_seen", "last_seen")


class MappingError(ValueError):
    """An invalid mapping file: the message names the file, the key and the reason."""


@dataclass(frozen=True)
class MappedQuery:
    """One FtM query plus palermo's provenance per mapped entity name."""

    query: QueryMapping
    source: CSVSource
    provenance: dict[str, dict[str, Any]]  # entity name -> {sharing|first_seen|last_seen: spec}

    def columns(self) -> set[str]:
        cols = set(self.query.refs)
        for specs in self.provenance.values():
            cols.update(s["column"] for s in specs.values() if isinstance(s, Mapping))
        return cols


@dataclass(frozen=True)
class CsvMapping:
    name: str
    queries: list[MappedQuery]
    same_name: str = "merge"


def load_mapping(path: Path) -> CsvMapping:
    """A mapping file read and checked; :class:`MappingError` names the key at fault."""
    where = f"mapping {path.name}"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise MappingError(f"{where}: not valid YAML: {exc}") from None
    if not isinstance(data, Mapping) or not data:
        raise MappingError(f"{where}: expected a dataset name with queries, or 'entities'")
    queries = [("", "", dict(data))] if "entities" in data else list(_dataset_queries(where, data))
    mapped = [_query(where, prefix, ds, q) for prefix, ds, q in queries]
    modes = {str(q.get("same_name", "merge")) for _, _, q in queries}
    return CsvMapping(path.name, mapped, "keep" if "keep" in modes else "merge")


def _dataset_queries(where: str, data: Mapping[str, Any]) -> Iterator[tuple[str, str, Any]]:
    """FtM's layout: ``dataset: {queries: [...]}`` (or ``query: {...}``)."""
    for dataset, meta in data.items():
        if not isinstance(meta, Mapping):
            raise MappingError(
                f"{where}: {dataset}: expected queries (or query) under the dataset name"
            )
        found = _listed(meta, "query", "queries")
        if not found:
            raise MappingError(f"{where}: {dataset}: has no 'queries' (or 'query')")
        for number, query in enumerate(found):
            yield f"{dataset}.queries[{number}]", str(dataset), query


def _query(where: str, path: str, dataset: str, data: Any) -> MappedQuery:
    at = f"{where}: {path + '.' if path else ''}"
    if not isinstance(data, Mapping):
        raise MappingError(f"{at}(query): expected a mapping with 'entities'")
    _unknown(at, "", data, QUERY_KEYS)
    if str(data.get("same_name", "merge")) not in SAME_NAME_MODES:
        raise MappingError(
            f"{at}same_name: {data['same_name']!r} is not one of {', '.join(SAME_NAME_MODES)}"
        )
    entities = data.get("entities")
    if not isinstance(entities, Mapping) or not entities:
        raise MappingError(f"{at}entities: a mapping needs at least one entity")
    for name, spec in entities.items():
        _check_entity(at, str(name), spec, entities)
    query = {k: v for k, v in data.items() if k not in ("database", "csv_urls")}
    query["csv_url"] = "/dev/null"  # rows come from the imported file, as in ftm map-csv
    try:
        mapping = model.make_mapping(query, key_prefix=dataset or None)
    except InvalidMapping as exc:
        raise MappingError(f"{at}entities: {exc}") from None
    assert isinstance(mapping.source, CSVSource)
    provenance = {
        str(name): {k: spec.get(k, data.get(k)) for k in PROVENANCE if spec.get(k, data.get(k))}
        for name, spec in entities.items()
    }
    for name, specs in provenance.items():
        for key, spec in specs.items():
            _check_provenance(f"{at}entities.{name}.{key}", key, spec)
    return MappedQuery(mapping, mapping.source, provenance)


def _listed(spec: Mapping[str, Any], one: str, many: str) -> list[Any]:
    """FtM's ``keys_values``: ``one`` and ``many`` read together as a list."""
    out: list[Any] = []
    for key in (one, many):
        value = spec.get(key)
        out += value if isinstance(value, list) else [] if value is None else [value]
    return out


def _unknown(at: str, path: str, spec: Mapping[str, Any], allowed: set[str]) -> None:
    for key in spec:
        if key not in allowed:
            raise MappingError(
                f"{at}{path}{key}: not a mapping key (allowed: {', '.join(sorted(allowed))})"
            )


def _check_entity(at: str, name: str, spec: Any, entities: Mapping[str, Any]) -> None:
    path = f"entities.{name}."
    if not isinstance(spec, Mapping):
        raise MappingError(f"{at}{path[:-1]}: expected schema, keys and properties")
    _unknown(at, path, spec, ENTITY_KEYS)
    schema = model.get(str(spec.get("schema") or ""))
    if schema is None:
        raise MappingError(f"{at}{path}schema: no schema named {spec.get('schema')!r}")
    if schema.abstract:
        raise MappingError(f"{at}{path}schema: {schema.name} is abstract; use a sub-schema")
    has_keys = bool(_listed(spec, "key", "keys"))
    if has_keys == bool(spec.get("id_column")):
        raise MappingError(
            f"{at}{path}keys: give keys (the columns whose values make the id) "
            "or id_column (a column holding the id), exactly one of them"
        )
    props = spec.get("properties") or {}
    if not isinstance(props, Mapping):
        raise MappingError(f"{at}{path}properties: expected property names and their sources")
    for prop_name, pspec in props.items():
        _check_property(at, f"{path}properties.{prop_name}", schema, str(prop_name), pspec)
        if isinstance(pspec, Mapping) and "entity" in pspec:
            ref_path = f"{path}properties.{prop_name}.entity"
            _check_reference(at, ref_path, schema.get(prop_name), pspec["entity"], entities)


def _check_property(at: str, path: str, schema: Any, name: str, pspec: Any) -> None:
    prop = schema.get(name)
    if prop is None:
        raise MappingError(f"{at}{path}: {schema.name} has no property {name!r}")
    if not isinstance(pspec, Mapping):
        raise MappingError(f"{at}{path}: expected e.g. {{column: NAME}}, got {pspec!r}")
    _unknown(at, f"{path}.", pspec, PROPERTY_KEYS)
    if not set(pspec) & {"column", "columns", "literal", "literals", "template", "entity"}:
        raise MappingError(
            f"{at}{path}: needs a source: column, columns, literal, template or entity"
        )
    if "entity" in pspec and prop.type != registry.entity:
        raise MappingError(f"{at}{path}.entity: {name} is a {prop.type.name}, not an entity")


def _check_reference(at: str, path: str, prop: Any, ref: Any, entities: Mapping[str, Any]) -> None:
    """An ``entity`` reference names a mapped entity of a schema the property accepts."""
    if ref not in entities:
        raise MappingError(
            f"{at}{path}: no entity named {ref!r} in this mapping "
            f"(have: {', '.join(map(str, entities))})"
        )
    target = entities[ref]
    schema = model.get(str(target.get("schema") or "")) if isinstance(target, Mapping) else None
    if schema is not None and prop.range is not None and not schema.is_a(prop.range):
        raise MappingError(
            f"{at}{path}: {prop.name} takes a {prop.range.name}, "
            f"and entity {ref!r} is {_a(schema.name)}"
        )


def _a(noun: str) -> str:
    return f"{'an' if noun[:1] in 'AEIOU' else 'a'} {noun}"


def _check_provenance(at: str, key: str, spec: Any) -> None:
    if key == "sharing" and isinstance(spec, str):
        return
    if not (isinstance(spec, Mapping) and set(spec) == {"column"}):
        literal = "a literal AUDIENCE|HANDLING or " if key == "sharing" else ""
        raise MappingError(f"{at}: expected {literal}{{column: NAME}}, got {spec!r}")


# --- reading -------------------------------------------------------------------------------


def read_mapped_csv(path: Path, mapping: CsvMapping) -> Iterator[Row]:
    """Each CSV row becomes the entity dicts its queries map (line 1 is the header)."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        first = next(fh, "")
        header = next(csv.reader([first], skipinitialspace=True), [])
        _check_columns(mapping, set(header))
        for number, record in enumerate(CSVSource.read_csv(itertools.chain([first], fh)), 2):
            try:
                for query in mapping.queries:
                    if query.source.check_filters(record):
                        yield from ((number, e) for e in map_record(query, record))
            except RowProblem as problem:
                yield number, problem


def _check_columns(mapping: CsvMapping, header: set[str]) -> None:
    for query in mapping.queries:
        missing = sorted(query.columns() - header)
        if missing:
            raise MappingError(
                f"mapping {mapping.name}: names column {missing[0]!r}, which the CSV header "
                f"does not have (header: {', '.join(sorted(header))})"
            )


def map_record(query: MappedQuery, record: Mapping[str, str]) -> list[dict[str, Any]]:
    """One record through FtM's engine: entity dicts in dependency order."""
    done: dict[str, EntityProxy] = {}
    out = []
    for emap in query.query.entities:
        proxy = _map_entity(emap, record, done)
        if proxy is None:
            continue
        done[emap.name] = proxy
        entity: dict[str, Any] = {
            "id": proxy.id,
            "schema": proxy.schema.name,
            "properties": {k: list(v) for k, v in proxy.properties.items()},
        }
        for key, spec in query.provenance.get(emap.name, {}).items():
            value = record.get(spec["column"]) if isinstance(spec, Mapping) else spec
            if value:
                entity[key] = value
        out.append(entity)
    return out


def _map_entity(
    emap: EntityMapping, record: Mapping[str, str], done: dict[str, EntityProxy]
) -> EntityProxy | None:
    """``EntityMapping.map`` with its ids and property mappings, but a value FtM cannot
    clean is a :class:`RowProblem` instead of a log line."""
    key = emap.compute_key(dict(record))
    if key is None:
        return None  # no key values in this row: FtM skips the entity
    proxy = ValueEntity(emap.schema, {}, key_prefix=None, cleaned=True)
    # countries first, so phone and address cleaning can use them (as FtM does)
    ordered = sorted(emap.properties, key=lambda p: p.prop.type != registry.country)
    for pmap in ordered:
        dropped = [v for v in pmap.map(proxy, dict(record), done) if v and v.strip()]
        if dropped:
            label = pmap.prop.type.label.lower()
            raise RowProblem(pmap.prop.name, f"{dropped[0]!r} is not a valid {label}")
    proxy.id = key
    if any(p.required and not proxy.has(p.prop) for p in emap.properties):
        return None
    return proxy
