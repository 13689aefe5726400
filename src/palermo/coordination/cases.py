"""Cases: opened by one agency, shared with a joint investigation team with roles.

A case is an ``InvestigationCase`` entity shared with the team's agencies; its tasks and
notes are entities pointing at it under the same sharing. Every change is a store write,
hence audited.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from palermo.access.viewer import AccessDenied, NotVisible, Viewer
from palermo.coordination.records import own_entity, set_value, sharing_of
from palermo.ingest.build import new_entity_id, write_entity
from palermo.model.sharing import Sharing
from palermo.model.statement import Statement
from palermo.store.store import Store
from palermo.store.views import Entity

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
    """Open a case; ``team`` maps partner agencies to roles and decides who sees it."""
    team = {viewer.agency: "lead", **(team or {})}
    for agency, role in team.items():
        if role not in ROLES:
            raise ValueError(f"team: role {role!r} of {agency} is not one of {', '.join(ROLES)}")
    sharing = Sharing(agencies=frozenset(a for a in team if a != viewer.agency))
    props: dict[str, str | list[str]] = {
        "caseNumber": case_number,
        "title": title,
        "exploitationForm": exploitation_form,
        "caseStatus": "open",
        "subjects": subjects or [],
        "team": [f"{a}:{r}" for a, r in sorted(team.items())],
    }
    if country:
        props["country"] = country
    return write_entity(store, viewer, "InvestigationCase", props, sharing, kind="case")


def add_to_team(store: Store, viewer: Viewer, case_id: str, agency: str, role: str) -> None:
    """Share the case (and its tasks and notes) with one more agency."""
    if role not in ROLES:
        raise ValueError(f"role: {role!r} is not one of {', '.join(ROLES)}")
    case = own_entity(store, viewer, case_id, "InvestigationCase")
    old = sharing_of(case, viewer.agency)
    wider = Sharing(agencies=old.agencies | {agency}, groups=old.groups, handling=old.handling)
    records = [case, *store.referencing(viewer, case_id)]
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
                        )
                    )
    stmts.append(
        Statement(case.id, case.schema, "team", f"{agency}:{role}", viewer.agency, case.id, wider)
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
    set_value(
        store, viewer, own_entity(store, viewer, case_id, "InvestigationCase"), "caseStatus", status
    )


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
