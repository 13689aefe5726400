"""The wire format: statements and signed batches as canonical JSON.

Canonical JSON (sorted keys, no spaces, UTF-8) is what is signed, so any implementation
that produces the same bytes interoperates. See docs/exchange.md.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from palermo.exchange.keys import NodeKey, verify
from palermo.model.sharing import Sharing
from palermo.model.statement import Statement

PROTOCOL = "palermo-exchange/1"


class WireError(ValueError):
    """A batch that does not parse; the message names the field."""


def canonical(data: Any) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def statement_to_wire(stmt: Statement, seq: int) -> dict[str, Any]:
    return {
        "seq": seq,
        "id": stmt.id,
        "entity_id": stmt.entity_id,
        "schema": stmt.schema,
        "prop": stmt.prop,
        "value": stmt.value,
        "agency": stmt.agency,
        "source_record_id": stmt.source_record_id,
        "sharing": stmt.sharing.canonical,
        "first_seen": stmt.first_seen.isoformat(),
        "last_seen": stmt.last_seen.isoformat() if stmt.last_seen else None,
        "retracted": stmt.retracted,
    }


def statement_from_wire(data: dict[str, Any]) -> Statement:
    try:
        stmt = Statement(
            entity_id=str(data["entity_id"]),
            schema=str(data["schema"]),
            prop=str(data["prop"]),
            value=str(data["value"]),
            agency=str(data["agency"]),
            source_record_id=str(data["source_record_id"]),
            sharing=Sharing.from_canonical(str(data["sharing"])),
            first_seen=datetime.fromisoformat(str(data["first_seen"])),
            last_seen=datetime.fromisoformat(data["last_seen"]) if data.get("last_seen") else None,
            retracted=bool(data["retracted"]),
        )
    except KeyError as exc:
        raise WireError(f"statements[].{exc.args[0]}: missing") from None
    except ValueError as exc:
        raise WireError(f"statements[]: {exc}") from None
    if stmt.id != data.get("id"):
        raise WireError(f"statements[].id: {data.get('id')!r} does not match the content")
    return stmt


@dataclass
class Batch:
    """Statements ``after`` < seq <= ``upto`` of the sender, for one receiver."""

    sender: str
    receiver: str
    after: int
    upto: int
    statements: list[dict[str, Any]] = field(default_factory=list)
    key: str = ""
    signature: str = ""

    def body(self) -> dict[str, Any]:
        return {
            "protocol": PROTOCOL,
            "sender": self.sender,
            "receiver": self.receiver,
            "after": self.after,
            "upto": self.upto,
            "statements": self.statements,
            "key": self.key,
        }

    def sign(self, node_key: NodeKey) -> Batch:
        self.key = node_key.public_key
        self.signature = node_key.sign(canonical(self.body()))
        return self

    def signature_valid(self) -> bool:
        return verify(self.key, canonical(self.body()), self.signature)

    def to_json(self) -> dict[str, Any]:
        return {**self.body(), "signature": self.signature}

    @classmethod
    def from_json(cls, data: Any) -> Batch:
        if not isinstance(data, dict):
            raise WireError("(body): a batch is a JSON object")
        if data.get("protocol") != PROTOCOL:
            raise WireError(f"protocol: expected {PROTOCOL!r}")
        try:
            batch = cls(
                str(data["sender"]),
                str(data["receiver"]),
                int(data["after"]),
                int(data["upto"]),
                list(data["statements"]),
                str(data["key"]),
                str(data["signature"]),
            )
        except KeyError as exc:
            raise WireError(f"{exc.args[0]}: missing") from None
        except (TypeError, ValueError) as exc:
            raise WireError(f"(body): {exc}") from None
        if batch.upto < batch.after:
            raise WireError("upto: smaller than after")
        return batch
