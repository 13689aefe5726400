"""The leader/follower group writer: a lone caller writes at once in its own thread; callers
arriving during a write are written together by the oldest of them; each gets its own
result, or the batch's error."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from palermo.store.group_write import GroupWrite


def _wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.001)


def test_a_lone_caller_writes_at_once_in_its_own_thread() -> None:
    group: GroupWrite[int, int] = GroupWrite()
    threads_before = threading.active_count()
    seen: list[tuple[list[int], int]] = []

    def write(items: list[int]) -> list[int]:
        seen.append((items, threading.get_ident()))
        return [i * 10 for i in items]

    assert group.submit(1, write) == 10
    assert group.submit(2, write) == 20
    assert seen == [([1], threading.get_ident()), ([2], threading.get_ident())]
    assert group.batches == 2 and threading.active_count() == threads_before


class HeldWrite:
    """A write that holds the first batch until released, recording every batch."""

    def __init__(self, results: Callable[[list[int]], list[int]]) -> None:
        self.results = results
        self.batches: list[list[int]] = []
        self.writing = threading.Event()
        self.release = threading.Event()

    def __call__(self, items: list[int]) -> list[int]:
        self.batches.append(items)
        if not self.writing.is_set():
            self.writing.set()
            self.release.wait(10)
        return self.results(items)


def _run(group: GroupWrite[int, int], items: list[int], write: HeldWrite) -> dict[int, object]:
    """Submit each item from its own thread: the first is written (and held) alone, the
    others queue behind it in order; then the write is released. {item: result or error}."""
    out: dict[int, object] = {}

    def one(item: int) -> None:
        try:
            out[item] = group.submit(item, write)
        except Exception as exc:
            out[item] = exc

    threads = [threading.Thread(target=one, args=(i,)) for i in items]
    threads[0].start()
    _wait_for(write.writing.is_set)
    for n, thread in enumerate(threads[1:], start=1):
        thread.start()
        _wait_for(lambda n=n: group.depth() == n)  # type: ignore[misc]
    write.release.set()
    for thread in threads:
        thread.join(10)
    return out


def test_callers_arriving_during_a_write_share_the_next_batch_in_order() -> None:
    group: GroupWrite[int, int] = GroupWrite()
    write = HeldWrite(lambda items: [i * 10 for i in items])
    out = _run(group, [0, 1, 2, 3, 4], write)
    assert out == {0: 0, 1: 10, 2: 20, 3: 30, 4: 40}
    assert write.batches == [[0], [1, 2, 3, 4]]
    assert group.submit(5, write) == 50  # the leadership was handed back


def test_a_batch_is_at_most_max_batch_items() -> None:
    group: GroupWrite[int, int] = GroupWrite(max_batch=2)
    write = HeldWrite(lambda items: [i * 10 for i in items])
    out = _run(group, [0, 1, 2, 3, 4], write)
    assert out == {0: 0, 1: 10, 2: 20, 3: 30, 4: 40}
    assert write.batches == [[0], [1, 2], [3, 4]]


def test_a_failed_batch_raises_in_every_caller_it_held() -> None:
    group: GroupWrite[int, int] = GroupWrite()

    def results(items: list[int]) -> list[int]:
        if len(items) > 1:
            raise OSError("disk gone")
        return [i * 10 for i in items]

    write = HeldWrite(results)
    out = _run(group, [0, 1, 2, 3], write)
    assert out[0] == 0
    errors = [out[i] for i in (1, 2, 3)]
    assert all(isinstance(e, OSError) and str(e) == "disk gone" for e in errors)
    assert group.submit(9, write) == 90  # the next caller writes again


def test_a_write_that_loses_results_fails_the_batch() -> None:
    group: GroupWrite[int, int] = GroupWrite()
    with pytest.raises(RuntimeError, match="0 results for 1 items"):
        group.submit(1, lambda items: [])
    assert group.submit(2, lambda items: [i for i in items]) == 2


def test_max_batch_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_batch"):
        GroupWrite(max_batch=0)
