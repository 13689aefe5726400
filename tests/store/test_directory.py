"""Agencies, users, roles and tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from palermo.access.viewer import AccessDenied, Role, Viewer
from palermo.store.directory import Agency, DirectoryError
from palermo.store.store import Store
from palermo.store.tables import api_token
from tests.store.factories import SYSTEM, setup_agencies


def test_tokens_are_stored_only_as_hashes(store: Store) -> None:
    setup_agencies(store, {"A1": ()})
    token = store.create_token(SYSTEM, "analyst-a1", "tests")
    with store.engine.connect() as conn:
        stored = conn.execute(sa.select(api_token.c.token_hash)).scalars().all()
    assert token not in stored and len(stored) == 1
    viewer = store.viewer_for_token(token)
    assert viewer is not None and viewer.agency == "A1" and Role.ANALYST in viewer.roles
    assert store.viewer_for_token(token + "x") is None


def test_expired_tokens_do_not_authenticate(store: Store) -> None:
    setup_agencies(store, {"A1": ()})
    past = datetime.now(UTC) - timedelta(minutes=1)
    with pytest.raises(DirectoryError, match="expires_at"):  # no token born expired
        store.create_token(SYSTEM, "analyst-a1", "old", expires_at=past)
    token = store.create_token(SYSTEM, "analyst-a1", "old", expires_at=past + timedelta(hours=1))
    with store.engine.begin() as conn:  # ... then its time passes
        conn.execute(sa.update(api_token).values(expires_at=past))
    assert store.viewer_for_token(token) is None


def test_passwords_log_in(store: Store) -> None:
    setup_agencies(store, {"A1": ()})
    store.add_user(SYSTEM, "olga", "A1", "officer", password="correct horse")
    assert store.login("olga", "correct horse") is not None
    assert store.login("olga", "wrong") is None
    assert store.login("nobody", "correct horse") is None


@pytest.mark.parametrize(
    ("agency", "field"),
    [
        (Agency("A 1", "x", "DE", "police"), "code"),
        (Agency("A1", "x", "DEU", "police"), "country"),
        (Agency("A1", "x", "DE", "army"), "kind"),
    ],
)
def test_bad_agencies_name_the_field(store: Store, agency: Agency, field: str) -> None:
    with pytest.raises(DirectoryError, match=f"^{field}:"):
        store.add_agency(SYSTEM, agency)


def test_unknown_role_is_named(store: Store) -> None:
    setup_agencies(store, {"A1": ()})
    with pytest.raises(DirectoryError, match="'spy'"):
        store.add_user(SYSTEM, "x", "A1", "analyst,spy")


def test_agency_admins_manage_only_their_own_agency(store: Store) -> None:
    setup_agencies(store, {"A1": (), "B2": ()})
    admin = Viewer("A1", "boss", frozenset({Role.ADMIN}))
    store.add_user(admin, "new-a1", "A1", "analyst")
    with pytest.raises(AccessDenied):
        store.add_user(admin, "new-b2", "B2", "analyst")
    with pytest.raises(AccessDenied):
        store.add_agency(admin, Agency("C3", "x", "FR", "police"))


def test_writing_for_another_agency_is_refused(store: Store) -> None:
    from palermo.model.sharing import Sharing
    from tests.store.factories import person

    viewers = setup_agencies(store, {"A1": (), "B2": ()})
    with pytest.raises(AccessDenied):
        store.write(viewers["A1"], person("B2", "p1", Sharing.to_all(), name="Forged"))
    assert store.count_statements() == 0
