"""Leader/follower group commit: many request threads' writes in one transaction.

Request threads that must each write a little and wait for it to be durable (a screening's
hit notices, ADR 0052 amendment) would otherwise queue one by one on the same row locks
(the audit chain's head) and pay one commit each. Here a thread hands its item in and
waits; the first thread that finds no write under way becomes the *leader*: it takes every
item waiting at that moment (its own first), writes them with one call (one transaction),
and hands each waiting thread its own result or the batch's error. Items that arrive while
it writes wait for the next batch, whose leader is the oldest of them, woken by the one
before. So no thread of its own runs (nothing to start, stop or leak), a lone request
writes at once with no added wait, and under load the batch grows by itself to whatever
arrived during one commit.

A thread returns only once the batch that holds its item is committed, or raises the
batch's error: nothing is answered before it is written, nothing fails silently.

An async route joins the same batches with :meth:`GroupWrite.submit_async` without taking
a thread of its own: it waits on its event loop, and only when it has to lead does a
thread of the loop's executor write the batch (ADR 0031, amendment of 2026-11-30: a
document check that hit a report paid one thread hand-off per request before).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")
MAX_BATCH = 1_000  # items per transaction; the rest wait for the next leader


class BatchInterrupted(RuntimeError):
    """The leader stopped before its batch was written (not an ``Exception`` it caught)."""


@dataclass
class _Slot(Generic[T, R]):
    item: T
    wake: threading.Event | None = None  # a thread's wake-up (an async caller has ``notify``)
    lead: bool = False  # woken to write the next batch, not with a result
    result: R | None = None
    error: BaseException | None = None
    notify: Callable[[], None] | None = None  # an async caller's wake-up, else ``wake``

    def signal(self) -> None:
        """Wake the caller: with its result, or (``lead`` set) to write the next batch."""
        if self.notify is not None:
            self.notify()
        elif self.wake is not None:
            self.wake.set()

    def outcome(self) -> R:
        if self.error is not None:
            raise self.error
        return self.result  # type: ignore[return-value]  # set with error None


class GroupWrite(Generic[T, R]):
    """Items of concurrent callers written in batches by whichever caller leads.

    ``write`` gets the batch's items in arrival order and returns one result per item,
    in the same order; it runs in the leader's thread. Every caller of one instance must
    pass a ``write`` that can write any caller's item (they share one database)."""

    def __init__(self, max_batch: int = MAX_BATCH) -> None:
        if max_batch < 1:
            raise ValueError("max_batch: must be at least 1")
        self._max = max_batch
        self._lock = threading.Lock()
        self._waiting: list[_Slot[T, R]] = []
        self._leading = False
        self.batches = 0  # batches written so far (tests and metrics)

    def submit(self, item: T, write: Callable[[list[T]], list[R]]) -> R:
        """Write ``item`` (in a batch with whatever else is waiting) and return its result
        once the batch is committed; raise the batch's error if the write failed."""
        wake = threading.Event()
        slot: _Slot[T, R] = _Slot(item, wake)
        with self._lock:
            self._waiting.append(slot)
            lead = not self._leading
            self._leading = True
        if not lead:
            wake.wait()
            if not slot.lead:
                return slot.outcome()
        self._lead(slot, write)
        return slot.outcome()

    async def submit_async(self, item: T, write: Callable[[list[T]], list[R]]) -> R:
        """:meth:`submit` for an event loop: the caller waits on the loop, holding no
        thread; when it is to lead, the batch is written in a thread of the loop's default
        executor. The leading is started from the loop's callback, not from this coroutine,
        so a cancelled caller still writes the batch it was handed (its partners wait on
        it); the caller's own item is written either way."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        slot: _Slot[T, R] = _Slot(item)

        def finish() -> None:
            if not done.done():
                done.set_result(None)

        def lead() -> None:
            try:
                self._lead(slot, write)
            finally:
                loop.call_soon_threadsafe(finish)

        def on_loop() -> None:
            if slot.lead:
                loop.run_in_executor(None, lead)
            else:
                finish()

        def notify() -> None:  # from the leader's thread
            try:
                loop.call_soon_threadsafe(on_loop)
            except RuntimeError:  # the loop is closed (shutdown): nobody awaits this slot,
                if slot.lead:  # but the callers behind it must still be written
                    threading.Thread(target=self._lead, args=(slot, write), daemon=True).start()

        slot.notify = notify
        with self._lock:
            self._waiting.append(slot)
            first = not self._leading
            self._leading = True
        if first:
            slot.lead = True
            on_loop()
        await asyncio.shield(done)
        return slot.outcome()

    def depth(self) -> int:
        """Items waiting for a batch (approximate, for metrics)."""
        return len(self._waiting)

    def _lead(self, own: _Slot[T, R], write: Callable[[list[T]], list[R]]) -> None:
        with self._lock:
            batch, self._waiting = self._waiting[: self._max], self._waiting[self._max :]
        assert batch and batch[0] is own, "the leader's item is the oldest waiting"
        interrupted = BatchInterrupted("the batch's writer stopped before it committed")
        for slot in batch:
            slot.error = interrupted
        try:
            results = write([slot.item for slot in batch])
            if len(results) != len(batch):
                raise RuntimeError(f"group write: {len(results)} results for {len(batch)} items")
        except Exception as exc:  # every caller in the batch gets the error
            for slot in batch:
                slot.error = exc
        else:
            for slot, result in zip(batch, results, strict=True):
                slot.result, slot.error = result, None
        finally:
            self.batches += 1
            self._hand_on()
            for slot in batch[1:]:
                slot.signal()

    def _hand_on(self) -> None:
        """The oldest waiting caller leads the next batch; with none, the next to come."""
        with self._lock:
            if self._waiting:
                nxt = self._waiting[0]
                nxt.lead = True
                nxt.signal()
            else:
                self._leading = False
