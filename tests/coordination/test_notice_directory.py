"""A server process remembers the directory its hit-notice batches need (agency codes,
follow-up deadlines) and forgets it when any process of the node changes it.

Two stores on one PostgreSQL database stand for two worker processes: the ``reader``
listens to the change feed, as `palermo serve` does; the ``writer`` adds agencies and sets
deadlines. The reader reads the directory once, then not again until a change is
announced; a notice opened after another process changed a deadline carries the new one.
Without a listening feed (SQLite, a CLI) the directory is read in every batch.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from palermo.access.viewer import Viewer
from palermo.coordination import hit_notices
from palermo.store.directory import Agency
from palermo.store.store import Store
from tests.conftest import fresh_pg_database
from tests.store.factories import SYSTEM, setup_agencies

DB = f"palermo_notice_directory_{os.getpid()}"
REFLECTED_WITHIN = 1.0  # seconds, as every other cache of the node (issue 18)


@pytest.fixture
def pg_url() -> Iterator[str]:
    yield from fresh_pg_database(DB)  # its own database: the reader listens on it


class DirectoryReads:
    """Counts the directory queries (the union over ``agency`` and the deadlines)."""

    def __init__(self, store: Store) -> None:
        self.count = 0
        sa.event.listen(store.engine, "before_cursor_execute", self._seen)

    def _seen(self, *args: object) -> None:
        sql = str(args[2])
        if "hit_notice_setting" in sql and "FROM agency" in sql:
            self.count += 1


def _due_hours(store: Store, owner: Viewer, record_id: str) -> float:
    notices = {n.record_id: n for n in hit_notices.received(store, owner)}
    notice = notices[record_id]
    return (notice.due_at - notice.created_at) / timedelta(hours=1)


def test_the_directory_is_read_once_and_again_after_a_change_anywhere(pg_url: str) -> None:
    writer, reader = Store.open(pg_url), Store.open(pg_url, upgrade=False)
    reader.listen_for_changes()
    try:
        viewers = setup_agencies(writer, {"A1": (), "B2": ()})
        assert reader.feed is not None and reader.feed.listening.wait(5)
        reads = DirectoryReads(reader)
        a1 = viewers["A1"]
        hit_notices.notify_ids(reader, a1, ["b2.p1"], "screening")
        hit_notices.notify_ids(reader, a1, ["b2.p2"], "screening")
        assert reads.count == 1  # remembered after the first batch
        assert _due_hours(reader, viewers["B2"], "b2.p2") == hit_notices.DEFAULT_DEADLINE_HOURS

        # another process sets B2's deadline: the reader's next notice has the new one
        hit_notices.set_deadline(writer, SYSTEM, "B2", 12)
        time.sleep(REFLECTED_WITHIN)  # the feed's notice has arrived
        assert reads.count == 1  # nothing read meanwhile
        hit_notices.notify_ids(reader, a1, ["b2.p3"], "screening")
        assert _due_hours(reader, viewers["B2"], "b2.p3") == 12
        assert reads.count == 2

        # another process adds an agency: its records' hits are notified at once
        writer.add_agency(SYSTEM, Agency("C3", "Agency C3", "DE", "police", ()))
        time.sleep(REFLECTED_WITHIN)  # the feed's notice has arrived
        assert hit_notices.notify_ids(reader, a1, ["c3.p1"], "screening") != []
        assert reads.count == 3
    finally:
        if reader.feed is not None:
            reader.feed.stop()
        writer.close()
        reader.close()


def test_a_deadline_set_in_this_process_is_used_by_its_next_notice(pg_url: str) -> None:
    store = Store.open(pg_url)
    store.listen_for_changes()
    try:
        viewers = setup_agencies(store, {"A1": (), "B2": ()})
        assert store.feed is not None and store.feed.listening.wait(5)
        hit_notices.notify_ids(store, viewers["A1"], ["b2.p1"], "screening")
        hit_notices.set_deadline(store, SYSTEM, "B2", 6)  # no wait: local listeners ran
        hit_notices.notify_ids(store, viewers["A1"], ["b2.p2"], "screening")
        assert _due_hours(store, viewers["B2"], "b2.p2") == 6
        assert _due_hours(store, viewers["B2"], "b2.p1") == hit_notices.DEFAULT_DEADLINE_HOURS
    finally:
        if store.feed is not None:
            store.feed.stop()
        store.close()


def test_a_rolled_back_deadline_is_not_announced(pg_url: str) -> None:
    store = Store.open(pg_url)
    forgotten: list[datetime] = []
    store.directory_listeners.append(lambda: forgotten.append(datetime.now(UTC)))
    setup_agencies(store, {"A1": ()})
    forgotten.clear()
    with pytest.raises(RuntimeError), store.transaction() as conn:
        store.announce_directory(conn)
        raise RuntimeError("roll back")
    assert forgotten == []
    hit_notices.set_deadline(store, SYSTEM, "A1", 5)
    assert len(forgotten) == 1
    store.close()


def test_without_a_listening_feed_every_batch_reads_the_directory(store: Store) -> None:
    viewers = setup_agencies(store, {"A1": (), "B2": ()})
    reads = DirectoryReads(store)
    for n in range(3):
        hit_notices.notify_ids(store, viewers["A1"], [f"b2.p{n}"], "screening")
    assert reads.count == 3
