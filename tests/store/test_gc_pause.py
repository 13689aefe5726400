"""The bulk path pauses the garbage collector's automatic passes (store.gc_pause) and always
gives them back: after a write, after a failed write, and only when the last of several
overlapping writes ends; a collector that was off before stays off."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from palermo.model.statement import BASE, Statement
from palermo.store import gc_pause
from palermo.store.store import Store
from tests.store.factories import setup_agencies


@pytest.fixture
def collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_a_bulk_write_runs_with_the_collector_paused_and_restores_it(
    store: Store, collector_on: None
) -> None:
    viewer = setup_agencies(store, {"A1": ()})["A1"]
    during: list[bool] = []

    def stmts() -> Iterator[Statement]:
        during.append(gc.isenabled())  # read while the bulk path consumes the statements
        yield Statement("a1.p1", "Person", BASE, "a1.p1", "A1", "p1")
        yield Statement("a1.p1", "Person", "name", "Ivan Petrov", "A1", "p1")

    assert store.write(viewer, stmts()) == 2
    assert during == [False]
    assert gc.isenabled()


def test_a_failed_bulk_write_restores_the_collector(store: Store, collector_on: None) -> None:
    viewer = setup_agencies(store, {"A1": ()})["A1"]

    def stmts() -> Iterator[Statement]:
        yield Statement("a1.p1", "Person", BASE, "a1.p1", "A1", "p1")
        raise RuntimeError("the source broke")

    with pytest.raises(RuntimeError, match="the source broke"):
        store.write(viewer, stmts())
    assert gc.isenabled()


def test_overlapping_pauses_resume_when_the_last_one_ends(collector_on: None) -> None:
    first_in, release = threading.Event(), threading.Event()

    def hold() -> None:
        with gc_pause.paused():
            first_in.set()
            release.wait(10)

    other = threading.Thread(target=hold)
    other.start()
    assert first_in.wait(10)
    with gc_pause.paused():
        assert not gc.isenabled()
    assert not gc.isenabled()  # the other thread's write still runs
    release.set()
    other.join(10)
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off(collector_on: None) -> None:
    gc.disable()
    with gc_pause.paused():
        assert not gc.isenabled()
    assert not gc.isenabled()
