"""The node's background worker: pushes to peers and raises alerts as soon as data lands.

Local writes and received batches wake it (``Store.write_listeners``); it also wakes every
``interval`` seconds to retry peers that were unreachable. One thread per node is enough:
batches are large and the receiver does the heavy work.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from palermo.exchange.sync import Transport, http_transport, sync_all
from palermo.store.store import Store

log = logging.getLogger(__name__)


class Worker:
    def __init__(
        self, store: Store, tasks: list[Callable[[], object]], interval: float = 2.0
    ) -> None:
        self.store = store
        self.tasks = tasks
        self.interval = interval
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="palermo-worker", daemon=True)
        self.rounds = 0

    def start(self) -> Worker:
        self.store.write_listeners.append(self._wake.set)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=10)
        if self._wake.set in self.store.write_listeners:  # a stopped worker is not woken
            self.store.write_listeners.remove(self._wake.set)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.interval)
            self._wake.clear()
            if self._stop.is_set():
                return
            for task in self.tasks:
                try:
                    task()
                except Exception:  # a failing round must not kill the worker; it retries
                    log.exception("background task failed")
            self.rounds += 1


def SyncWorker(
    store: Store,
    transport: Transport | None = None,
    interval: float = 2.0,
) -> Worker:
    """A worker that only syncs (benchmarks and tests)."""
    send = transport or http_transport()
    return Worker(store, [lambda: sync_all(store, send)], interval)
