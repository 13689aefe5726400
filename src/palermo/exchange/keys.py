"""Node keys: Ed25519 via libsodium (PyNaCl). The private key never leaves its file."""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from pathlib import Path

from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@dataclass(frozen=True)
class NodeKey:
    signing_key: SigningKey

    @classmethod
    def generate(cls) -> NodeKey:
        return cls(SigningKey.generate())

    @classmethod
    def load(cls, path: Path) -> NodeKey:
        return cls(SigningKey(base64.b64decode(path.read_text().strip())))

    def save(self, path: Path) -> None:
        """Write the seed readable by the owner only."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(b64(bytes(self.signing_key)) + "\n")

    @property
    def public_key(self) -> str:
        return b64(bytes(self.signing_key.verify_key))

    def sign(self, message: bytes) -> str:
        return b64(self.signing_key.sign(message).signature)


def verify(public_key: str, message: bytes, signature: str) -> bool:
    try:
        VerifyKey(base64.b64decode(public_key)).verify(message, base64.b64decode(signature))
    except (BadSignatureError, ValueError, TypeError):
        return False
    return True
