"""Keep a freshly built screening index out of the garbage collector's full passes.

A screening index over a million documents is millions of tracked container objects. Each
full (generation 2) collection walks all of them, which stalls every request of the worker
for the length of the walk: the long tail (p99) of the hot routes. ``gc.freeze()`` moves
everything alive into the permanent generation, which collections skip. The index is
reference-counted as usual, so an index dropped on invalidation is still freed; only
objects of a dropped index that sit in reference cycles stay allocated (frozen objects
are never collected). tests/api/test_hot_paths.py checks that building and dropping an
index leaves no such garbage.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
_freezing = threading.Lock()
_building = threading.Lock()


def build_once(cached: Callable[[], T | None], build: Callable[[], T]) -> T:
    """The cached item, else one thread builds it while the others wait and then find it.

    After an invalidation every in-flight request misses the cache at once; without this
    each of them (32 under the benchmark's load) builds its own copy of the index."""
    found = cached()
    if found is not None:
        return found
    with _building:
        found = cached()
        return found if found is not None else freeze_after_build(build)


def freeze_after_build(build: Callable[[], T]) -> T:
    """``build()``, then collect once and freeze what is left alive (the new index)."""
    built = build()
    with _freezing:
        gc.collect()
        gc.freeze()
    return built
