"""Turning stored rows back into model statements (for retraction, export and exchange)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from palermo.model.sharing import Sharing
from palermo.model.statement import Statement
from palermo.store.views import as_utc


def statement_from_row(row: Mapping[str, Any]) -> Statement:
    """A statement row with its policy's canonical text (as ``canonical`` or ``policy``)."""
    first_seen = as_utc(row["first_seen"])
    assert first_seen is not None  # column is NOT NULL
    return Statement(
        entity_id=row["entity_id"],
        schema=row["schema"],
        prop=row["prop"],
        value=row["value"],
        agency=row["agency"],
        source_record_id=row["source_record_id"],
        sharing=Sharing.from_canonical(row.get("canonical") or row["policy"]),
        first_seen=first_seen,
        last_seen=as_utc(row["last_seen"]),
        retracted=bool(row.get("retracted", False)),
    )
