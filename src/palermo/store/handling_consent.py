"""Consent records: a provider agency allowing a use its handling code otherwise forbids.

Europol's H1 says "not for use in court without the provider's consent"; the consent is
given outside palermo (a SIENA message, a letter) and recorded here by the receiving agency,
with a reference to where it is documented, for one target: a statement id or an entity id
(every value of it). The record is node-private and audited; the court export
(`store.marked_export`) reads it. Only consent for data the recorder's agency can see, from
an agency that actually provided a value of it, can be recorded: a consent for nothing is
a typo.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from palermo.access.viewer import Viewer
from palermo.model.sharing import Handling
from palermo.store.store import Store
from palermo.store.tables import handling_consent
from palermo.store.visibility import visible_statements

# use -> the handling code that forbids it without the provider's consent
RESTRICTED_USES: dict[str, Handling] = {"court": Handling.H1}


class ConsentError(ValueError):
    """A consent that cannot be recorded; the message names the field."""


@dataclass(frozen=True)
class Consent:
    provider: str
    target: str
    use: str
    granted_to: str
    reference: str
    username: str
    recorded_at: datetime

    def to_json(self) -> dict[str, str]:
        return {**asdict(self), "recorded_at": self.recorded_at.isoformat()}


def check_use(use: str) -> str:
    """``use`` itself if it is one consent can be given for, else a clear error."""
    if use not in RESTRICTED_USES:
        raise ConsentError(f"use: {use!r} is not one of {', '.join(sorted(RESTRICTED_USES))}")
    return use


def record_consent(
    store: Store, viewer: Viewer, provider: str, target: str, use: str, reference: str
) -> Consent:
    """Record that ``provider`` consented to ``use`` of ``target`` by the viewer's agency.

    Recording it again is a no-op that returns the first record (idempotent, like writes)."""
    viewer.require_data_role("record handling consent")
    check_use(use)
    provider, target, reference = provider.strip(), target.strip(), reference.strip()
    if not provider:
        raise ConsentError("provider: empty")
    if provider == viewer.agency:
        raise ConsentError(f"provider: {provider!r} is your own agency, which needs no consent")
    if not target:
        raise ConsentError("target: empty (a statement id or an entity id)")
    if not reference:
        raise ConsentError("reference: say where the consent is documented (message id, letter)")
    if not _provided(store, viewer, provider, target):
        raise ConsentError(
            f"target: {target!r} is no statement or entity of yours to see with a value "
            f"provided by {provider!r}"
        )
    with store.transaction() as conn:
        existing = _find(conn, provider, target, use, viewer.agency)
        if existing is not None:
            return existing
        consent = Consent(
            provider, target, use, viewer.agency, reference, viewer.username, datetime.now(UTC)
        )
        conn.execute(
            sa.insert(handling_consent).values(
                provider=provider,
                target=target,
                use=use,
                granted_to=viewer.agency,
                reference=reference,
                username=viewer.username,
                recorded_at=consent.recorded_at,
            )
        )
    store.audit_event(
        viewer, "handling.consent", target, {"provider": provider, "use": use, "ref": reference}
    )
    return consent


def consents(store: Store, agency: str, use: str) -> set[tuple[str, str]]:
    """(provider, target) pairs consented to ``use`` by ``agency``."""
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.select(handling_consent.c.provider, handling_consent.c.target).where(
                handling_consent.c.granted_to == agency, handling_consent.c.use == use
            )
        )
        return {(r.provider, r.target) for r in rows}


def consents_of(store: Store, viewer: Viewer) -> list[Consent]:
    """Every consent recorded for the viewer's agency, oldest first."""
    viewer.require_data_role("read handling consents")
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.select(handling_consent)
            .where(handling_consent.c.granted_to == viewer.agency)
            .order_by(handling_consent.c.id)
        )
        return [_consent(r._mapping) for r in rows]


def _provided(store: Store, viewer: Viewer, provider: str, target: str) -> bool:
    """Does the viewer see a current statement of ``provider`` with id or entity ``target``?"""
    visible = visible_statements(viewer).subquery()
    query = (
        sa.select(sa.literal(1))
        .select_from(visible)
        .where(
            visible.c.agency == provider,
            sa.or_(visible.c.id == target, visible.c.entity_id == target),
        )
        .limit(1)
    )
    with store.engine.connect() as conn:
        return conn.execute(query).first() is not None


def _find(conn: Connection, provider: str, target: str, use: str, agency: str) -> Consent | None:
    row = conn.execute(
        sa.select(handling_consent).where(
            handling_consent.c.provider == provider,
            handling_consent.c.target == target,
            handling_consent.c.use == use,
            handling_consent.c.granted_to == agency,
        )
    ).first()
    return _consent(row._mapping) if row is not None else None


def _consent(row: object) -> Consent:
    r = dict(row)  # type: ignore[call-overload]
    when = r["recorded_at"]
    return Consent(
        r["provider"],
        r["target"],
        r["use"],
        r["granted_to"],
        r["reference"],
        r["username"],
        when if when.tzinfo else when.replace(tzinfo=UTC),
    )
