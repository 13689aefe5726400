"""Diffie-Hellman private set intersection on the prime-order group of edwards25519.

Each party holds a secret scalar. An identifier ``m`` is hashed to a group element
``H(m)`` and *blinded* to ``k·H(m)``. Blinded values are useless without ``k``: matching a
guess against them needs ``k·H(guess)``, i.e. the secret holder, who rate-limits and audits
(this is the DH-OPRF: the node evaluates it, nobody else can). Across two parties A and B,
A sends ``a·H(x)``; B *reblinds* to ``b·a·H(x)`` and sends its own ``b·H(y)``; A reblinds
those to ``a·b·H(y)``. Scalar multiplication commutes, so ``x = y`` exactly when the
double-blinded values are equal: A learns which of its own values B also holds, and neither
party can test a guess without the other's secret.

PyNaCl 1.6 exposes no ristretto255 bindings, so this uses edwards25519 directly:
``crypto_core_ed25519_from_uniform`` (Elligator 2, cofactor cleared: the point is in the
prime-order subgroup), ``crypto_scalarmult_ed25519_noclamp`` (rejects small-order inputs and
the identity) and ``crypto_core_ed25519_is_valid_point`` to check every received point.
Secrets are scalars modulo the group order L, drawn from 64 random bytes and reduced.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Sequence

from nacl import bindings as sodium

DOMAIN = b"palermo-deconfliction-v1"
POINT_BYTES = sodium.crypto_core_ed25519_BYTES
SCALAR_BYTES = sodium.crypto_core_ed25519_SCALARBYTES


class InvalidPoint(ValueError):
    """A value received from a peer is not a point of the prime-order group."""


def new_secret() -> bytes:
    """A fresh non-zero secret scalar (uniform modulo L)."""
    while True:
        scalar = sodium.crypto_core_ed25519_scalar_reduce(os.urandom(64))
        if any(scalar):
            return bytes(scalar)


def check_secret(secret: bytes) -> bytes:
    """The secret, if it is a canonical non-zero scalar."""
    if len(secret) != SCALAR_BYTES or not any(secret):
        raise ValueError("secret: not a non-zero 32-byte scalar")
    padded = secret + bytes(64 - SCALAR_BYTES)
    if sodium.crypto_core_ed25519_scalar_reduce(padded) != secret:
        raise ValueError("secret: not reduced modulo the group order")
    return secret


def hash_to_group(message: bytes) -> bytes:
    """H(message): a point of the prime-order subgroup (domain-separated Elligator 2)."""
    uniform = hashlib.sha512(DOMAIN + b"\x00" + message).digest()[:POINT_BYTES]
    return bytes(sodium.crypto_core_ed25519_from_uniform(uniform))


def check_point(point: bytes) -> bytes:
    """The point, if it is a valid element of the prime-order subgroup (not the identity)."""
    if len(point) != POINT_BYTES or not sodium.crypto_core_ed25519_is_valid_point(point):
        raise InvalidPoint("point: not an element of the prime-order group")
    return point


def _mul(secret: bytes, point: bytes) -> bytes:
    return bytes(sodium.crypto_scalarmult_ed25519_noclamp(secret, point))


def blind(secret: bytes, messages: Iterable[bytes]) -> list[bytes]:
    """k·H(m) for each message: the single-blinded values (a node's own selectors)."""
    key = check_secret(secret)
    return [_mul(key, hash_to_group(m)) for m in messages]


def reblind(secret: bytes, points: Iterable[bytes]) -> list[bytes]:
    """k·P for each point received from the other party, in the same order.

    Every point is checked first, so a peer cannot send small-order points or the identity
    to learn bits of the secret."""
    key = check_secret(secret)
    return [_mul(key, check_point(p)) for p in points]


def intersect(mine: Sequence[bytes], theirs: Iterable[bytes]) -> list[int]:
    """Positions in ``mine`` (double-blinded own values) that also occur in ``theirs``."""
    found = set(theirs)
    return [i for i, p in enumerate(mine) if p in found]
