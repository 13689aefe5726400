"""Property (issue 15, ADR 0046): a record's identity looked up alone
(`ledger_access.identity_of`, behind `GET /api/v1/identities/of/{id}` and the CLI) is the
identity the view's identities give it - the review queue's and profile's
(`review.identities`) and the analyses' (`service.identities`) - after any sequence of
shares, unshares, judgements and records the view forgets, with no batch run in between.

The world and the generators are those of `test_ledger_split_property`: one man in four
records joined through B2's b2.c, and a borderline pair. Before this, the lookup showed the
stored identity: an identity split because A1 no longer reads b2.c, or one an analyst
confirmed or rejected, was still shown as stored. SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from palermo.access.viewer import NotVisible
from palermo.analysis import review, service
from palermo.match import ledger_access
from palermo.match.xref import CONFIRM, REJECT
from palermo.store.store import Store
from tests.security.test_ledger_split_property import PROPS, forgotten, replay, steps


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sequence=steps, forget=forgotten, at=st.integers(min_value=0, max_value=6))
@example(sequence=[("unshare", "b2.c")], forget=[], at=0)
@example(sequence=[("judge", ("a1.m", "b2.m"), CONFIRM)], forget=[], at=0)
@example(sequence=[("judge", ("a1.b", "b2.d"), REJECT)], forget=[], at=0)
@example(
    sequence=[("unshare", "b2.c"), ("judge", ("a1.a", "a1.b"), CONFIRM)], forget=["b2.d"], at=1
)
@example(sequence=[], forget=["b2.c"], at=0)
def test_a_records_identity_alone_is_the_views_identity(
    store: Store, sequence: list[Any], forget: list[str], at: int
) -> None:
    for a1, step in replay(store, sequence, forget, at):
        view = review.identities(store, a1)
        analysed = service.identities(store, a1, service.visible(store, a1))
        assert {r: i for r, i in analysed.items() if r in PROPS} == view  # the two paths agree
        for record in sorted(PROPS):
            if store.entity(a1, record) is None or record not in view:
                with pytest.raises(NotVisible):
                    ledger_access.identity_of(store, a1, record)
                continue
            found = ledger_access.identity_of(store, a1, record)
            same = {r for r, i in view.items() if i == view[record]}
            assert found.id == view[record], (step, record)
            assert {m.id for m in found.records} == same, (step, record, found)
