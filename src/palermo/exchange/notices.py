"""Notices: colour-coded international notices issued by one agency to all or to a group.

A notice is an ordinary entity (schema ``Notice``), so it travels through exchange under
its sharing like any other record. Withdrawing retracts the ``active`` status and asserts
``withdrawn``; a notice past its ``endDate`` counts as expired.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from palermo.access.viewer import AccessDenied, Viewer
from palermo.ingest.build import write_entity
from palermo.model.sharing import Sharing
from palermo.model.statement import Statement
from palermo.store.store import Store
from palermo.store.views import Entity

NOTICE_TYPES = ("red", "yellow", "blue", "green", "purple", "orange", "black")
ACTIVE, WITHDRAWN, EXPIRED = "active", "withdrawn", "expired"


def issue_notice(
    store: Store,
    viewer: Viewer,
    notice_type: str,
    subject_id: str,
    reason: str,
    sharing: Sharing | None = None,
    expires: date | None = None,
    issuing_country: str | None = None,
) -> str:
    if notice_type not in NOTICE_TYPES:
        raise ValueError(f"notice_type: {notice_type!r} is not one of {', '.join(NOTICE_TYPES)}")
    props: dict[str, str] = {
        "noticeType": notice_type,
        "noticeStatus": ACTIVE,
        "subject": subject_id,
        "reason": reason,
        "startDate": datetime.now(UTC).date().isoformat(),
    }
    if expires:
        props["endDate"] = expires.isoformat()
    if issuing_country:
        props["issuingCountry"] = issuing_country
    return write_entity(store, viewer, "Notice", props, sharing or Sharing.to_all(), kind="notice")


def withdraw_notice(store: Store, viewer: Viewer, notice_id: str) -> None:
    notice = store.entity(viewer, notice_id)
    if notice is None or viewer.agency not in notice.agencies:
        raise AccessDenied(f"notice_id: {notice_id} is not a notice of {viewer.agency}")
    status = next(v for v in notice.properties["noticeStatus"] if v.agency == viewer.agency)
    old = Statement(
        notice.id,
        "Notice",
        "noticeStatus",
        ACTIVE,
        viewer.agency,
        status.source_record_id,
        _sharing(status.policy),
    )
    new = Statement(
        notice.id,
        "Notice",
        "noticeStatus",
        WITHDRAWN,
        viewer.agency,
        status.source_record_id,
        _sharing(status.policy),
    )
    store.write(viewer, [old.retraction(), new], action="notice.withdraw", target=notice_id)


def status_of(notice: Entity, today: date | None = None) -> str:
    statuses = set(notice.values("noticeStatus"))
    if WITHDRAWN in statuses or ACTIVE not in statuses:
        return WITHDRAWN
    end = notice.first("endDate")
    if end and end[:10] < (today or datetime.now(UTC).date()).isoformat():
        return EXPIRED
    return ACTIVE


def active_notices(
    store: Store, viewer: Viewer, types: tuple[str, ...] = NOTICE_TYPES, limit: int = 10_000
) -> list[Entity]:
    """Notices the viewer may see that are active today (what screening checks against)."""
    found = store.entities(viewer, schema="Notice", limit=limit)
    return [n for n in found if status_of(n) == ACTIVE and n.first("noticeType") in types]


def _sharing(policy: str) -> Sharing:
    return Sharing.from_canonical(policy)
