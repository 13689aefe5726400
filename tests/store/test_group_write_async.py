"""`GroupWrite.submit_async`: async callers join the same batches as threads, wait on the
event loop without holding a thread, write only when they lead, and get their own result
or the batch's error; a cancelled leader still writes the batch it holds."""

from __future__ import annotations

import asyncio
import threading

import pytest

from palermo.store.group_write import GroupWrite


def test_a_lone_async_caller_writes_in_an_executor_thread_not_on_the_loop() -> None:
    group: GroupWrite[int, int] = GroupWrite()
    seen: list[tuple[list[int], int]] = []

    def write(items: list[int]) -> list[int]:
        seen.append((items, threading.get_ident()))
        return [i * 10 for i in items]

    async def main() -> tuple[int, int, int]:
        loop_thread = threading.get_ident()
        return await group.submit_async(1, write), await group.submit_async(2, write), loop_thread

    first, second, loop_thread = asyncio.run(main())
    assert (first, second) == (10, 20)
    assert [items for items, _ in seen] == [[1], [2]]
    assert all(thread != loop_thread for _, thread in seen)
    assert group.batches == 2


def test_async_and_thread_callers_share_a_batch_each_with_its_own_result() -> None:
    """While a thread's write is held, async callers and another thread queue up: they are
    written together in arrival order, led by the oldest, each answered its own result."""
    group: GroupWrite[int, int] = GroupWrite()
    batches: list[list[int]] = []
    writing, release = threading.Event(), threading.Event()

    def write(items: list[int]) -> list[int]:
        batches.append(items)
        if not writing.is_set():
            writing.set()
            release.wait(10)
        return [i * 10 for i in items]

    held = threading.Thread(target=group.submit, args=(0, write))
    held.start()
    assert writing.wait(10)
    later: dict[int, int] = {}

    def late_thread() -> None:
        later[3] = group.submit(3, write)

    async def main() -> list[int]:
        tasks = [asyncio.create_task(group.submit_async(i, write)) for i in (1, 2)]
        while group.depth() < 2:  # both async callers queued behind the held write
            await asyncio.sleep(0.001)
        thread = threading.Thread(target=late_thread)
        thread.start()
        while group.depth() < 3:
            await asyncio.sleep(0.001)
        release.set()
        results = list(await asyncio.gather(*tasks))
        await asyncio.to_thread(thread.join, 10)
        return results

    assert asyncio.run(main()) == [10, 20]
    held.join(10)
    assert later == {3: 30}
    assert batches == [[0], [1, 2, 3]]


def test_a_failed_batch_raises_in_every_async_caller_it_held() -> None:
    group: GroupWrite[int, int] = GroupWrite()

    def write(items: list[int]) -> list[int]:
        raise RuntimeError(f"disk full writing {items}")

    async def main() -> list[BaseException | int]:
        calls = [group.submit_async(i, write) for i in range(3)]
        return list(await asyncio.gather(*calls, return_exceptions=True))

    results = asyncio.run(main())
    assert all(isinstance(r, RuntimeError) and "disk full" in str(r) for r in results)


def test_a_cancelled_async_leader_still_writes_its_batch() -> None:
    """The leader's caller goes away (a client that disconnected): the batch it was
    handed is still written, so the callers waiting in it are answered."""
    group: GroupWrite[int, int] = GroupWrite()
    batches: list[list[int]] = []
    writing, release = threading.Event(), threading.Event()

    def write(items: list[int]) -> list[int]:
        batches.append(items)
        if not writing.is_set():
            writing.set()
            release.wait(10)
        return [i * 10 for i in items]

    held = threading.Thread(target=group.submit, args=(0, write))
    held.start()
    assert writing.wait(10)

    async def main() -> int:
        leader = asyncio.create_task(group.submit_async(1, write))  # oldest: leads next
        follower = asyncio.create_task(group.submit_async(2, write))
        while group.depth() < 2:
            await asyncio.sleep(0.001)
        leader.cancel()
        release.set()
        with pytest.raises(asyncio.CancelledError):
            await leader
        return await asyncio.wait_for(follower, 10)

    assert asyncio.run(main()) == 20
    held.join(10)
    assert batches == [[0], [1, 2]]


def test_a_batch_handed_to_a_closed_loop_is_still_written_for_the_callers_behind_it() -> None:
    """Shutdown: an async caller's loop closes while it waits; when the lead reaches it, a
    thread of the group's own leads in its place, so a thread queued behind it is answered."""
    group: GroupWrite[int, int] = GroupWrite(max_batch=1)
    batches: list[list[int]] = []
    writing, release = threading.Event(), threading.Event()

    def write(items: list[int]) -> list[int]:
        batches.append(items)
        if items == [0]:
            writing.set()
            release.wait(10)
        return [i * 10 for i in items]

    held = threading.Thread(target=group.submit, args=(0, write))
    held.start()
    assert writing.wait(10)
    loop = asyncio.new_event_loop()
    task = loop.create_task(group.submit_async(1, write))
    loop.run_until_complete(asyncio.sleep(0.01))  # the async caller is queued
    assert group.depth() == 1
    task.cancel()
    loop.close()  # its loop is gone before the lead reaches it
    answered: dict[int, int] = {}
    behind = threading.Thread(target=lambda: answered.setdefault(2, group.submit(2, write)))
    behind.start()
    while group.depth() < 2:
        threading.Event().wait(0.001)
    release.set()
    behind.join(10)
    held.join(10)
    assert not behind.is_alive(), "the caller behind the closed loop's slot was never answered"
    assert answered == {2: 20} and batches == [[0], [1], [2]]
