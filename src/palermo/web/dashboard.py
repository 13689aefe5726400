"""The home dashboard: what needs the logged-in user's attention, on one page.

Each panel calls the function the API or the list pages use, as the user (new alerts,
deconfliction hits, open cases and tasks for the user or their agency, operations in
progress with their missing reports, MLA requests due, referrals awaiting an answer,
recent imports and rejected imports from the audit log). Search stays in the header.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from palermo.access.viewer import AccessDenied, Viewer
from palermo.api.auth import optional_viewer
from palermo.api.read_purpose import session_store
from palermo.coordination import cases as cases_mod
from palermo.coordination import deconfliction, mla, operations, retention
from palermo.exchange import alert_purpose
from palermo.exchange import alerts as alerts_mod
from palermo.store.store import Store
from palermo.store.tables import alert, audit_log
from palermo.store.views import Entity
from palermo.store.visibility import MASK
from palermo.web.csrf import csrf_protect
from palermo.web.profile import router as profile_router
from palermo.web.render import page
from palermo.web.review_page import router as review_router

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
router.include_router(profile_router)
router.include_router(review_router)

SHOWN = 10  # rows per panel
NEW_ALERTS = timedelta(days=7)
MLA_DUE = timedelta(days=14)  # open requests due within this (or overdue)
OPERATION_PAST = timedelta(days=7)  # operations whose action day is at most this far back
AUDIT_WINDOW = 50_000  # newest audit rows searched for imports (bounded on a busy node)
IMPORT_ACTIONS = ("import", "import.rejected")
CLOSED_TASKS = ("done", "closed", "cancelled")
AWAITING_REFERRAL = ("requested",)
LIST_LIMIT = 500


@dataclass
class Panel:
    """A dashboard panel: its rows (at most SHOWN) and how many there are in all."""

    rows: list[Any] = field(default_factory=list)
    total: int = 0
    held: list[Any] = field(default_factory=list)  # shown rows with values left out (H0)

    @classmethod
    def of(cls, rows: list[Any], held: list[Any] | None = None) -> Panel:
        shown = rows[:SHOWN]
        return cls(shown, len(rows), [h for h in held or [] if h.alert in shown])


@dataclass(frozen=True)
class OperationRow:
    operation: Entity
    action_time: str
    missing: tuple[str, ...]


@dataclass(frozen=True)
class ImportRow:
    when: str
    username: str
    file: str
    outcome: str  # "imported" or "rejected"
    detail: str


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> Response:
    viewer = optional_viewer(request)
    if viewer is None:
        return RedirectResponse("/login", status_code=303)
    store = session_store(request)  # every panel read for the session's purpose (ADR 0051)
    today = date.today()
    try:
        panels = gather(store, viewer, today)
    except AccessDenied:  # a user with no data role (an admin): the search page as before
        return page(request, "dashboard.html", panels=None, today=today.isoformat())
    shown = dict(panels=panels, today=today.isoformat(), held_rows=held_rows(panels))
    return page(request, "dashboard.html", **shown)


def held_rows(panels: dict[str, Panel]) -> list[Any]:
    """The records (and alerts, `alert_purpose.HeldAlert`) shown on the panels with values
    left out for the session's purpose."""
    out: list[Any] = []
    for panel in panels.values():
        out += panel.held
        for row in panel.rows:
            found = row.get("request") if isinstance(row, dict) else row
            found = getattr(found, "operation", found)
            if isinstance(found, Entity) and found.withheld:
                out.append(found)
    return out


def gather(store: Store, viewer: Viewer, today: date) -> dict[str, Panel]:
    return {
        "alerts": Panel.of(*new_alerts(store, viewer)),
        "hits": Panel.of(deconfliction.hits(store, viewer)),
        "cases": Panel.of(my_cases(store, viewer)),
        "tasks": Panel.of(my_tasks(store, viewer)),
        "operations": Panel.of(operations_in_progress(store, viewer, today)),
        "mla": Panel.of(mla_due(store, viewer, today)),
        "referrals": Panel.of(referrals_awaiting(store, viewer)),
        "imports": Panel.of(recent_imports(store, viewer)),
        "retention": Panel.of(retention.queued(store, viewer)),
    }


def new_alerts(
    store: Store, viewer: Viewer
) -> tuple[list[alerts_mod.Alert], list[alert_purpose.HeldAlert]]:
    """The user's alerts of the last week, newest first, with the summaries the store's
    purpose may show (`alert_purpose`: a quoted value stated for other purposes is
    withheld), and the alerts so cut; the read is audited like the API's (summaries carry
    values)."""
    since = datetime.now(UTC) - NEW_ALERTS
    query = (
        sa.select(alert)
        .where(alert.c.username == viewer.username, alert.c.created_at >= since)
        .order_by(alert.c.id.desc())
        .limit(LIST_LIMIT)
    )
    with store.engine.connect() as conn:
        found = [alerts_mod._alert(r._mapping) for r in conn.execute(query)]
    shown, held = alert_purpose.for_purpose(store, viewer, found, store.read_purpose)
    detail: dict[str, Any] = {
        "alerts": [a.id for a in found],
        "entities": sorted({a.entity_id for a in found}),
    }
    if store.read_purpose is not None:
        detail["purpose"] = store.read_purpose or None
        detail["withheld"] = [h.alert.id for h in held]
    store.audit_event(viewer, "alerts.read", "dashboard", detail)
    return shown, held


def my_cases(store: Store, viewer: Viewer) -> list[Entity]:
    """Open cases the user's agency leads or is on the team of."""
    out = []
    purpose = store.read_purpose  # the page's store is bound to the session's purpose
    for case in store.entities(
        viewer, schema="InvestigationCase", limit=LIST_LIMIT, purpose=purpose
    ):
        if case.first("caseStatus") in ("closed",):
            continue
        if viewer.agency in cases_mod.team_of(case) or viewer.agency in case.agencies:
            out.append(case)
    return sorted(out, key=lambda c: c.first("caseNumber") or c.id)


def my_tasks(store: Store, viewer: Viewer) -> list[Entity]:
    """Open case tasks assigned to the user (``user@AGENCY`` or the username) or the
    user's agency, soonest due first."""
    mine = {viewer.agency, viewer.username, f"{viewer.username}@{viewer.agency}"}
    out = [
        task
        for task in store.entities(
            viewer, schema="CaseTask", limit=LIST_LIMIT, purpose=store.read_purpose
        )
        if set(task.values("assignee")) & mine
        and (task.first("taskStatus") or "open") not in CLOSED_TASKS
    ]
    return sorted(out, key=lambda t: (t.first("dueDate") or "9999", t.id))


def operations_in_progress(store: Store, viewer: Viewer, today: date) -> list[OperationRow]:
    """Operations not concluded whose action day is ahead or at most a week back, with the
    participants that have not reported results yet."""
    cutoff = (today - OPERATION_PAST).isoformat()
    out = []
    purpose = store.read_purpose
    for op in store.entities(viewer, schema="JointOperation", limit=LIST_LIMIT, purpose=purpose):
        action = op.first("actionTime") or ""
        if op.first("operationStatus") == "concluded" or action[:10] < cutoff:
            continue
        try:
            board = operations.dashboard(store, viewer, op.id)
            missing = tuple(board.missing_reports)
        except (ValueError, KeyError):  # an operation recorded without a readable plan
            missing = ()
        out.append(OperationRow(op, action, missing))
    return sorted(out, key=lambda r: r.action_time)


def mla_due(store: Store, viewer: Viewer, today: date) -> list[dict[str, Any]]:
    """Open MLA requests due within two weeks or overdue, the most urgent first."""
    horizon = (today + MLA_DUE).isoformat()
    out = []
    purpose = store.read_purpose
    for request in store.entities(
        viewer, schema="LegalAssistanceRequest", limit=LIST_LIMIT, purpose=purpose
    ):
        deadline = (request.first("deadline") or "")[:10]
        if not deadline or deadline == MASK or mla.status_of(request) not in mla.OPEN:
            continue
        if deadline <= horizon:
            days = (date.fromisoformat(deadline) - today).days
            out.append({"request": request, "deadline": deadline, "days": days})
    return sorted(out, key=lambda r: r["deadline"])


def referrals_awaiting(store: Store, viewer: Viewer) -> list[Entity]:
    """Referrals still waiting for the provider's answer (status readable to the user:
    masked for roles without victim-support, so those see none)."""
    return [
        r
        for r in store.entities(
            viewer, schema="Referral", limit=LIST_LIMIT, purpose=store.read_purpose
        )
        if r.first("referralStatus") in AWAITING_REFERRAL
    ]


def recent_imports(store: Store, viewer: Viewer) -> list[ImportRow]:
    """The agency's imports and rejected imports, newest first, from the audit log (its
    newest AUDIT_WINDOW rows, so the page stays fast on a busy node)."""
    import json

    with store.engine.connect() as conn:
        newest = conn.execute(sa.select(sa.func.max(audit_log.c.seq))).scalar_one() or 0
        rows = conn.execute(
            sa.select(
                audit_log.c.ts,
                audit_log.c.username,
                audit_log.c.action,
                audit_log.c.target,
                audit_log.c.detail,
            )
            .where(
                audit_log.c.seq > newest - AUDIT_WINDOW,
                audit_log.c.agency == viewer.agency,
                audit_log.c.action.in_(IMPORT_ACTIONS),
            )
            .order_by(audit_log.c.seq.desc())
            .limit(SHOWN * 5)
        ).all()
    out = []
    for ts, username, action, target, detail in rows:
        try:
            facts = json.loads(detail)
        except ValueError:
            facts = {}
        if action == "import":
            entities, statements = facts.get("entities", "?"), facts.get("statements", "?")
            text = f"{entities} entities, {statements} statements"
        else:
            text = f"{facts.get('errors', '?')} bad rows: nothing imported"
        outcome = "imported" if action == "import" else "rejected"
        out.append(ImportRow(str(ts)[:19].replace("T", " "), username, target, outcome, text))
    return out
