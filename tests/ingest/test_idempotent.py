"""Imports are idempotent by content (issue 21): importing the same rows again, in any
order and split any way, stores nothing new, so nothing is re-sent to peers or re-alerted."""

from __future__ import annotations

import itertools
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from palermo.exchange import alerts, outbox
from palermo.ingest import import_file, run
from palermo.model.sharing import Sharing
from palermo.store.store import Store
from palermo.store.tables import statement
from tests.conftest import wipe
from tests.store.factories import setup_agencies

NAMES = ["Ivan Petrov", "Анна Берг", "Somchai Jaidee", "Li Wei", "Amina Bello"]

rows = st.lists(
    st.fixed_dictionaries(
        {
            "id": st.sampled_from([f"p{i}" for i in range(6)]),
            "name": st.sampled_from(NAMES),
            "sharing": st.sampled_from(["owner", "all", "B2"]),
        }
    ),
    min_size=1,
    max_size=12,
)


def write_file(path: Path, chunk: list[dict[str, str]]) -> Path:
    lines = [
        json.dumps(
            {
                "id": r["id"],
                "schema": "Person",
                "properties": {"name": [r["name"]]},
                "sharing": r["sharing"],
            }
        )
        for r in chunk
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def snapshot(store: Store) -> tuple[int, int, int]:
    """Statement rows, alerts for the subscriber, and what the outbox holds for B2."""
    with store.engine.connect() as conn:
        pending = len(outbox.pending(conn, "A1", "B2", 0, limit=10_000))
    return store.count_statements(), len(alerts.scan(store)), pending


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=rows, split=st.integers(1, 4), order=st.randoms(use_true_random=False))
def test_importing_again_in_any_order_changes_nothing(
    store: Store,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    data: list[dict[str, str]],
    split: int,
    order: object,
) -> None:
    ticks = itertools.count()
    start = datetime(2026, 11, 29, tzinfo=UTC)
    # Each import is seen a minute after the one before, as re-imports are in real life.
    monkeypatch.setattr(run, "utcnow", lambda: start + timedelta(minutes=next(ticks)))
    wipe(store)
    viewers = setup_agencies(store, {"A1": (), "B2": ()})
    alerts.subscribe(store, viewers["B2"], "name", "petrov")
    with store.transaction() as conn:
        conn.execute(statement.delete())
    first = write_file(tmp_path / "all.json", data)
    import_file(store, viewers["A1"], first, sharing=Sharing.owner_only())
    before = snapshot(store)
    chunks = [data[i::split] for i in range(split)]
    order.shuffle(chunks)  # type: ignore[attr-defined]
    for index, chunk in enumerate(chunks):
        again = write_file(tmp_path / f"part{index}.json", chunk)
        report = import_file(store, viewers["A1"], again, sharing=Sharing.owner_only())
        assert not report.errors
    after = snapshot(store)
    assert after[0] == before[0], "statements were stored again"
    assert after[1] == 0, "alerts fired again"
    assert after[2] == before[2], "the outbox would send values again"


def test_a_changed_value_or_sharing_is_stored(store: Store, tmp_path: Path) -> None:
    viewers = setup_agencies(store, {"A1": (), "B2": ()})
    row = {"id": "p1", "name": "Ivan Petrov", "sharing": "owner"}
    import_file(store, viewers["A1"], write_file(tmp_path / "a.json", [row]))
    count = store.count_statements()
    import_file(store, viewers["A1"], write_file(tmp_path / "b.json", [{**row, "sharing": "B2"}]))
    assert store.count_statements() == count + 2
    import_file(store, viewers["A1"], write_file(tmp_path / "c.json", [{**row, "name": "I. P."}]))
    assert store.count_statements() == count + 3


def test_a_value_retracted_then_imported_again_is_current_again(
    store: Store, tmp_path: Path
) -> None:
    viewers = setup_agencies(store, {"A1": ()})
    row = {"id": "p1", "name": "Ivan Petrov", "sharing": "owner"}
    path = write_file(tmp_path / "a.json", [row])
    import_file(store, viewers["A1"], path)
    store.retract(viewers["A1"], "a1.p1", "name")
    assert store.entity(viewers["A1"], "a1.p1").first("name") is None  # type: ignore[union-attr]
    time.sleep(1.1)  # statement times have whole seconds: a new assertion is a later one
    import_file(store, viewers["A1"], path)
    assert store.entity(viewers["A1"], "a1.p1").first("name") == "Ivan Petrov"  # type: ignore[union-attr]
