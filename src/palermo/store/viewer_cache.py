"""Per-viewer caches of derived data (screening indexes, analysis workspaces).

What a viewer may see depends on its agency and on whether it may see victim details, so
derived data is kept per (agency, victim-support) -- never shared between two keys -- and
dropped whenever anything is written to the store, so it is never staler than a write.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from palermo.access.viewer import Viewer
from palermo.store.store import Store

T = TypeVar("T")


class ViewerCache(Generic[T]):
    def __init__(self, store: Store, build: Callable[[Viewer], T], purpose: str) -> None:
        self.store = store
        self._build = build
        self._purpose = purpose
        self._items: dict[tuple[str, bool], T] = {}
        self._built: dict[tuple[str, bool], float] = {}  # time.monotonic() when built
        self._lock = threading.Lock()
        store.write_listeners.append(self.clear)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._built.clear()

    def snapshot(self) -> list[tuple[T, float]]:
        """Every built item with when it was built (monotonic clock), for metrics."""
        with self._lock:
            return [(item, self._built[key]) for key, item in self._items.items()]

    def cached(self, viewer: Viewer) -> T | None:
        """The viewer's item if it is built, without building it."""
        viewer.require_data_role(self._purpose)
        with self._lock:
            return self._items.get((viewer.agency, viewer.sees_victim_details))

    def for_viewer(self, viewer: Viewer) -> T:
        found = self.cached(viewer)
        if found is None:
            found = self._build(viewer)
            key = (viewer.agency, viewer.sees_victim_details)
            with self._lock:
                self._items[key] = found
                self._built[key] = time.monotonic()
        return found
