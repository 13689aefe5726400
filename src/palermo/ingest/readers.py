"""Readers: each yields (line number, entity dict) or (line number, RowProblem)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from palermo.ingest.errors import RowProblem

Row = tuple[int, dict[str, Any] | RowProblem]


def read_ftm_lines(path: Path) -> Iterator[Row]:
    """FtM JSON lines; a line that is not JSON is an error of that line, not of the file."""
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                yield number, json.loads(line)
            except json.JSONDecodeError as exc:
                yield (
                    number,
                    RowProblem("(json)", f"not valid JSON: {exc.msg} at column {exc.colno}"),
                )


def load_mapping(path: Path) -> dict[str, Any]:
    """A CSV mapping in followthemoney's mapping shape: entities -> schema, keys, properties."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, Mapping) or not isinstance(data.get("entities"), Mapping):
        raise ValueError(f"{path}: a mapping needs an 'entities' section")
    return dict(data)


def read_csv(path: Path, mapping: Mapping[str, Any]) -> Iterator[Row]:
    """Each CSV row becomes one entity dict per mapped entity (line 1 is the header)."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        header = set(reader.fieldnames or [])
        _check_columns(mapping, header)
        for number, record in enumerate(reader, start=2):
            try:
                for entity in map_record(record, mapping):
                    yield number, entity
            except RowProblem as problem:
                yield number, problem


def _check_columns(mapping: Mapping[str, Any], header: set[str]) -> None:
    for name, spec in mapping["entities"].items():
        for column in _columns(spec):
            if column not in header:
                raise ValueError(
                    f"mapping entity {name!r} names column {column!r}, "
                    f"which the CSV header does not have"
                )


def _columns(spec: Mapping[str, Any]) -> list[str]:
    cols = list(spec.get("keys", [])) + ([spec["key"]] if "key" in spec else [])
    for prop in spec.get("properties", {}).values():
        cols += [prop["column"]] if "column" in prop else list(prop.get("columns", []))
    if isinstance(spec.get("sharing"), Mapping) and "column" in spec["sharing"]:
        cols.append(spec["sharing"]["column"])
    return cols


def map_record(record: Mapping[str, str], mapping: Mapping[str, Any]) -> list[dict[str, Any]]:
    specs: Mapping[str, Any] = mapping["entities"]
    ids = {name: _key(name, spec, record) for name, spec in specs.items()}
    out = []
    for name, spec in specs.items():
        if ids[name] is None:
            continue  # no key values in this row: the mapped entity is absent
        props: dict[str, list[str]] = {}
        for prop, pspec in spec.get("properties", {}).items():
            values = _prop_values(pspec, record, ids)
            if values:
                props[prop] = values
        entity: dict[str, Any] = {
            "id": ids[name],
            "schema": spec.get("schema"),
            "properties": props,
        }
        sharing = spec.get("sharing")
        if isinstance(sharing, str):
            entity["sharing"] = sharing
        elif isinstance(sharing, Mapping) and record.get(sharing.get("column", "")):
            entity["sharing"] = record[sharing["column"]]
        out.append(entity)
    return out


def _key(name: str, spec: Mapping[str, Any], record: Mapping[str, str]) -> str | None:
    columns = list(spec.get("keys", [])) + ([spec["key"]] if "key" in spec else [])
    if not columns:
        raise RowProblem(name, "mapping entity has no key or keys")
    parts = [(record.get(c) or "").strip() for c in columns]
    if not any(parts):
        return None
    return f"{name}:{'-'.join(parts)}"


def _prop_values(
    pspec: Mapping[str, Any], record: Mapping[str, str], ids: Mapping[str, str | None]
) -> list[str]:
    if "entity" in pspec:
        ref = ids.get(pspec["entity"])
        return [ref] if ref else []
    if "literal" in pspec:
        return [str(pspec["literal"])]
    columns = [pspec["column"]] if "column" in pspec else list(pspec.get("columns", []))
    values = [(record.get(c) or "").strip() for c in columns]
    split = pspec.get("split")
    if split:
        values = [part.strip() for v in values for part in v.split(split)]
    return [v for v in values if v]
