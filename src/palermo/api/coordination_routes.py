"""API for cases, deconfliction, joint operations, legal assistance, victims and laws."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, Field

from palermo.access.viewer import Viewer
from palermo.api.auth import current_viewer, store_of
from palermo.api.court_routes import HistoryOut, history_out
from palermo.api.read_purpose import DeclaredPurpose
from palermo.api.routes import page_of
from palermo.api.schemas import ID, LINE, MAX_INT, MAX_ITEMS, SHORT, TEXT, EntityOut, Page
from palermo.coordination import (
    cases,
    deconfliction,
    legal,
    mla,
    operation_changes,
    operations,
    victims,
)
from palermo.coordination.case_court import CourtRow, case_court_outcomes
from palermo.coordination.court import OFFENCE_CODES, VERDICTS

router = APIRouter(prefix="/api/v1")
CurrentViewer = Annotated[Viewer, Depends(current_viewer)]


class CaseIn(BaseModel):
    case_number: str = Field(examples=["BKA-2026-17"], max_length=LINE)
    title: str = Field(max_length=LINE)
    exploitation_form: str = Field(examples=["forced-labour"], max_length=LINE)
    subjects: list[Annotated[str, Field(max_length=ID)]] = Field([], max_length=MAX_ITEMS)
    team: dict[Annotated[str, Field(max_length=SHORT)], Annotated[str, Field(max_length=SHORT)]] = (
        Field({}, examples=[{"NL-KMAR": "member"}], max_length=MAX_ITEMS)
    )
    country: str | None = Field(None, max_length=SHORT)


class CaseCourtOut(BaseModel):
    """A court outcome of one of the case's subjects, as the case page lists it (issue 20)."""

    id: str = Field(description="the CourtOutcome record")
    defendant: str = Field(description="the Person record (one of the case's subjects)")
    verdict: str = Field(description=", ".join(VERDICTS))
    prosecution_date: str
    verdict_date: str = Field(description="empty while pending")
    offence_code: str = Field(description=", ".join(OFFENCE_CODES))
    exploitation_form: str
    court: str
    corrected: bool = Field(description="corrected since it was recorded (see `changes`)")
    retracted: bool = Field(
        description="withdrawn by its recorder; the values are those its history kept"
    )
    own: bool = Field(description="recorded by the caller's agency, which may correct it")
    changes: list[HistoryOut] = Field(description="its corrections and retraction, oldest first")


class CaseFileOut(BaseModel):
    case: EntityOut
    tasks: list[EntityOut]
    notes: list[EntityOut]
    team: dict[str, str]
    court_outcomes: list[CaseCourtOut] = Field(
        [],
        description="The court outcomes the caller reads whose defendant is a subject of the "
        "case (or that name the case), retracted ones included from their history, by "
        "defendant and prosecution date; read for the declared purpose as the case is. A "
        "value stated (H0) for other purposes is empty.",
    )


class TextIn(BaseModel):
    text: str = Field(max_length=TEXT)


class TaskIn(BaseModel):
    title: str = Field(max_length=LINE)
    assignee: str = Field("", max_length=LINE)
    due: date | None = None


class Created(BaseModel):
    id: str


class HitOut(BaseModel):
    id: str
    selector_type: str
    agencies: list[str]
    case_references: list[str] = Field(description="the caller's own case reference only")
    other_agency: str = Field(description="the agency to call")
    case_id: str = Field(description="the caller's own case the hit is filed under")


class ParticipantIn(BaseModel):
    agency: str = Field(max_length=SHORT)
    country: str = Field(max_length=SHORT)
    timezone: str = Field(examples=["Europe/Berlin"], max_length=SHORT)


class OperationIn(BaseModel):
    name: str = Field(max_length=LINE)
    participants: list[ParticipantIn] = Field(max_length=MAX_ITEMS)
    action_time: datetime = Field(examples=["2026-12-03T05:30:00+01:00"])
    targets: list[Annotated[str, Field(max_length=ID)]] = Field([], max_length=MAX_ITEMS)
    target_notes: str = Field("", max_length=TEXT)
    case_id: str | None = Field(None, max_length=ID)


class ResultIn(BaseModel):
    country: str = Field(max_length=SHORT)
    arrests: int = Field(0, ge=0)
    victimsIdentified: int = Field(0, ge=0)
    victimsRescued: int = Field(0, ge=0)
    documentsSeized: int = Field(0, ge=0)
    checksPerformed: int = Field(0, ge=0)


class DashboardOut(BaseModel):
    operation: EntityOut
    local_action_times: dict[str, str]
    by_country: dict[str, dict[str, int]]
    totals: dict[str, int]
    missing_reports: list[str]
    report_markdown: str


class FactsIn(BaseModel):
    acts: list[Annotated[str, Field(max_length=SHORT)]] = Field(
        [], examples=[["recruitment"]], max_length=50
    )
    means: list[Annotated[str, Field(max_length=SHORT)]] = Field(
        [], examples=[["deception"]], max_length=50
    )
    purposes: list[Annotated[str, Field(max_length=SHORT)]] = Field(
        [], examples=[["forced-labour"]], max_length=50
    )
    victim_age: int | None = Field(None, ge=0, le=120)

    def facts(self) -> legal.Facts:
        return legal.Facts(
            frozenset(self.acts), frozenset(self.means), frozenset(self.purposes), self.victim_age
        )


class MlaIn(BaseModel):
    reference: str = Field(max_length=LINE)
    requesting_country: str = Field(max_length=SHORT)
    requested_country: str = Field(max_length=SHORT)
    requested_agency: str = Field(max_length=SHORT)
    request_type: str = Field(examples=["evidence"], max_length=SHORT)
    legal_basis: str = Field(max_length=LINE)
    deadline: date
    facts: FactsIn
    case_id: str | None = Field(None, max_length=ID)


class StatusIn(BaseModel):
    status: str = Field(max_length=SHORT)


class VictimIn(BaseModel):
    person_id: str = Field(max_length=ID)
    exploitation_form: str = Field(max_length=LINE)
    consent: str = Field("none", examples=["none", "agency", "partners", "all"], max_length=SHORT)
    partners: list[Annotated[str, Field(max_length=SHORT)]] = Field([], max_length=MAX_ITEMS)
    protection_needs: list[Annotated[str, Field(max_length=LINE)]] = Field([], max_length=MAX_ITEMS)
    re_trafficking_risk: str = Field("medium", max_length=SHORT)
    non_punishment: bool = True


class ReferralIn(BaseModel):
    service: str = Field(examples=["shelter"], max_length=LINE)
    provider: str = Field(max_length=LINE)


class FindingOut(BaseModel):
    country: str
    criminal: bool
    reasons: list[str]


class DualOut(BaseModel):
    dual_criminality: bool
    findings: list[FindingOut]


@router.post("/cases", response_model=Created, tags=["cases"])
def open_case(request: Request, viewer: CurrentViewer, body: CaseIn) -> Created:
    """Open a case, shared with the team's agencies (with roles)."""
    case_id = cases.open_case(
        store_of(request),
        viewer,
        body.case_number,
        body.title,
        body.exploitation_form,
        body.subjects,
        body.team,
        body.country,
    )
    return Created(id=case_id)


@router.get("/cases/{case_id}", response_model=CaseFileOut, tags=["cases"])
def get_case(
    request: Request, viewer: CurrentViewer, case_id: str, purpose: DeclaredPurpose = ""
) -> CaseFileOut:
    """The case with its tasks, notes and team, and the court outcomes of its subjects
    (``court_outcomes``, as the web case page lists them), without the values stated (H0)
    for other purposes than the declared one (named under each record's ``withheld``)."""
    store = store_of(request).for_purpose(purpose)
    file = cases.case_file(store, viewer, case_id)
    if file is None:
        raise ValueError(f"case_id: no visible case {case_id!r}")
    return CaseFileOut(
        case=EntityOut.of(file.case),
        tasks=[EntityOut.of(t) for t in file.tasks],
        notes=[EntityOut.of(n) for n in file.notes],
        team=file.team,
        # what the courts did with its subjects, as the web case page lists it (ADR 0028)
        court_outcomes=[court_out(r) for r in case_court_outcomes(store, viewer, file.case)],
    )


def court_out(row: CourtRow) -> CaseCourtOut:
    v = row.values
    return CaseCourtOut(
        id=row.outcome_id,
        defendant=row.defendant,
        verdict=v["verdict"],
        prosecution_date=v["prosecutionDate"],
        verdict_date=v["verdictDate"],
        offence_code=v["offenceCode"],
        exploitation_form=v["exploitationForm"],
        court=v["court"],
        corrected=row.corrected,
        retracted=row.retracted,
        own=row.own,
        changes=[history_out(c) for c in row.changes],
    )


@router.post("/cases/{case_id}/tasks", response_model=Created, tags=["cases"])
def add_task(request: Request, viewer: CurrentViewer, case_id: str, body: TaskIn) -> Created:
    due = body.due.isoformat() if body.due else None
    return Created(
        id=cases.add_task(store_of(request), viewer, case_id, body.title, body.assignee, due)
    )


@router.post("/cases/{case_id}/notes", response_model=Created, tags=["cases"])
def add_note(request: Request, viewer: CurrentViewer, case_id: str, body: TextIn) -> Created:
    return Created(id=cases.add_note(store_of(request), viewer, case_id, body.text))


class TeamIn(BaseModel):
    agency: str = Field(examples=["TH-RTP"], max_length=SHORT)
    role: str = Field("member", examples=["member", "observer"], max_length=SHORT)


class RoleIn(BaseModel):
    role: str = Field(examples=["member", "observer"], max_length=SHORT)


@router.post("/cases/{case_id}/close", tags=["cases"])
def close_case(request: Request, viewer: CurrentViewer, case_id: str) -> dict[str, str]:
    """Close a case (lead agency only; 403 for team members)."""
    cases.close_case(store_of(request), viewer, case_id)
    return {"status": "closed"}


@router.post("/cases/{case_id}/reopen", tags=["cases"])
def reopen_case(request: Request, viewer: CurrentViewer, case_id: str) -> dict[str, str]:
    """Reopen a closed case (lead agency only)."""
    cases.reopen_case(store_of(request), viewer, case_id)
    return {"status": "open"}


@router.post("/cases/{case_id}/team", tags=["cases"])
def add_team_member(
    request: Request, viewer: CurrentViewer, case_id: str, body: TeamIn
) -> dict[str, str]:
    """Add an agency to the team (lead only): the case, tasks and notes are shared with it."""
    cases.add_to_team(store_of(request), viewer, case_id, body.agency, body.role)
    return {"agency": body.agency, "role": body.role}


@router.put("/cases/{case_id}/team/{agency}", tags=["cases"])
def change_team_role(
    request: Request, viewer: CurrentViewer, case_id: str, agency: str, body: RoleIn
) -> dict[str, str]:
    """Change a team member's role (lead only)."""
    cases.set_role(store_of(request), viewer, case_id, agency, body.role)
    return {"agency": agency, "role": body.role}


@router.delete("/cases/{case_id}/team/{agency}", tags=["cases"])
def remove_team_member(
    request: Request, viewer: CurrentViewer, case_id: str, agency: str
) -> dict[str, str]:
    """Take an agency off the team (lead only); the lead's records are re-shared without it."""
    cases.remove_from_team(store_of(request), viewer, case_id, agency)
    return {"agency": agency, "status": "removed"}


@router.post("/cases/{case_id}/deconfliction", tags=["deconfliction"])
def publish(request: Request, viewer: CurrentViewer, case_id: str) -> dict[str, int]:
    """Publish the case's selectors (keyed under the node secret, readable by no agency) and
    record hits with other agencies. Only the agency that owns and leads the case may (403;
    404 if no such case is visible); beyond the hourly allowance of new selectors, 429."""
    try:
        count = deconfliction.publish_case(store_of(request), viewer, case_id)
    except deconfliction.RateLimited as exc:
        raise HTTPException(status_code=429, detail=str(exc)) from None
    return {"selectors": count}


@router.get("/deconfliction/hits", response_model=list[HitOut], tags=["deconfliction"])
def hits(request: Request, viewer: CurrentViewer, purpose: DeclaredPurpose) -> list[HitOut]:
    """The caller agency's hits: identifier type, the other agency and its own case (read
    only), read for the declared purpose like the dashboard's panel (a hit record holds
    only the caller agency's own values, which H0 never withholds from it)."""
    return [
        HitOut(
            id=h.id,
            selector_type=h.selector_type,
            agencies=list(h.agencies),
            case_references=list(h.case_references),
            other_agency=h.other_agency,
            case_id=h.case_id,
        )
        for h in deconfliction.hits(store_of(request).for_purpose(purpose), viewer)
    ]


@router.post("/operations", response_model=Created, tags=["operations"])
def plan(request: Request, viewer: CurrentViewer, body: OperationIn) -> Created:
    participants = [
        operations.Participant(p.agency, p.country, p.timezone) for p in body.participants
    ]
    return Created(
        id=operations.plan_operation(
            store_of(request),
            viewer,
            body.name,
            participants,
            body.action_time,
            body.targets,
            body.target_notes,
            body.case_id,
        )
    )


class AmendIn(BaseModel):
    name: str = Field(max_length=LINE)
    participants: list[ParticipantIn] = Field(max_length=MAX_ITEMS)
    action_time: datetime = Field(examples=["2026-12-03T05:30:00+01:00"])
    targets: list[Annotated[str, Field(max_length=ID)]] = Field([], max_length=MAX_ITEMS)
    target_notes: str = Field("", max_length=TEXT)


@router.put("/operations/{operation_id}", tags=["operations"])
def amend(
    request: Request, viewer: CurrentViewer, operation_id: str, body: AmendIn
) -> dict[str, bool]:
    """Change the plan (coordinator only; ADR 0020): the plan is rewritten and re-shared with
    the new participants, so one taken off stops seeing it. `changed` is false when the body
    says what the plan already says (nothing is written)."""
    participants = [
        operations.Participant(p.agency, p.country, p.timezone) for p in body.participants
    ]
    changed = operation_changes.amend_operation(
        store_of(request),
        viewer,
        operation_id,
        body.name,
        participants,
        body.action_time,
        body.targets,
        body.target_notes,
    )
    return {"changed": changed}


@router.post("/operations/{operation_id}/results", response_model=Created, tags=["operations"])
def report(request: Request, viewer: CurrentViewer, operation_id: str, body: ResultIn) -> Created:
    counts = body.model_dump(exclude={"country"})
    return Created(
        id=operations.report_result(store_of(request), viewer, operation_id, body.country, **counts)
    )


@router.get("/operations/{operation_id}", response_model=DashboardOut, tags=["operations"])
def dashboard(
    request: Request, viewer: CurrentViewer, operation_id: str, purpose: DeclaredPurpose = ""
) -> DashboardOut:
    """Live dashboard: local action times, results per country, missing reports; counted
    from the values the declared purpose may use (H0)."""
    store = store_of(request).for_purpose(purpose)
    board = operations.dashboard(store, viewer, operation_id)
    return DashboardOut(
        operation=EntityOut.of(board.operation),
        local_action_times=board.local_action_times,
        by_country=board.by_country,
        totals=board.totals,
        missing_reports=board.missing_reports,
        report_markdown=operations.after_action_report(store, viewer, operation_id),
    )


@router.post("/mla", response_model=Created, tags=["legal assistance"])
def create_mla(request: Request, viewer: CurrentViewer, body: MlaIn) -> Created:
    return Created(
        id=mla.create_request(
            store_of(request),
            viewer,
            body.reference,
            body.requesting_country,
            body.requested_country,
            body.requested_agency,
            body.request_type,
            body.legal_basis,
            body.deadline,
            body.facts.facts(),
            body.case_id,
        )
    )


@router.post("/mla/{request_id}/status", tags=["legal assistance"])
def mla_status(
    request: Request, viewer: CurrentViewer, request_id: str, body: StatusIn
) -> dict[str, str]:
    mla.set_status(store_of(request), viewer, request_id, body.status)
    return {"status": body.status}


@router.get("/mla/reminders", tags=["legal assistance"])
def reminders(
    request: Request,
    viewer: CurrentViewer,
    today: Annotated[date | None, Query()] = None,
    purpose: DeclaredPurpose = "",
) -> list[dict[str, Any]]:
    """Open requests past their deadline, most overdue first (for the declared purpose)."""
    found = mla.reminders(store_of(request).for_purpose(purpose), viewer, today or date.today())
    return [r.__dict__ for r in found]


@router.post("/laws/dual-criminality", response_model=DualOut, tags=["legal frameworks"])
def dual(
    body: FactsIn,
    viewer: CurrentViewer,
    requesting: Annotated[str, Query(examples=["DE"])],
    requested: Annotated[str, Query(examples=["TH"])],
) -> DualOut:
    """Would these facts be trafficking in both countries (illustrative coded laws)?
    Purposes are forms of exploitation of the shared vocabulary."""
    facts = body.facts()
    mla.check_purposes(facts, "purposes")
    ok, findings = legal.dual_criminality(facts, requesting, requested)
    return DualOut(dual_criminality=ok, findings=[FindingOut(**f.__dict__) for f in findings])


@router.get("/laws/compare", tags=["legal frameworks"])
def compare(
    viewer: CurrentViewer, countries: Annotated[str, Query(examples=["DE,NL,US"])]
) -> list[dict[str, Any]]:
    """Where the coded laws of these countries differ."""
    return legal.compare([c.strip() for c in countries.split(",") if c.strip()])


@router.post("/victims", response_model=Created, tags=["victims"])
def record_victim(request: Request, viewer: CurrentViewer, body: VictimIn) -> Created:
    """Record an identified victim (victim-support only). Consent widens the audience
    (`none`/`agency`: own agency, `partners`: the named agencies, `all`); the values stay
    masked for every role but victim-support."""
    return Created(
        id=victims.record_victim(
            store_of(request),
            viewer,
            body.person_id,
            body.exploitation_form,
            body.consent,
            frozenset(body.partners),
            body.protection_needs,
            body.re_trafficking_risk,
            body.non_punishment,
        )
    )


@router.post("/victims/{record_id}/referrals", response_model=Created, tags=["victims"])
def refer(request: Request, viewer: CurrentViewer, record_id: str, body: ReferralIn) -> Created:
    """Refer the victim of an own victim record to a service (victim-support only)."""
    return Created(
        id=victims.refer(store_of(request), viewer, record_id, body.service, body.provider)
    )


@router.post("/referrals/{referral_id}/status", tags=["victims"])
def referral_status(
    request: Request, viewer: CurrentViewer, referral_id: str, body: StatusIn
) -> dict[str, str]:
    """Change the status of an own referral (victim-support only)."""
    victims.update_referral(store_of(request), viewer, referral_id, body.status)
    return {"status": body.status}


# --- lists ------------------------------------------------------------------------------
LISTS = {
    "/cases": (
        "InvestigationCase",
        "cases",
        "Cases the caller's agency leads or is on the team of",
    ),
    "/operations": ("JointOperation", "operations", "Joint operations the agency takes part in"),
    "/mla": ("LegalAssistanceRequest", "legal assistance", "MLA requests sent or received"),
    "/victims": (
        "VictimRecord",
        "victims",
        "Victim records (details masked unless victim-support)",
    ),
    "/referrals": ("Referral", "victims", "Victim referrals to protection services"),
}


def _add_list(path: str, schema: str, tag: str, summary: str) -> None:
    def list_page(
        request: Request,
        viewer: CurrentViewer,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        offset: Annotated[int, Query(ge=0, le=MAX_INT)] = 0,
        purpose: DeclaredPurpose = "",
    ) -> Page:
        return page_of(request, viewer, schema, limit, offset, purpose)

    list_page.__doc__ = f"{summary}; paginated (`next_offset` is null on the last page)."
    router.add_api_route(
        path,
        list_page,
        methods=["GET"],
        response_model=Page,
        tags=[tag],
        summary=summary,
        name=f"list_{schema}",
    )


for _path, (_schema, _tag, _summary) in LISTS.items():
    _add_list(_path, _schema, _tag, _summary)
