"""Screening indexes per viewer, built through the store and dropped when data changes.

The index holds only what the viewer's agency may see (with victim-sensitive values masked
unless the viewer has the victim-support role), so two viewers never share one.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from palermo.access.viewer import Viewer
from palermo.match.screening import ScreeningIndex, build_index
from palermo.store.purpose_view import H0_KEY, value_copies
from palermo.store.store import Store
from palermo.store.viewer_cache import ViewerCache

SCHEMATA = ("Person", "Passport", "Identification", "DocumentReport", "Notice")


def visible_entities(store: Store, viewer: Viewer) -> Iterator[dict[str, Any]]:
    for schema in SCHEMATA:
        for entity in store.export(viewer, schema=schema, batch=5000):
            data = entity.to_ftm()
            data["agency"] = ",".join(sorted(entity.agencies))
            if (copies := value_copies(entity, viewer)) is not None:
                data[H0_KEY] = copies  # what a screening's purpose withholds (ADR 0041)
            yield data


class IndexCache(ViewerCache[ScreeningIndex]):
    """Screening indexes per viewer (see `ViewerCache`)."""

    def __init__(self, store: Store) -> None:
        super().__init__(store, lambda v: build_index(visible_entities(store, v)), "screen")
