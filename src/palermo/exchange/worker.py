"""The sync worker: pushes to peers as soon as something is written, and retries.

Local writes wake it (``Store.write_listeners``); it also wakes every ``interval`` seconds
to retry peers that were unreachable. One thread per node is enough: batches are large and
the receiver does the heavy work.
"""

from __future__ import annotations

import threading

from palermo.exchange.sync import Transport, http_transport, sync_all
from palermo.store.store import Store


class SyncWorker:
    def __init__(
        self, store: Store, transport: Transport | None = None, interval: float = 2.0
    ) -> None:
        self.store = store
        self.transport = transport or http_transport()
        self.interval = interval
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="palermo-sync", daemon=True)
        self.rounds = 0

    def start(self) -> SyncWorker:
        self.store.write_listeners.append(self._wake.set)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.interval)
            self._wake.clear()
            if self._stop.is_set():
                return
            sync_all(self.store, self.transport)
            self.rounds += 1
