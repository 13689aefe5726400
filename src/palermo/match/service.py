"""Screening indexes per viewer, built through the store and dropped when data changes.

The index holds only what the viewer's agency may see (with victim-sensitive values masked
unless the viewer has the victim-support role), so two viewers never share one.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

from palermo.access.viewer import Viewer
from palermo.match.screening import ScreeningIndex, build_index
from palermo.store.store import Store

SCHEMATA = ("Person", "Passport", "Identification", "DocumentReport", "Notice")


def visible_entities(store: Store, viewer: Viewer) -> Iterator[dict[str, Any]]:
    for schema in SCHEMATA:
        for entity in store.export(viewer, schema=schema, batch=5000):
            data = entity.to_ftm()
            data["agency"] = ",".join(sorted(entity.agencies))
            yield data


class IndexCache:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._indexes: dict[tuple[str, bool], ScreeningIndex] = {}
        self._lock = threading.Lock()
        store.write_listeners.append(self.clear)

    def clear(self) -> None:
        with self._lock:
            self._indexes.clear()

    def cached(self, viewer: Viewer) -> ScreeningIndex | None:
        """The viewer's index if it is built, without building it."""
        viewer.require_data_role("screen")
        with self._lock:
            return self._indexes.get((viewer.agency, viewer.sees_victim_details))

    def for_viewer(self, viewer: Viewer) -> ScreeningIndex:
        viewer.require_data_role("screen")
        key = (viewer.agency, viewer.sees_victim_details)
        with self._lock:
            index = self._indexes.get(key)
        if index is None:
            index = build_index(visible_entities(self.store, viewer))
            with self._lock:
                self._indexes[key] = index
        return index
