"""Notices: colour-coded international notices issued by one agency to all or to a group.

A notice is an ordinary entity (schema ``Notice``), so it travels through exchange under
its sharing like any other record. Withdrawing retracts the current status and asserts
``withdrawn``; a notice past its ``endDate`` counts as expired.

A notice changes every member's screening flags, so issuing one is an officer's act
(officer or supervisor role) about a subject the issuer can see. Red (wanted) and yellow
(missing / possible victim) notices issued by an officer are ``requested`` until a
supervisor of the issuing agency (not the requester) approves them; only ``active``
notices flag screenings. A supervisor's own red or yellow notice is active at once.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from palermo.access.viewer import AccessDenied, NotVisible, Role, Viewer
from palermo.ingest.build import write_entity
from palermo.model.sharing import Sharing
from palermo.model.statement import Statement
from palermo.store.store import Store
from palermo.store.views import Entity

NOTICE_TYPES = ("red", "yellow", "blue", "green", "purple", "orange", "black")
ACTIVE, WITHDRAWN, EXPIRED, REQUESTED = "active", "withdrawn", "expired", "requested"
REVIEWED_TYPES = ("red", "yellow")  # need a supervisor's approval before they take effect
ISSUE_ROLES = frozenset({Role.OFFICER, Role.SUPERVISOR})


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
    """Issue a notice; red and yellow ones wait for a supervisor unless one issues them."""
    if notice_type not in NOTICE_TYPES:
        raise ValueError(f"notice_type: {notice_type!r} is not one of {', '.join(NOTICE_TYPES)}")
    _require(viewer, ISSUE_ROLES, "issue a notice", "officer or supervisor")
    if store.entity(viewer, subject_id) is None:
        raise NotVisible(f"subject_id: no visible entity {subject_id!r}")
    reviewed = notice_type in REVIEWED_TYPES and Role.SUPERVISOR not in viewer.roles
    props: dict[str, str] = {
        "noticeType": notice_type,
        "noticeStatus": REQUESTED if reviewed else ACTIVE,
        "subject": subject_id,
        "reason": reason,
        "startDate": datetime.now(UTC).date().isoformat(),
    }
    if expires:
        props["endDate"] = expires.isoformat()
    if issuing_country:
        props["issuingCountry"] = issuing_country
    return write_entity(store, viewer, "Notice", props, sharing or Sharing.to_all(), kind="notice")


def approve_notice(store: Store, viewer: Viewer, notice_id: str) -> None:
    """A supervisor of the issuing agency makes a requested notice active. Four eyes hold
    by construction: only officers without the supervisor role create requested notices."""
    _require(viewer, frozenset({Role.SUPERVISOR}), "approve a notice", "supervisor")
    notice = _own_notice(store, viewer, notice_id)
    if status_of(notice) != REQUESTED:
        raise ValueError(f"notice_id: {notice_id} is {status_of(notice)}, not requested")
    _set_status(store, viewer, notice, ACTIVE, "notice.approve")


def withdraw_notice(store: Store, viewer: Viewer, notice_id: str) -> None:
    """Withdraw one of the agency's notices (requested or active)."""
    _require(viewer, ISSUE_ROLES, "withdraw a notice", "officer or supervisor")
    notice = _own_notice(store, viewer, notice_id)
    _set_status(store, viewer, notice, WITHDRAWN, "notice.withdraw")


def _require(viewer: Viewer, roles: frozenset[Role], action: str, names: str) -> None:
    if viewer.is_system or not viewer.roles & roles:
        raise AccessDenied(f"{viewer.username}@{viewer.agency} may not {action}: needs {names}")


def _own_notice(store: Store, viewer: Viewer, notice_id: str) -> Entity:
    """The notice if the viewer's agency issued it: 404 if not a visible notice, 403 if
    another agency's (the issuer is the agency that stated its type)."""
    notice = store.entity(viewer, notice_id)
    if notice is None or notice.schema != "Notice":
        raise NotVisible(f"notice_id: no visible notice {notice_id!r}")
    issuers = {v.agency for v in notice.properties.get("noticeType", [])}
    if viewer.agency not in issuers:
        raise AccessDenied(f"notice_id: {notice_id} is not a notice of {viewer.agency}")
    return notice


def _set_status(store: Store, viewer: Viewer, notice: Entity, status: str, action: str) -> None:
    """Retract the agency's current status values and assert the new one, same sharing."""
    own = [v for v in notice.properties.get("noticeStatus", []) if v.agency == viewer.agency]
    policy = own[0].policy if own else _policy_of(notice, viewer.agency)
    source = own[0].source_record_id if own else notice.id
    stmts = [
        Statement(
            notice.id,
            "Notice",
            "noticeStatus",
            v.value,
            viewer.agency,
            v.source_record_id,
            _sharing(v.policy),
        ).retraction()
        for v in own
    ]
    stmts.append(
        Statement(
            notice.id, "Notice", "noticeStatus", status, viewer.agency, source, _sharing(policy)
        )
    )
    store.write(viewer, stmts, action=action, target=notice.id)


def _policy_of(notice: Entity, agency: str) -> str:
    for value in notice.properties.get("noticeType", []):
        if value.agency == agency:
            return value.policy
    return Sharing.owner_only().canonical


def status_of(notice: Entity, today: date | None = None) -> str:
    """The issuer's status (statuses stated by any other agency do not count)."""
    issuers = {v.agency for v in notice.properties.get("noticeType", [])}
    statuses = {v.value for v in notice.properties.get("noticeStatus", []) if v.agency in issuers}
    if WITHDRAWN in statuses:
        return WITHDRAWN
    if ACTIVE not in statuses:
        return REQUESTED if REQUESTED in statuses else WITHDRAWN
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
