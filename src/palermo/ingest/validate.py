"""From an entity dict to statements, checking every value against the model.

Values are cleaned with the followthemoney property types (so "Germany" becomes "de" and
"1980-13-05" is rejected as a date), and entity references are namespaced with the
writing agency just like the entity ids themselves.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from followthemoney.types import registry
from followthemoney.types.common import PropertyType

from palermo.ingest.errors import RowProblem
from palermo.model.schemata import model
from palermo.model.sharing import KnownAudiences, Sharing, SharingError, parse_sharing
from palermo.model.statement import BASE, Statement, make_entity_id, utcnow


def entity_statements(
    data: Any,
    agency: str,
    default_sharing: Sharing,
    seen: datetime | None = None,
    local_ids: bool = True,
    known: KnownAudiences | None = None,
    merged_into: Mapping[str, str] | None = None,
) -> list[Statement]:
    """All statements of one entity dict, or a :class:`RowProblem` for the first bad field.

    With ``local_ids`` (imports) the id and entity references are the agency's own record
    ids and get namespaced; without it (code building entities) they are global ids already.
    With ``known`` (imports) a row's sharing must name agencies and groups of the directory.
    ``merged_into`` (the same-name rule, :mod:`palermo.ingest.consolidate`) maps a record id
    to the record it was merged into: the entity and references to it take that id, while
    each statement keeps its own source record id. An imported court outcome also passes
    the web form's check (:mod:`palermo.ingest.court_rows`, ADR 0028).
    """
    if not isinstance(data, Mapping):
        raise RowProblem("(row)", "expected a JSON object with id, schema and properties")
    source_id = _text(data.get("id"), "id")
    schema = model.get(_text(data.get("schema"), "schema"))
    if schema is None:
        raise RowProblem("schema", f"no schema named {data.get('schema')!r}")
    if schema.abstract:
        raise RowProblem("schema", f"{schema.name} is abstract; use one of its sub-schemata")
    sharing = _sharing(data.get("sharing"), default_sharing, known)
    first_seen = _when(data.get("first_seen"), "first_seen") or seen or utcnow()
    last_seen = _when(data.get("last_seen"), "last_seen")
    into = merged_into or {}
    entity_id = make_entity_id(agency, into.get(source_id, source_id)) if local_ids else source_id

    def stmt(prop: str, value: str) -> Statement:
        return Statement(
            entity_id, schema.name, prop, value, agency, source_id, sharing, first_seen, last_seen
        )

    out = [stmt(BASE, entity_id)]
    for prop_name, value in _properties(data).items():
        prop = schema.get(prop_name)
        if prop is None:
            raise RowProblem(prop_name, f"{schema.name} has no property {prop_name!r}")
        for raw in value:
            out.append(stmt(prop.name, _clean(prop, raw, agency if local_ids else None, into)))
    if local_ids and schema.name == "CourtOutcome":  # imported: the hand-entry check too
        from palermo.ingest.court_rows import check_court_rows  # (court imports ingest)

        check_court_rows(out)
    return out


def _properties(data: Mapping[str, Any]) -> dict[str, list[Any]]:
    props = data.get("properties", {})
    if not isinstance(props, Mapping):
        raise RowProblem("properties", "must be an object of property names to value lists")
    out: dict[str, list[Any]] = {}
    for name, value in props.items():
        values = value if isinstance(value, list) else [value]
        out[str(name)] = [v for v in values if v is not None and str(v).strip() != ""]
    return out


def _clean(prop: Any, raw: Any, agency: str | None, into: Mapping[str, str]) -> str:
    if not isinstance(raw, str | int | float):
        raise RowProblem(prop.name, f"{raw!r} is not a text or number value")
    text = str(raw).strip()
    if prop.type == registry.entity:
        return make_entity_id(agency, into.get(text, text)) if agency else text
    cleaned = _cleaned(prop.type, text)
    if cleaned is None:
        raise RowProblem(prop.name, f"{text!r} is not a valid {prop.type.label.lower()}")
    return cleaned


@functools.lru_cache(maxsize=65_536)
def _cleaned(kind: PropertyType, text: str) -> str | None:
    """``kind.clean(text)``, once per distinct value: imports repeat values (nationalities,
    dates, a phone number or e-mail address on several records), and each cleaning parses
    (phonenumbers, IDNA, dates). Called without entity or hints, the type's cleaning
    depends on the text alone, so a cached answer is the one it would give again."""
    cleaned = kind.clean(text)
    return None if cleaned is None else str(cleaned)


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str | int) or not str(value).strip():
        raise RowProblem(name, "missing or empty")
    return str(value).strip()


def _sharing(value: Any, default: Sharing, known: KnownAudiences | None) -> Sharing:
    try:
        return parse_sharing(value, known, default)
    except SharingError as exc:
        raise RowProblem("sharing", str(exc)) from None


def _when(value: Any, name: str) -> datetime | None:
    if value is None or value == "":
        return None
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        raise RowProblem(name, f"{value!r} is not an ISO 8601 date-time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
