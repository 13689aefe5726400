"""Search finds names in every script whatever their case, on both backends (issue 21).

SQLite's built-in ``lower()`` folds ASCII only; the store gives SQLite a Unicode one.
"""

from __future__ import annotations

import pytest

from palermo.model.sharing import Sharing
from palermo.store.store import Store
from tests.store.factories import person, setup_agencies

NAMES = ["Коваленко Олена", "Παπαδόπουλος Νίκος", "Élodie Ørsted", "İBRAHİM Öztürk"]


@pytest.mark.parametrize(
    ("needle", "expected"),
    [
        ("Коваленко", "Коваленко Олена"),
        ("коваленко", "Коваленко Олена"),
        ("ΠΑΠΑΔΌΠΟΥΛΟΣ", "Παπαδόπουλος Νίκος"),
        ("élodie", "Élodie Ørsted"),
        ("ØRSTED", "Élodie Ørsted"),
        ("öztürk", "İBRAHİM Öztürk"),
    ],
)
def test_search_folds_case_in_every_script(store: Store, needle: str, expected: str) -> None:
    viewers = setup_agencies(store, {"A1": ()})
    for index, name in enumerate(NAMES):
        store.write(viewers["A1"], person("A1", f"p{index}", Sharing.owner_only(), name=name))
    found = store.search(viewers["A1"], needle)
    assert [e.first("name") for e in found] == [expected]
