"""The identity profile: a person page that gathers everything the viewer may see about one
resolved identity.

Everything is read as the logged-in viewer through the store (`Store.entities`,
`Store.referencing`) or the viewer's own cached workspace and screening index, so the page
can show no value, id or link the API would not give the same user: other agencies'
records appear only where they were shared, victim-sensitive values stay masked for
roles without victim-support, and masked links stay under their opaque aliases. The parts
served from caches (identity, risk, document checks) are audited in one row per view.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Form, Header, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from rigour.text.scripts import text_scripts

from palermo.access.viewer import AccessDenied, Viewer
from palermo.analysis import indicators
from palermo.analysis.indicators import RiskScore
from palermo.analysis.service import Workspace, WorkspaceCache
from palermo.api.auth import optional_viewer, store_of
from palermo.api.read_purpose import HEADER, declared, session_purpose
from palermo.match.mrz import normalise_document_number
from palermo.match.names import latinize
from palermo.match.screening import DocumentCheck, ScreeningIndex
from palermo.match.service import IndexCache
from palermo.model.handling_terms import TermError
from palermo.model.schemata import model
from palermo.store.entity_marking import entity_marking
from palermo.store.marked_export import refusals
from palermo.store.store import Store
from palermo.store.viewer_cache import ViewerCache
from palermo.store.views import Entity, Value
from palermo.store.visibility import MASK
from palermo.web.csrf import csrf_protect
from palermo.web.render import id_path, page

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
log = logging.getLogger(__name__)

NAME_PROPS = ("name", "alias", "weakAlias", "previousName", "firstName", "middleName", "lastName")
DOCUMENT_SCHEMATA = ("Passport", "Identification")
PERSON_DOCUMENT_PROPS = ("passportNumber", "idNumber")
# Relation kinds, in the order the page shows them.
KINDS = (
    "family",
    "associates",
    "trips",
    "phones",
    "addresses",
    "documents",
    "cases",
    "assets",
    "other",
)
KIND_OF_SCHEMA = {
    "Family": "family",
    "Associate": "associates",
    "Employment": "associates",
    "Membership": "associates",
    "Representation": "associates",
    "Trip": "trips",
    "BorderCrossing": "trips",
    "Phone": "phones",
    "Address": "addresses",
    "Passport": "documents",
    "Identification": "documents",
    "InvestigationCase": "cases",
    "JointOperation": "cases",
    "CaseTask": "cases",
    "Ownership": "assets",
    "Vehicle": "assets",
    "BankAccount": "assets",
    "Payment": "assets",
}
# Records that point at a person but are not relations shown in the list.
NOT_RELATIONS = ("Notice", "MatchJudgement", "AgencyMessage", "VictimRecord")
MAX_RELATED = 500  # referencing entities read per record
# Background builds of workspaces and screening indexes for profiles (see `Soon`).
BUILDER = ThreadPoolExecutor(max_workers=2, thread_name_prefix="profile-cache")
BUILD_LOCK = threading.Lock()
DEFAULT_WAIT = 5.0  # seconds a profile waits for a workspace being built


@dataclass(frozen=True)
class NameForm:
    name: str
    latin: str
    agency: str


@dataclass(frozen=True)
class Document:
    number: str
    schema: str
    entity_id: str | None  # None: a number on the person record itself
    country: str
    expires: str
    status: str  # clear, or the worst reported status (stolen, lost, forged, ...)
    reporters: tuple[str, ...]
    mrz: str  # "", "valid", "invalid", "expired"
    mrz_problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class Relation:
    kind: str
    entity_id: str | None  # the linked record (None: a plain value such as a phone number)
    label: str
    schema: str
    detail: str
    agencies: str
    via: str | None = None  # the link record (an Associate, UnknownLink, ...)
    handling: str = ""  # the linked record's marking text (strictest of its values read)
    link_handling: str = ""  # the link record's marking text: the chart's line


@dataclass(frozen=True)
class Event:
    when: str
    what: str
    entity_id: str | None
    label: str
    agencies: str


@dataclass
class Profile:
    entity: Entity
    records: list[Entity]
    identity: str
    rows: list[tuple[str, str, list[list[Value]]]]  # prop, label, values per record
    names: dict[str, list[NameForm]]
    documents: list[Document]
    notices: list[Entity]
    risk: RiskScore | None
    resolved: bool
    relations: dict[str, list[Relation]]
    timeline: list[Event]
    cases: list[Entity]
    chart: dict[str, Any] = field(default_factory=dict)


# --- gathering ------------------------------------------------------------------------


def build(request: Request, viewer: Viewer, entity: Entity) -> Profile:
    """Everything the profile shows, read as ``viewer``."""
    store = store_of(request)
    soon = Soon(request, viewer)
    purpose = session_purpose(request)  # every read below leaves out what H0 withholds
    identity, records, resolved = same_identity(request, viewer, entity, soon, purpose)
    referencing = related(store, viewer, records, purpose)
    ends = far_ends(store, viewer, records, referencing, purpose)
    relations = relations_of(records, referencing, ends)
    cases = [e for e in referencing if e.schema == "InvestigationCase"]
    notices = [e for e in referencing if e.schema == "Notice"]
    documents = documents_of(soon, records, referencing, purpose)
    risk = risk_of(soon, identity, purpose) if resolved else None
    store.audit_event(
        viewer,
        "profile",
        entity.id,
        {
            "records": [r.id for r in records],
            "identity": identity,
            "documents": [d.number for d in documents],
            "risk": risk.score if risk is not None else None,
            "purpose": purpose or None,
            "withheld": [r.id for r in [*records, *referencing, *ends.values()] if r.withheld],
        },
    )
    return Profile(
        entity=entity,
        records=records,
        identity=identity,
        rows=side_by_side(records),
        names=names_by_script(records),
        documents=documents,
        notices=notices,
        risk=risk,
        resolved=resolved,
        relations=relations,
        timeline=timeline(store, viewer, records, referencing, ends, cases, purpose),
        cases=cases,
        chart=chart(entity, relations),
    )


def same_identity(
    request: Request, viewer: Viewer, entity: Entity, soon: Soon, purpose: str | None = None
) -> tuple[str, list[Entity], bool]:
    """The identity id, every visible Person record resolved to it (this one first), and
    whether resolution was available.

    Uses the viewer's analysis workspace (the resolver of `analysis.identities` over what
    the viewer reads), for ``purpose`` when one is given: its identities are cut where a
    link needed a value withheld from it (`Workspace.for_purpose`, ADR 0051); see `Soon`
    for when it is not built yet."""
    ws = soon.workspace()
    if ws is None:
        return entity.id, [entity], False
    if purpose is not None:
        ws = ws.for_purpose(purpose)
    identity = ws.identity_of.get(entity.id, entity.id)
    others = sorted(r for r, i in ws.identity_of.items() if i == identity and r != entity.id)
    store = store_of(request)
    found = store.entities(viewer, ids=others, limit=len(others), purpose=purpose) if others else []
    return identity, [entity, *(e for e in found if e.schema == "Person")], True


T = TypeVar("T")


class Soon:
    """The viewer's derived data (analysis workspace, screening index) for one page view:
    taken from its cache, else built in the background and waited for until a deadline.

    Resolving every visible person takes seconds (Splink) and both caches are dropped on
    every write, so the profile does not block on them: a build runs in the background
    (one per cache and agency/victim-support key), the page shows what is ready by the
    deadline and says what is still coming, and a later view uses the result. The wait is
    ``app.state.profile_wait`` seconds (DEFAULT_WAIT)."""

    def __init__(self, request: Request, viewer: Viewer) -> None:
        self.request, self.viewer = request, viewer
        wait = float(getattr(request.app.state, "profile_wait", DEFAULT_WAIT))
        self.deadline = time.monotonic() + wait
        self.workspace_future = self._start("analysis", WorkspaceCache)
        self.index_future = self._start("screening", IndexCache)

    def _start(self, name: str, make: Callable[[Store], ViewerCache[T]]) -> Future[T] | None:
        """The cached item as a done future, or the running (or new) build; None when the
        viewer's roles do not allow this kind of derived data."""
        from palermo.api.auth import app_cache

        try:
            cache = app_cache(self.request, name, make)
            found = cache.cached(self.viewer)
        except AccessDenied:
            return None
        if found is not None:
            done: Future[T] = Future()
            done.set_result(found)
            return done
        builds: dict[tuple[str, str, bool], Future[T]] = app_cache(
            self.request, "profile_builds", lambda _: {}
        )
        key = (name, self.viewer.agency, self.viewer.sees_victim_details)
        with BUILD_LOCK:
            future = builds.get(key)
            if future is None or future.done():
                future = builds[key] = BUILDER.submit(cache.for_viewer, self.viewer)
        return future

    def _get(self, future: Future[T] | None) -> T | None:
        if future is None:
            return None
        try:
            return future.result(timeout=max(self.deadline - time.monotonic(), 0.0))
        except (FutureTimeout, AccessDenied):
            return None
        except Exception:  # a failed build: the page shows the record alone, the log why
            log.exception("profile: building derived data for %s failed", self.viewer.agency)
            return None

    def workspace(self) -> Workspace | None:
        return self._get(self.workspace_future)

    def index(self) -> ScreeningIndex | None:
        return self._get(self.index_future)


def related(
    store: Store, viewer: Viewer, records: list[Entity], purpose: str | None = None
) -> list[Entity]:
    """Visible entities pointing at any record of the identity (each once), for the
    declared ``purpose`` (`Store.entities`)."""
    seen: dict[str, Entity] = {}
    for record in records:
        for e in store.referencing(viewer, record.id, limit=MAX_RELATED, purpose=purpose):
            seen.setdefault(e.id, e)
    return list(seen.values())


def entity_props(entity: Entity) -> list[tuple[str, str]]:
    """(prop, value) of every entity-typed value of a record (links to other records)."""
    schema = model.get(entity.schema)
    out = []
    for prop, values in entity.properties.items():
        p = schema.get(prop) if schema is not None else None
        if p is None or p.type.name != "entity":
            continue
        out += [(prop, v.value) for v in values if not v.masked and v.value != MASK]
    return out


def far_ends(
    store: Store,
    viewer: Viewer,
    records: list[Entity],
    referencing: list[Entity],
    purpose: str | None = None,
) -> dict[str, Entity]:
    """The records at the other end of each link (the phone of an UnknownLink, the
    associate of an Associate, the trip of a border crossing), read as the viewer."""
    mine = {r.id for r in records}
    known = {e.id for e in referencing} | mine
    wanted = sorted({v for e in referencing for _, v in entity_props(e) if v not in known})
    if not wanted:
        return {}
    found = store.entities(viewer, ids=wanted, limit=len(wanted), purpose=purpose)
    return {e.id: e for e in found}


def relations_of(
    records: list[Entity], referencing: list[Entity], ends: dict[str, Entity]
) -> dict[str, list[Relation]]:
    """Relations grouped by kind: link records resolved to what they link to, plus the
    plain phone and address values of the person records."""
    mine = {r.id for r in records}
    grouped: dict[str, list[Relation]] = {k: [] for k in KINDS}
    for e in referencing:
        if e.schema in NOT_RELATIONS:
            continue
        grouped[kind_of(e, ends)].extend(link_relations(e, mine, ends))
    for record in records:
        for prop, kind in (("phone", "phones"), ("address", "addresses")):
            for v in record.properties.get(prop, []):
                if not v.masked:
                    grouped[kind].append(Relation(kind, None, v.value, "", prop, v.agency))
    return {k: dedup(v) for k, v in grouped.items() if v}


def kind_of(link: Entity, ends: dict[str, Entity]) -> str:
    """A link's kind from its schema, or from what an UnknownLink points at."""
    if link.schema == "UnknownLink":
        target = ends.get(link.first("object") or "")
        return KIND_OF_SCHEMA.get(target.schema, "associates") if target else "other"
    if link.schema == "Associate" and "family" in (link.first("relationship") or "").lower():
        return "family"
    return KIND_OF_SCHEMA.get(link.schema, "other")


def link_relations(link: Entity, mine: set[str], ends: dict[str, Entity]) -> list[Relation]:
    """One relation per far end of a link record; a record with no far end (a passport, a
    case) is itself the related thing."""
    kind = kind_of(link, ends)
    detail = ", ".join(
        link.values("relationship") or link.values("role") or link.values("caseNumber")
    )
    agencies = ", ".join(sorted(link.agencies))
    out = []
    for _, target in entity_props(link):
        end = ends.get(target)
        if target in mine or end is None or end.schema in ("Trip",):
            continue
        marks = (entity_marking(end).text, entity_marking(link).text)
        out.append(
            Relation(kind, end.id, end.caption, end.schema, detail, agencies, link.id, *marks)
        )
    if not out:
        mark = entity_marking(link).text  # the record is the related thing and the line
        out.append(
            Relation(kind, link.id, link.caption, link.schema, detail, agencies, None, mark, mark)
        )
    return out


def dedup(relations: Iterable[Relation]) -> list[Relation]:
    seen: dict[tuple[str | None, str, str | None], Relation] = {}
    for r in relations:
        seen.setdefault((r.entity_id, r.label, r.via), r)
    return sorted(seen.values(), key=lambda r: (r.label.lower(), r.entity_id or ""))


def side_by_side(records: list[Entity]) -> list[tuple[str, str, list[list[Value]]]]:
    """Rows of property -> the values each record holds (one column per record)."""
    schema = model.get("Person")
    props = sorted({p for r in records for p in r.properties if p != "id"})
    rows = []
    for prop in props:
        p = schema.get(prop) if schema is not None else None
        label = p.label if p is not None else prop
        rows.append((prop, label, [r.properties.get(prop, []) for r in records]))
    return rows


def script_of(name: str) -> str:
    scripts = sorted(text_scripts(name) - {"Common", "Inherited"})
    return " + ".join(scripts) if scripts else "Other"


def names_by_script(records: list[Entity]) -> dict[str, list[NameForm]]:
    """Every readable name of the identity grouped by its script, with its Latin form."""
    out: dict[str, dict[str, NameForm]] = {}
    for record in records:
        for prop in NAME_PROPS:
            for v in record.properties.get(prop, []):
                if v.masked or v.value == MASK or not v.value.strip():
                    continue
                group = out.setdefault(script_of(v.value), {})
                group.setdefault(v.value, NameForm(v.value, latinize(v.value), v.agency))
    return {k: list(v.values()) for k, v in sorted(out.items(), key=lambda kv: kv[0] != "Latin")}


def documents_of(
    soon: Soon, records: list[Entity], referencing: list[Entity], purpose: str | None = None
) -> list[Document]:
    """Documents held by the identity with their check against the viewer's reports
    (stolen, lost, forged ...) and, where a zone is stored, the MRZ's validity; status
    "unchecked" while the viewer's screening index is still being built. A report status
    H0 withholds from ``purpose`` reads ``withheld`` (`match.screening_purpose`)."""
    index = soon.index()
    if index is not None and purpose is not None:
        index = index.for_purpose(purpose)
    out: dict[str, Document] = {}
    for e in referencing:
        if e.schema not in DOCUMENT_SCHEMATA:
            continue
        for number in readable(e, "number"):
            found = check(index, number)
            mrz, problems = mrz_status(readable(e, "summary"))
            country, expires = ", ".join(readable(e, "country")), ", ".join(readable(e, "endDate"))
            out[found.number] = document(number, e.schema, e.id, found, country, expires)
            out[found.number] = replace(out[found.number], mrz=mrz, mrz_problems=problems)
    for record in records:
        for prop in PERSON_DOCUMENT_PROPS:
            for number in readable(record, prop):
                found = check(index, number)
                out.setdefault(found.number, document(number, prop, None, found))
    return list(out.values())


def check(index: ScreeningIndex | None, number: str) -> DocumentCheck:
    if index is None:
        return DocumentCheck(normalise_document_number(number), "unchecked")
    return index.check_document(number)


def document(
    number: str,
    kind: str,
    entity_id: str | None,
    found: DocumentCheck,
    country: str = "",
    expires: str = "",
) -> Document:
    reporters = tuple(sorted({h.agency for h in found.hits}))
    return Document(number, kind, entity_id, country, expires, found.status, reporters, "")


def readable(entity: Entity, prop: str) -> list[str]:
    return [v.value for v in entity.properties.get(prop, []) if not v.masked and v.value != MASK]


def mrz_status(texts: list[str]) -> tuple[str, tuple[str, ...]]:
    """("valid" | "invalid" | "expired" | "", problems) of the first stored zone."""
    from palermo.match.mrz import MRZError
    from palermo.match.mrz_check import read_mrz

    for text in texts:
        if "<" not in text:
            continue
        try:
            zone = read_mrz(text)
        except MRZError as exc:
            return "invalid", (str(exc),)
        problems = tuple(f"{p.field}: {p.reason}" for p in zone.problems)
        if zone.expired and not any(p.field != "expiry_date" for p in zone.problems):
            return "expired", problems
        return ("valid" if zone.valid else "invalid"), problems
    return "", ()


def risk_of(soon: Soon, identity: str, purpose: str | None = None) -> RiskScore | None:
    """The identity's risk score with the indicators that fired and their records (the
    rules need the whole workspace: suspects, shared trips and addresses), from the values
    the declared ``purpose`` may use (`Workspace.for_purpose`)."""
    ws = soon.workspace()
    if ws is None:
        return None
    if purpose is not None:
        ws = ws.for_purpose(purpose)
    for score in indicators.score(ws.entities, ws.identity_of):
        if score.identity == identity:
            return score
    return None


def timeline(
    store: Store,
    viewer: Viewer,
    records: list[Entity],
    referencing: list[Entity],
    ends: dict[str, Entity],
    cases: list[Entity],
    purpose: str | None = None,
) -> list[Event]:
    """Dated values of the person, its links and their far ends, plus case activity
    (opened, tasks, notes), oldest first."""
    events: list[Event] = []
    seen: set[str] = set()
    for e in [*records, *referencing, *ends.values()]:
        if e.id in seen:
            continue
        seen.add(e.id)
        events += dated(e)
    for case in cases:
        opened = min((v.first_seen for v in case.properties.get("id", [])), default=None)
        if opened is not None:
            events.append(event(opened.date().isoformat(), "Case opened", case))
        for item in store.referencing(viewer, case.id, limit=MAX_RELATED, purpose=purpose):
            if item.schema in ("CaseTask", "CaseNote") and item.id not in seen:
                seen.add(item.id)
                first = min(v.first_seen for vs in item.properties.values() for v in vs)
                events.append(event(first.date().isoformat(), f"{label(item)} added", item))
    return sorted(events, key=lambda ev: (ev.when, ev.what, ev.label))


def dated(entity: Entity) -> list[Event]:
    schema = model.get(entity.schema)
    out = []
    for prop, values in entity.properties.items():
        p = schema.get(prop) if schema is not None else None
        if p is None or p.type.name != "date":
            continue
        for v in values:
            if not v.masked and v.value != MASK:
                out.append(event(v.value, f"{label(entity)}: {p.label}", entity))
    return out


def event(when: str, what: str, entity: Entity) -> Event:
    return Event(when, what, entity.id, entity.caption, ", ".join(sorted(entity.agencies)))


def label(entity: Entity) -> str:
    schema = model.get(entity.schema)
    return schema.label if schema is not None else entity.schema


def chart(entity: Entity, relations: dict[str, list[Relation]]) -> dict[str, Any]:
    """The ego network as nodes and edges (the page draws it as a list, and the JSON in
    a data attribute for the link chart script). Each node and edge carries its marking
    text, as the link chart's do (ADR 0034): a restricted one is drawn dashed and its
    codes written out in the list, so the small chart says what the big one says."""
    ego = {"id": entity.id, "label": entity.caption, "schema": entity.schema}
    nodes = {entity.id: {**ego, "handling": entity_marking(entity).text}}
    edges = []
    for kind, items in relations.items():
        for r in items:
            if r.entity_id is None or r.entity_id in nodes:
                continue
            node = {"id": r.entity_id, "label": r.label, "schema": r.schema}
            nodes[r.entity_id] = {**node, "handling": r.handling}
            edge = {"source": entity.id, "target": r.entity_id, "kind": kind}
            edges.append({**edge, "handling": r.link_handling})
    return {"nodes": list(nodes.values()), "edges": edges}


def subscribed(store: Store, viewer: Viewer, entity_id: str) -> bool:
    from palermo.exchange import alerts

    return any(
        s["kind"] == "entity" and s["value"] == entity_id
        for s in alerts.subscriptions_of(store, viewer)
    )


def case_form_exists(request: Request) -> bool:
    """Whether this app has a web form to open a case (the action shows only then)."""
    from starlette.routing import NoMatchFound

    try:
        request.app.url_path_for("new_case_form")
    except NoMatchFound:
        return False
    return True


# --- pages ----------------------------------------------------------------------------


def render(request: Request, viewer: Viewer, entity: Entity, **extra: Any) -> Response:
    """The profile page of a Person record the viewer may see."""
    from palermo.coordination.victims import non_punishment

    store = store_of(request)
    profile = build(request, viewer, entity)
    return page(
        request,
        "profile.html",
        entity=entity,
        schema=model.get(entity.schema),
        profile=profile,
        non_punishment=non_punishment(store, viewer, entity.id),
        subscribed=subscribed(store, viewer, entity.id),
        case_form=case_form_exists(request),
        chart_json=json.dumps(profile.chart, ensure_ascii=False),
        today=date.today().isoformat(),
        **extra,
    )


def export_entities(
    store: Store, viewer: Viewer, entity: Entity, purpose: str | None = None
) -> list[dict[str, Any]]:
    """The FtM JSON of the record and what points at it, with only the values the viewer
    reads unmasked (a masked value is not exported, not even as a placeholder) and, for a
    read ``purpose``, only the values it may use (the profile page's rule; ``entity`` is
    read for it too): a record with values left out names them under ``withheld``
    (prop -> owners to ask). None: every value (an export that refuses records itself)."""
    out = []
    for e in [entity, *related(store, viewer, [entity], purpose)]:
        props = {
            p: [v for v in e.values(p) if v != MASK]
            for p in sorted(e.properties)
            if p != "id" and not all(v.masked for v in e.properties[p])
        }
        out.append(
            {
                "id": e.id,
                "schema": e.schema,
                "properties": {p: vs for p, vs in props.items() if vs},
                "datasets": sorted(e.agencies),
                "handling": entity_marking(e).text,  # strictest of its values (docs/trust.md)
            }
        )
        if restrictions := sorted(entity_marking(e).restrictions):  # H3 travels in words
            out[-1]["restrictions"] = restrictions
        if e.withheld:  # H0: left out for the read's purpose; whom to ask (ADR 0051)
            out[-1]["withheld"] = e.withheld
    return out


@router.get("/entities/{entity_id:path}/export.json")
def export(
    request: Request,
    entity_id: str,
    purpose: Annotated[str | None, Query(max_length=40)] = None,
    palermo_purpose: Annotated[str | None, Header(alias=HEADER, max_length=40)] = None,
) -> Response:
    """The person's record and its links as FtM JSON (what the viewer sees), audited.

    With a declared ``purpose`` the body is ``{"purpose", "entities", "refused"}``: records
    another agency's H0 values are stated for other purposes, or (court) H1 values lacking
    consent, are left out and named with the reason (`store.marked_export.refusals`).
    Without it the body is the list of records as the profile page reads them: for the
    ``Palermo-Purpose`` header's purpose, else the session's, else none declared (values
    stated for any purpose left out); a record with values left out names them under
    ``withheld`` (ADR 0051, amendment). Never every value."""
    viewer = optional_viewer(request)
    if viewer is None:
        return RedirectResponse("/login", status_code=303)
    store = store_of(request)
    read: str | None = None  # an export for ?purpose=: every value, then H0 refuses records
    if purpose is None:
        try:  # as the profile page reads: the header's, else the session's, else none
            read = declared(palermo_purpose, None, request)
        except TermError as exc:
            return _problem(400, "Bad purpose", str(exc))
    entity = store.entity(viewer, entity_id, purpose=read)
    if entity is None:
        return missing(request, entity_id)
    data = export_entities(store, viewer, entity, read)
    body: Any = data
    detail: dict[str, Any] = {"entities": [e["id"] for e in data]}
    if read is not None:
        detail["purpose"] = read or None
        detail["withheld"] = [e["id"] for e in data if "withheld" in e]
    if purpose is not None:
        try:
            records = [entity, *related(store, viewer, [entity], read)]  # read: None
            refused = refusals(store, viewer, records, purpose)
        except ValueError as exc:
            return _problem(422, "Bad purpose", str(exc))
        data = [e for e in data if e["id"] not in refused]
        reasons = [r.reason for r in refused.values()]
        body = {"purpose": purpose.strip().lower(), "entities": data, "refused": reasons}
        detail["entities"] = [e["id"] for e in data]
    store.audit_event(viewer, "export", entity.id, detail)
    filename = "".join(c if c.isalnum() or c in ".-_" else "_" for c in entity.id)[:80]
    return Response(
        json.dumps(body, ensure_ascii=False, indent=1),
        media_type="application/json",
        headers={"content-disposition": f'attachment; filename="{filename}.json"'},
    )


def _problem(status: int, title: str, detail: str) -> Response:
    body = {"title": title, "status": status, "detail": detail}
    return Response(json.dumps(body), status_code=status, media_type="application/problem+json")


@router.post("/entities/{entity_id:path}/subscribe", response_class=HTMLResponse)
def subscribe(
    request: Request, entity_id: str, kind: Annotated[str, Form(max_length=20)] = "entity"
) -> Response:
    """Be alerted when new data about this record arrives (the API's subscription, with
    its per-user limit); back to the profile, or the profile with the error."""
    from palermo.api.exchange_routes import MAX_SUBSCRIPTIONS, subscription_count
    from palermo.exchange import alerts

    viewer = optional_viewer(request)
    if viewer is None:
        return RedirectResponse("/login", status_code=303)
    store = store_of(request)
    entity = store.entity(viewer, entity_id, purpose=None)  # a check that it is visible
    if entity is None:
        return missing(request, entity_id)
    try:
        if kind != "entity":
            raise ValueError(f"kind: {kind[:20]!r} cannot be subscribed here (entity)")
        if subscription_count(store, viewer.username) >= MAX_SUBSCRIPTIONS:
            raise ValueError(
                f"subscriptions: {viewer.username} already has the maximum of "
                f"{MAX_SUBSCRIPTIONS} subscriptions"
            )
        if not subscribed(store, viewer, entity.id):
            alerts.subscribe(store, viewer, "entity", entity.id)
    except (ValueError, AccessDenied) as exc:
        text = str(exc).splitlines()[0]
        if entity.schema == "Person":
            response = render(request, viewer, entity, error=text)
        else:
            response = page(request, "message.html", title="Not subscribed", text=text)
        response.status_code = 403 if isinstance(exc, AccessDenied) else 400
        return response
    return RedirectResponse(f"/entities/{id_path(entity.id)}#actions", status_code=303)


def missing(request: Request, entity_id: str) -> Response:
    response = page(request, "missing.html", entity_id=entity_id)
    response.status_code = 404
    return response
