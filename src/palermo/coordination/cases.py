"""Cases: opened by one agency, shared with a joint investigation team with roles.

A case is an ``InvestigationCase`` entity shared with the team's agencies; its tasks and
notes are entities pointing at it under the same sharing. Every change is a store write,
hence audited.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import sqlalchemy as sa

from palermo.access.viewer import AccessDenied, NotVisible, Viewer
from palermo.coordination.records import set_value, sharing_of
from palermo.ingest.build import new_entity_id, write_entity
from palermo.model.sharing import Sharing
from palermo.model.statement import Statement, change_time
from palermo.model.vocab import check_exploitation_form
from palermo.store.store import Store
from palermo.store.tables import statement
from palermo.store.views import Entity
from palermo.store.visibility import is_current

ROLES = ("lead", "member", "observer")
STATUSES = ("open", "suspended", "closed")


@dataclass
class CaseFile:
    case: Entity
    tasks: list[Entity] = field(default_factory=list)
    notes: list[Entity] = field(default_factory=list)

    @property
    def team(self) -> dict[str, str]:
        return dict(v.split(":", 1) for v in self.case.values("team") if ":" in v)


def open_case(
    store: Store,
    viewer: Viewer,
    case_number: str,
    title: str,
    exploitation_form: str,
    subjects: list[str] | None = None,
    team: dict[str, str] | None = None,
    country: str | None = None,
) -> str:
    """Open a case; ``team`` maps partner agencies to roles and decides who sees it.

    Refused: an unknown role, team agency or form of exploitation (a typo would silently
    share with no one or split statistics), a case number the agency already uses, and a
    subject the opener cannot see (a case must not point at nothing)."""
    viewer.require_data_role("open cases")
    team = {viewer.agency: "lead", **(team or {})}
    for agency, role in team.items():
        if role not in ROLES:
            raise ValueError(f"team: role {role!r} of {agency} is not one of {', '.join(ROLES)}")
    _check_agencies(store, "team", [a for a in team if a != viewer.agency])
    form = check_exploitation_form(exploitation_form)
    if not case_number.strip():
        raise ValueError("case_number: empty")
    if case_number_taken(store, viewer.agency, case_number.strip()):
        raise ValueError(f"case_number: {viewer.agency} already has a case {case_number!r}")
    for subject in subjects or []:
        if store.entity(viewer, subject) is None:
            raise NotVisible(f"subjects: no visible entity {subject!r}")
    sharing = Sharing(agencies=frozenset(a for a in team if a != viewer.agency))
    props: dict[str, str | list[str]] = {
        "caseNumber": case_number.strip(),
        "title": title,
        "exploitationForm": form,
        "caseStatus": "open",
        "subjects": subjects or [],
        "team": [f"{a}:{r}" for a, r in sorted(team.items())],
    }
    if country:
        props["country"] = country
    return write_entity(store, viewer, "InvestigationCase", props, sharing, kind="case")


def case_number_taken(store: Store, agency: str, case_number: str) -> bool:
    """Whether the agency already has a current case with this number (its own rows only)."""
    query = (
        sa.select(sa.func.count())
        .select_from(statement)
        .where(
            statement.c.agency == agency,
            statement.c.schema == "InvestigationCase",
            statement.c.prop == "caseNumber",
            statement.c.value == case_number,
            is_current(),
        )
    )
    with store.engine.connect() as conn:
        return int(conn.execute(query).scalar_one()) > 0


def _check_agencies(store: Store, field: str, agencies: list[str]) -> None:
    known = {a.code for a in store.agencies()}
    for agency in agencies:
        if agency not in known:
            raise ValueError(f"{field}: unknown agency {agency!r}")


def lead_case(store: Store, viewer: Viewer, case_id: str, action: str) -> Entity:
    """The case if the viewer's agency leads it (owns its case number): 404 if the viewer
    sees no such case, 403 for anyone else (members and observers do not run the case)."""
    case = store.entity(viewer, case_id)
    if case is None or case.schema != "InvestigationCase":
        raise NotVisible(f"case_id: no visible case {case_id!r}")
    lead = next((v.agency for v in case.properties.get("caseNumber", [])), "")
    if viewer.agency != lead:
        raise AccessDenied(f"case_id: only the lead agency {lead} may {action} {case_id}")
    viewer.require_data_role(action)
    return case


def team_of(case: Entity) -> dict[str, str]:
    """The team as the lead agency states it (agency -> role)."""
    lead = next((v.agency for v in case.properties.get("caseNumber", [])), "")
    return dict(
        v.value.split(":", 1)
        for v in case.properties.get("team", [])
        if v.agency == lead and ":" in v.value
    )


def close_case(store: Store, viewer: Viewer, case_id: str) -> None:
    """Close a case (lead agency only); its records stay readable to the team."""
    _change_status(store, viewer, case_id, "closed")


def reopen_case(store: Store, viewer: Viewer, case_id: str) -> None:
    """Reopen a closed or suspended case (lead agency only)."""
    _change_status(store, viewer, case_id, "open")


def _change_status(store: Store, viewer: Viewer, case_id: str, status: str) -> None:
    case = lead_case(store, viewer, case_id, "set the status of")
    if case.first("caseStatus") == status:
        raise ValueError(f"status: {case_id} is already {status}")
    set_value(store, viewer, case, "caseStatus", status)


def remove_from_team(store: Store, viewer: Viewer, case_id: str, agency: str) -> None:
    """Take an agency off the team: the lead's case, tasks and notes are re-shared without
    it (retraction + the same values under the narrower sharing, synced as such)."""
    case = lead_case(store, viewer, case_id, "change the team of")
    team = team_of(case)
    if agency == viewer.agency:
        raise ValueError(f"agency: {agency} leads {case_id} and cannot leave its team")
    if agency not in team:
        raise ValueError(f"agency: {agency} is not on the team of {case_id}")
    retractions: list[Statement] = []
    kept: dict[str, Statement] = {}  # by id: a value held under two sharings is kept once
    when = change_time()
    for record in [case.id, *(e.id for e in store.referencing(viewer, case_id))]:
        for s in store.own_current(viewer, record, None):
            retractions.append(s.retraction(when))
            if not (s.prop == "team" and s.value == f"{agency}:{team[agency]}"):
                narrower = replace(s.sharing, agencies=s.sharing.agencies - {agency})
                new = replace(s, sharing=narrower, first_seen=when, last_seen=None)
                kept.setdefault(new.id, new)
    # every retraction before every new statement: a retraction retracts its whole key
    stmts = [*retractions, *kept.values()]
    store.write(viewer, stmts, action="case.unshare", target=case_id)


def set_role(store: Store, viewer: Viewer, case_id: str, agency: str, role: str) -> None:
    """Change a team member's role (lead agency only)."""
    if role not in ROLES or role == "lead":
        raise ValueError(f"role: {role!r} is not one of member, observer")
    case = lead_case(store, viewer, case_id, "change the team of")
    team = team_of(case)
    if agency == viewer.agency:
        raise ValueError(f"agency: {agency} leads {case_id}; its role cannot change")
    if agency not in team:
        raise ValueError(f"agency: {agency} is not on the team of {case_id}")
    if team[agency] == role:
        return
    entry = f"{agency}:{team[agency]}"
    policies = [
        v.policy for v in case.properties["team"] if v.agency == viewer.agency and v.value == entry
    ]
    sharing = Sharing.from_canonical(policies[-1])  # the entry's latest (widest) sharing
    old = Statement(
        case.id, case.schema, "team", f"{agency}:{team[agency]}", viewer.agency, case.id, sharing
    )
    when = change_time()
    new = Statement(
        case.id, case.schema, "team", f"{agency}:{role}", viewer.agency, case.id, sharing, when
    )
    store.write(viewer, [old.retraction(when), new], action="case.role", target=case_id)


def add_to_team(store: Store, viewer: Viewer, case_id: str, agency: str, role: str) -> None:
    """Share the case (and its tasks and notes) with one more agency."""
    if role not in ROLES or role == "lead":
        raise ValueError(f"role: {role!r} is not one of member, observer")
    case = lead_case(store, viewer, case_id, "change the team of")
    _check_agencies(store, "agency", [agency])
    if agency in team_of(case):
        raise ValueError(f"agency: {agency} is already on the team of {case_id} (change its role)")
    old = sharing_of(case, viewer.agency)
    wider = replace(old, agencies=old.agencies | {agency})  # keeps every marking
    records = [case, *store.referencing(viewer, case_id)]
    when = change_time()  # re-adding a removed agency must not reuse the old ids
    stmts = []
    for entity in records:
        for prop, values in entity.properties.items():
            for v in values:
                if v.agency == viewer.agency:
                    stmts.append(
                        Statement(
                            entity.id,
                            entity.schema,
                            prop,
                            v.value,
                            v.agency,
                            v.source_record_id,
                            wider,
                            when,
                        )
                    )
    entry = f"{agency}:{role}"
    stmts.append(
        Statement(case.id, case.schema, "team", entry, viewer.agency, case.id, wider, when)
    )
    store.write(viewer, stmts, action="case.share", target=case_id)


def add_task(
    store: Store,
    viewer: Viewer,
    case_id: str,
    title: str,
    assignee: str = "",
    due: str | None = None,
) -> str:
    case = writable_case(store, viewer, case_id)
    props = {
        "case": case_id,
        "title": title,
        "assignee": assignee,
        "taskStatus": "open",
        "dueDate": due or "",
    }
    return write_entity(store, viewer, "CaseTask", props, _team_sharing(case, viewer), kind="task")


def add_note(store: Store, viewer: Viewer, case_id: str, text: str) -> str:
    case = writable_case(store, viewer, case_id)
    props = {"case": case_id, "author": f"{viewer.username}@{viewer.agency}", "bodyText": text}
    return write_entity(store, viewer, "CaseNote", props, _team_sharing(case, viewer), kind="note")


def set_status(store: Store, viewer: Viewer, case_id: str, status: str) -> None:
    if status not in STATUSES:
        raise ValueError(f"status: {status!r} is not one of {', '.join(STATUSES)}")
    _change_status(store, viewer, case_id, status)


def case_file(store: Store, viewer: Viewer, case_id: str) -> CaseFile | None:
    case = store.entity(viewer, case_id)
    if case is None:
        return None
    linked = store.referencing(viewer, case_id)
    return CaseFile(
        case,
        [e for e in linked if e.schema == "CaseTask"],
        [e for e in linked if e.schema == "CaseNote"],
    )


def writable_case(store: Store, viewer: Viewer, case_id: str) -> Entity:
    """The case if the viewer's agency may add to it: 404 unless it is a visible case;
    403 unless the agency leads it or is a team member (observers only read). The team is
    read from the lead agency's statements, so nobody can write themselves onto it."""
    case = store.entity(viewer, case_id)
    if case is None or case.schema != "InvestigationCase":
        raise NotVisible(f"case_id: no visible case {case_id!r}")
    lead = next((v.agency for v in case.properties.get("caseNumber", [])), "")
    team = dict(
        v.value.split(":", 1)
        for v in case.properties.get("team", [])
        if v.agency == lead and ":" in v.value
    )
    if viewer.agency != lead and team.get(viewer.agency) not in ("lead", "member"):
        raise AccessDenied(
            f"case_id: {viewer.agency} is {team.get(viewer.agency, 'not on the team')} "
            f"of {case_id}; only the lead and members add tasks and notes"
        )
    return case


def _team_sharing(case: Entity, viewer: Viewer) -> Sharing:
    """Records added to a case reach the whole team (every agency named in it)."""
    team = {v.split(":", 1)[0] for v in case.values("team")}
    return Sharing(agencies=frozenset(team - {viewer.agency}))


def new_case_number(viewer: Viewer) -> str:
    return new_entity_id(viewer.agency, "case").split(".", 1)[1].upper()
