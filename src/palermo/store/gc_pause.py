"""Pause the cyclic garbage collector's automatic passes for the length of a bulk write.

A bulk write keeps a batch of 20,000 statements, their prepared rows and their search
terms alive at once: hundreds of thousands of new container objects. Each one counts
towards the collector's thresholds, so the write triggers collection after collection,
and the full (generation 2) passes among them walk every object of the process, the
batch included. Measured on ``palermo import`` of 100,000 statements (SQLite, CPU time of
the importing thread): 0.76 of 5.1 s went to the collector; with it paused the same
import took 4.2 s (ADR 0027, amendments of 2026-11-30).

Nothing a bulk write builds is cyclic (statements, tuples, strings): reference counting
frees it as before; only cyclic garbage made meanwhile by other threads waits for the
first pass after the pause. The pause is counted, so concurrent bulk writes re-enable
the collector when the last one ends, and only if it was enabled when the first began.
"""

from __future__ import annotations

import gc
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_state = {"pid": os.getpid(), "holders": 0, "was_enabled": 0}


@contextmanager
def paused() -> Iterator[None]:
    """No automatic collections inside the block; ``gc.collect()`` still works."""
    with _lock:
        if _state["pid"] != os.getpid():
            # A forked child holds none of its parent's pauses: undo the one it inherited.
            if _state["holders"] and _state["was_enabled"]:
                gc.enable()
            _state.update(pid=os.getpid(), holders=0, was_enabled=0)
        if _state["holders"] == 0:
            _state["was_enabled"] = int(gc.isenabled())
            gc.disable()
        _state["holders"] += 1
    try:
        yield
    finally:
        with _lock:
            _state["holders"] -= 1
            if _state["holders"] == 0 and _state["was_enabled"]:
                gc.enable()
