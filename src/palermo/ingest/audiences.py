"""Sharing given by a person (CLI option, API field) read strictly against this directory.

Import rows go through :func:`palermo.ingest.validate.entity_statements` with the same
parser; this is the entry for one value outside a file, naming the field it came from.
"""

from __future__ import annotations

from typing import Any

from palermo.model.sharing import KnownAudiences, Sharing, SharingError, parse_sharing
from palermo.store.store import Store


def known_audiences(store: Store) -> KnownAudiences:
    """The agency and group codes this node's directory knows right now."""
    return KnownAudiences.of(store.agencies())


def checked_sharing(
    store: Store, value: Any, field: str, default: Sharing | None = None
) -> Sharing:
    """``value`` parsed and checked against the directory; a ``ValueError`` starting with
    ``field`` otherwise (the API answers it as 400 naming the field, the CLI as one line)."""
    try:
        return parse_sharing(value, known_audiences(store), default)
    except SharingError as exc:
        raise ValueError(f"{field}: {exc}") from None
