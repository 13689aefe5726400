"""This node's identity and the registry of member nodes, their keys and endpoints.

An administrator manages the registry: peers are added with their public key, keys are
rotated (the old key retires) or revoked; a batch signed with any key that is not active
and unexpired is rejected.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from palermo.exchange.keys import NodeKey
from palermo.store.tables import node_self, peer, peer_key

ACTIVE, RETIRED, REVOKED = "active", "retired", "revoked"


class RegistryError(ValueError):
    """A registry change that cannot be made; the message names the field."""


@dataclass(frozen=True)
class NodeIdentity:
    node_id: str
    agency: str
    public_key: str
    key_file: str

    def key(self) -> NodeKey:
        return NodeKey.load(Path(self.key_file))


@dataclass(frozen=True)
class Peer:
    node_id: str
    agency: str
    endpoint: str


def init_node(conn: Connection, node_id: str, agency: str, key_file: Path) -> NodeIdentity:
    """Create (or load) this node's key and record its identity."""
    key = NodeKey.load(key_file) if key_file.exists() else NodeKey.generate()
    if not key_file.exists():
        key.save(key_file)
    conn.execute(sa.delete(node_self))
    ident = NodeIdentity(node_id, agency, key.public_key, str(key_file.resolve()))
    conn.execute(
        sa.insert(node_self).values(
            id=1,
            node_id=node_id,
            agency_code=agency,
            public_key=key.public_key,
            key_file=ident.key_file,
        )
    )
    return ident


def identity(conn: Connection) -> NodeIdentity | None:
    row = conn.execute(sa.select(node_self)).first()
    if row is None:
        return None
    return NodeIdentity(row.node_id, row.agency_code, row.public_key, row.key_file)


def rotate_own_key(conn: Connection) -> NodeIdentity:
    """A new key for this node; peers must be told the new public key (add-key)."""
    ident = identity(conn)
    if ident is None:
        raise RegistryError("node: run `palermo node init` first")
    key = NodeKey.generate()
    key.save(Path(ident.key_file))
    conn.execute(sa.update(node_self).values(public_key=key.public_key))
    return NodeIdentity(ident.node_id, ident.agency, key.public_key, ident.key_file)


def add_peer(conn: Connection, node_id: str, agency: str, endpoint: str, public_key: str) -> Peer:
    if not node_id:
        raise RegistryError("node_id: missing")
    if not endpoint.startswith(("http://", "https://")):
        raise RegistryError(f"endpoint: {endpoint!r} is not an http(s) URL")
    if conn.execute(sa.select(peer.c.node_id).where(peer.c.node_id == node_id)).first():
        raise RegistryError(f"node_id: peer {node_id} already registered")
    conn.execute(
        sa.insert(peer).values(
            node_id=node_id, agency_code=agency, endpoint=endpoint.rstrip("/"), added_at=_now()
        )
    )
    add_key(conn, node_id, public_key)
    return Peer(node_id, agency, endpoint.rstrip("/"))


def add_key(
    conn: Connection, node_id: str, public_key: str, expires_at: datetime | None = None
) -> None:
    """Register a peer's new key; its previous active keys retire (rotation)."""
    if len(public_key) != 44:
        raise RegistryError("public_key: expected a base64 Ed25519 public key (44 characters)")
    conn.execute(
        sa.update(peer_key)
        .where(peer_key.c.node_id == node_id, peer_key.c.status == ACTIVE)
        .values(status=RETIRED)
    )
    conn.execute(
        sa.insert(peer_key).values(
            public_key=public_key,
            node_id=node_id,
            status=ACTIVE,
            added_at=_now(),
            expires_at=expires_at,
        )
    )


def revoke_key(conn: Connection, public_key: str) -> None:
    done = conn.execute(
        sa.update(peer_key).where(peer_key.c.public_key == public_key).values(status=REVOKED)
    )
    if done.rowcount == 0:
        raise RegistryError("public_key: no such key registered")


def peers(conn: Connection) -> list[Peer]:
    rows = conn.execute(sa.select(peer).order_by(peer.c.node_id))
    return [Peer(r.node_id, r.agency_code, r.endpoint) for r in rows]


def get_peer(conn: Connection, node_id: str) -> Peer | None:
    row = conn.execute(sa.select(peer).where(peer.c.node_id == node_id)).first()
    return Peer(row.node_id, row.agency_code, row.endpoint) if row else None


def key_problem(conn: Connection, node_id: str, public_key: str) -> str | None:
    """Why this key may not sign for this node now, or None when it may."""
    row = conn.execute(
        sa.select(peer_key).where(
            peer_key.c.public_key == public_key, peer_key.c.node_id == node_id
        )
    ).first()
    if row is None:
        return "key: not registered for this node"
    if row.status != ACTIVE:
        return f"key: {row.status}"
    expires = row.expires_at
    if expires is not None:
        expires = expires if expires.tzinfo else expires.replace(tzinfo=UTC)
        if expires <= _now():
            return "key: expired"
    return None


def _now() -> datetime:
    return datetime.now(UTC)
