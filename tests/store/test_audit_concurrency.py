"""Concurrent requests append to one audit chain: no lost rows, no duplicate seq."""

from __future__ import annotations

import threading

from palermo.access.viewer import Viewer
from palermo.store.store import Store


def test_parallel_appends_keep_one_unbroken_chain(store: Store) -> None:
    viewer = Viewer.system()
    errors: list[Exception] = []

    def work() -> None:
        for i in range(40):
            try:
                store.audit_event(viewer, "screen.document", str(i), {})
            except Exception as exc:
                errors.append(exc)

    before = store.audit_verify().rows_checked
    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    report = store.audit_verify()
    assert errors == []
    assert report.ok and report.rows_checked == before + 240
