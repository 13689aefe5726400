"""The PPRL federation key on this node: stored once, never published.

Keyed Bloom-filter encodings (`match.pprl`) only match between nodes that hold the same
federation secret; anyone else, an agency's analyst included, must never see it, or a
dictionary of names could be encoded and tested against a publication. It is a node secret
like the deconfliction secret: kept in its own node-private table (``pprl_federation_key``,
migration 0014), read only here, sealed with the passphrase in backups
(``store.backup.SECRET_TABLES``), never in a statement, an API answer or the audit log (the
audit row says which federation was keyed, and a short fingerprint to compare between
nodes out of band). Only the node (system) or an admin sets it, from a file the
federation's members exchanged out of band.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from palermo.access.viewer import Viewer
from palermo.match.pprl import FederationKey
from palermo.store import audit
from palermo.store.store import Store
from palermo.store.tables import pprl_federation_key

MAX_NAME = 128


def fingerprint(key: FederationKey) -> str:
    """A short digest to compare keys between members (reveals nothing of the secret)."""
    return hashlib.sha256(b"palermo-pprl-fingerprint\x1f" + key.secret).hexdigest()[:16]


def set_key(store: Store, actor: Viewer, federation: str, secret: bytes) -> str:
    """Store (or replace) the secret of ``federation``; returns its fingerprint."""
    actor.require_admin("set the PPRL federation key")
    name = federation.strip()
    if len(name) > MAX_NAME or any(ord(c) < 32 for c in name):
        raise ValueError(f"federation: 1 to {MAX_NAME} printable characters")
    key = FederationKey(name, secret)  # checks the name and the secret's length
    t = pprl_federation_key
    with store.transaction() as conn:
        conn.execute(t.delete().where(t.c.federation == name))
        conn.execute(
            t.insert().values(federation=name, secret=secret.hex(), created_at=datetime.now(UTC))
        )
        detail = {"federation": name, "fingerprint": fingerprint(key)}
        audit.append(conn, actor.agency, actor.username, "pprl.key", name, detail)
    return fingerprint(key)


def load(conn: Connection, federation: str | None = None) -> FederationKey | None:
    """The stored key of ``federation`` (or the only one stored), else None."""
    t = pprl_federation_key
    query = sa.select(t.c.federation, t.c.secret).order_by(t.c.federation)
    if federation is not None:
        query = query.where(t.c.federation == federation)
    rows = conn.execute(query.limit(2)).all()
    if len(rows) != 1:
        return None
    return FederationKey(str(rows[0].federation), bytes.fromhex(str(rows[0].secret)))


def key_of(store: Store, federation: str | None = None) -> FederationKey:
    """The stored key, or a ValueError naming what to do."""
    with store.engine.connect() as conn:
        found = load(conn, federation)
    if found is None:
        which = f" {federation!r}" if federation else ""
        raise ValueError(
            f"federation: no PPRL federation key{which} on this node "
            "(palermo pprl key set --federation NAME --secret-file FILE)"
        )
    return found
