"""A proof that a deconfliction hit a peer node reports is real (ADR 0042).

Every PSI answer hands the asking node the answering node's blinded selectors
``s = b·H(x)`` (``coordination.psi``), so a peer could name any of them in a hit notice
without holding ``x``. A notice therefore carries the asking node's own blinded value
``a = k·H(y)`` (one it offered), the double-blinded ``d = k·s`` and a Schnorr proof
(Fiat-Shamir) that the sender knows ``k`` with ``d = k·s``. The receiver checks ``b·a = d``
with its own secret: then ``a = k·H(x)``, i.e. the sender holds ``H(x)`` for the receiver's
``x``, which it can only have from the identifier itself. The proof reveals nothing about
``k``; ``a`` and ``d`` are values the receiver saw in the round or can compute itself.
"""

from __future__ import annotations

import hashlib

from nacl import bindings as sodium

from palermo.coordination import psi

DOMAIN = b"palermo-deconfliction-hit-proof-v1"


def _scalar(data: bytes) -> bytes:
    return bytes(sodium.crypto_core_ed25519_scalar_reduce(data))


def _challenge(base: bytes, public: bytes, commitment: bytes, context: bytes) -> bytes:
    digest = hashlib.sha512(DOMAIN + base + public + commitment + context).digest()
    return _scalar(digest)


def prove(secret: bytes, base: bytes, context: bytes) -> tuple[bytes, bytes, bytes]:
    """``(d, R, z)``: ``d = k·base`` and a proof of knowledge of ``k``, bound to ``context``
    (sender, receiver and the values the notice names), so it proves nothing elsewhere."""
    key = psi.check_secret(secret)
    point = psi.check_point(base)
    public = bytes(sodium.crypto_scalarmult_ed25519_noclamp(key, point))
    nonce = psi.new_secret()
    commitment = bytes(sodium.crypto_scalarmult_ed25519_noclamp(nonce, point))
    c = _challenge(point, public, commitment, context)
    z = bytes(
        sodium.crypto_core_ed25519_scalar_add(nonce, sodium.crypto_core_ed25519_scalar_mul(c, key))
    )
    return public, commitment, z


def verify(base: bytes, public: bytes, commitment: bytes, z: bytes, context: bytes) -> bool:
    """Whether ``(public, commitment, z)`` proves knowledge of ``k`` with ``public = k·base``."""
    try:
        for point in (base, public, commitment):
            psi.check_point(point)
        if len(z) != psi.SCALAR_BYTES or _scalar(z + bytes(32)) != z or not any(z):
            return False
        c = _challenge(base, public, commitment, context)
        left = sodium.crypto_scalarmult_ed25519_noclamp(z, base)
        right = sodium.crypto_core_ed25519_add(
            commitment, sodium.crypto_scalarmult_ed25519_noclamp(c, public)
        )
    except (ValueError, TypeError, RuntimeError):  # a zero challenge or a malformed value
        return False
    return bytes(left) == bytes(right)
