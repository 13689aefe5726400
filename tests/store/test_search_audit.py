"""The search's audit row commits beside the page read (ADR 0032), yet every answer still
waits for it: a search whose audit row cannot be written hands nothing out, and a search
that returned is already in the chain. SQLite and PostgreSQL (``store``)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from palermo.model.sharing import Sharing
from palermo.store import audit
from palermo.store.store import Store
from tests.store.factories import person, setup_agencies


def test_a_search_whose_audit_row_fails_returns_nothing(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    viewers = setup_agencies(store, {"A1": ()})
    store.write(viewers["A1"], person("A1", "p1", Sharing.owner_only(), name="Ivan Petrov"))

    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("audit log unavailable")

    monkeypatch.setattr(audit, "append_many", broken)
    with pytest.raises(RuntimeError, match="audit log unavailable"):
        store.search(viewers["A1"], "petrov")


def test_the_row_is_in_the_chain_when_the_answer_arrives(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writer is made slow: a search that did not wait for it would return first."""
    viewers = setup_agencies(store, {"A1": ()})
    store.write(viewers["A1"], person("A1", "p1", Sharing.owner_only(), name="Ivan Petrov"))
    original = audit.append_many

    def slow(*args: Any, **kwargs: Any) -> Any:
        time.sleep(0.5)
        return original(*args, **kwargs)

    monkeypatch.setattr(audit, "append_many", slow)
    before = len(store.audit_entries())
    found = store.search(viewers["A1"], "ivan petrov")
    entries = store.audit_entries()
    assert [e.id for e in found] == ["a1.p1"]
    assert len(entries) == before + 1
    assert (entries[-1].action, entries[-1].target) == ("search", "ivan petrov")
    assert '"a1.p1"' in entries[-1].detail
