"""The kinds of signed node-to-node messages queued in ``hit_notice_outbox``, and queueing.

Kept apart from ``hit_notice_relay`` (which sends and receives them and needs the HTTP
and FastAPI layers) so that the code that queues inside its own transaction -- a hit,
an owner's reply, a purge, a deconfliction round's hits on the peer's selectors (ADR
0042) -- stays light to import (the CLI loads no web framework).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Connection

from palermo.store.tables import hit_notice_outbox

if TYPE_CHECKING:
    from palermo.store.store import Store

NOTICE = "hit-notices"  # a hit on a record of the receiving node's agency
REPLY = "hit-replies"  # the owner's reply to a relayed notice, back to the searcher's node
ERASURE = "erasures"  # a record the owner purged: the receiving peer purges its copy
DECONFLICTION = "deconfliction-hits"  # a PSI round here matched the receiving node's selectors
# kind -> (route path, the message's list field). An outbox row's JSON names its kind
# under MESSAGE_KEY; rows without it are hit notices (queued before the other kinds).
KINDS = {
    NOTICE: ("/exchange/v1/hit-notices", "notices"),
    REPLY: ("/exchange/v1/hit-replies", "replies"),
    ERASURE: ("/exchange/v1/erasures", "erasures"),
    DECONFLICTION: ("/exchange/v1/deconfliction-hits", "hits"),
}
MESSAGE_KEY = "message"
WAKE_KEY = "palermo_hit_relay"  # conn.info: something was queued; wake the relay on commit


def queue(conn: Connection, node_id: str, kind: str, item: dict[str, Any]) -> None:
    """Queue one item of ``kind`` for ``node_id`` in the caller's transaction, which wakes
    the relay on commit when it passes ``WAKE_KEY`` on (``hit_notices._wake_on_relay``)."""
    if kind not in KINDS:
        raise ValueError(f"kind: {kind!r} is not one of {', '.join(KINDS)}")
    payload = item if kind == NOTICE else {**item, MESSAGE_KEY: kind}
    conn.info[WAKE_KEY] = True
    conn.execute(
        hit_notice_outbox.insert().values(
            node_id=node_id,
            notice=json.dumps(payload, sort_keys=True),
            created_at=datetime.now(UTC),
            sent_at=None,
        )
    )


def wake_on_commit(store: Store, conn: Connection) -> None:
    """Something was queued in ``conn``'s transaction: wake the relay (and, through the
    change feed, the process that runs it) when it commits, so it goes out within the second."""
    if conn.info.pop(WAKE_KEY, None):
        conn.info.setdefault("palermo_after_commit", []).extend(store.write_listeners)
