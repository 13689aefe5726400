"""Analysis over HTTP: link graph, paths, brokers, routes, hotspots, trends, risk, report.

Every endpoint works on the caller's workspace: what the caller's agency may see, person
records resolved into identities. Workspaces are cached per agency and role and dropped
when anything is written to the store.

The cache means the store's own read audit sees only whoever built a workspace; so every
endpoint here also audits its own call, under the actual caller, with what it returned
(record ids of an ego network or path, identities ranked, sizes of whole-graph answers).

Each answer is built for the caller's declared purpose (H0, ADR 0051) and says under
``withheld`` which agencies' records had values left out, so a ranking or a count never
looks complete when it is not.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

from palermo.access.viewer import Viewer
from palermo.analysis.report import DEFAULT_PURPOSE, render_html, render_pdf
from palermo.analysis.roles import BROKER_EXCLUDES
from palermo.analysis.service import Workspace, WorkspaceCache
from palermo.api.auth import app_cache, current_viewer, store_of
from palermo.api.read_purpose import DeclaredPurpose
from palermo.api.schemas import BrokersOut, HotspotsOut, RiskOut, RoutesOut, TrendsOut
from palermo.model.handling_terms import PURPOSES
from palermo.store.marked_export import check_export_purpose

router = APIRouter(prefix="/api/v1/analysis", tags=["analysis"])
CurrentViewer = Annotated[Viewer, Depends(current_viewer)]
RoleName = Literal["victim", "suspect", "witness", "person of interest"]  # linkgraph.ROLES
Period = Annotated[str, Query(pattern=r"^(\d{4}(-\d{2}(-\d{2})?)?)?$", examples=["2024"])]


def workspace(request: Request, viewer: Viewer) -> Workspace:
    return app_cache(request, "analysis", WorkspaceCache).for_viewer(viewer)


def view(request: Request, viewer: Viewer, purpose: str) -> Workspace:
    """The caller's workspace as its declared purpose may use it (H0, ADR 0051)."""
    return workspace(request, viewer).for_purpose(purpose)


def withheld_detail(ws: Workspace) -> dict[str, Any]:
    """The declared purpose and the agencies whose values were withheld, for audit rows."""
    return ws.audit_detail()


AUDITED_IDS = 200  # ids kept in one audit row's detail; the count is always complete
# A report title is printed in the PDF: plain text, one line, bounded.
Title = Annotated[str, Query(min_length=1, max_length=120, pattern=r"^[^\x00-\x1f\x7f]*$")]


def audit(request: Request, viewer: Viewer, action: str, target: str, **detail: Any) -> None:
    """One audit row for this call, attributed to the caller even when served from cache."""
    store_of(request).audit_event(viewer, f"analysis.{action}", target, detail)


def ids_detail(ids: list[str]) -> dict[str, Any]:
    """A bounded list of ids with the full count, for an audit detail."""
    return {"count": len(ids), "ids": ids[:AUDITED_IDS]}


def _found(fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except KeyError as exc:
        raise HTTPException(404, str(exc.args[0])) from None


@router.get("/graph", summary="Link graph (or one entity's ego network) for the link chart")
def graph(
    request: Request,
    viewer: CurrentViewer,
    ego: Annotated[str | None, Query(examples=["de-bka.BKA-ST-0000003"])] = None,
    hops: Annotated[int, Query(ge=1, le=4)] = 2,
    max_nodes: Annotated[int, Query(ge=1, le=20000)] = 2000,
    purpose: DeclaredPurpose = "",
) -> dict[str, Any]:
    """Nodes and edges are built only from values the declared purpose may use; ``withheld``
    counts, per agency to ask, the records with values left out (H0, ADR 0051)."""
    ws = view(request, viewer, purpose)
    data: dict[str, Any] = _found(ws.graph_json, ego, hops)
    data["withheld"] = ws.withheld
    records = sorted({r for node in data["nodes"] for r in node.get("records", [])})
    detail = ids_detail(records) | withheld_detail(ws)
    audit(request, viewer, "graph", ego or "(whole graph)", hops=hops, **detail)
    if len(data["nodes"]) > max_nodes:
        raise HTTPException(
            422, f"ego: the graph has {len(data['nodes'])} nodes, over max_nodes={max_nodes}"
        )
    return data


@router.get("/graph.graphml", summary="The whole link graph as GraphML", response_class=Response)
def graph_graphml(
    request: Request, viewer: CurrentViewer, purpose: DeclaredPurpose = ""
) -> Response:
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "graph.graphml"
        ws = view(request, viewer, purpose)
        lg = ws.link_graph()
        lg.graph.write_graphml(path)
        detail = withheld_detail(ws)
        audit(request, viewer, "graphml", "(whole graph)", nodes=len(lg.labels), **detail)
        return Response(path.read_bytes(), media_type="application/graphml+xml")


@router.get("/path", summary="Shortest path between two entities")
def path(
    request: Request,
    viewer: CurrentViewer,
    source: str,
    target: str,
    purpose: DeclaredPurpose = "",
) -> list[dict[str, str]]:
    ws = view(request, viewer, purpose)
    result: list[dict[str, str]] = _found(ws.path, source, target)
    detail = ids_detail([n["id"] for n in result]) | withheld_detail(ws)
    audit(request, viewer, "path", f"{source} -> {target}", **detail)
    return result


@router.get("/brokers", summary="Key players by betweenness, with each one's roles")
def brokers(
    request: Request,
    viewer: CurrentViewer,
    top: Annotated[int, Query(ge=1, le=500)] = 10,
    role: Annotated[list[RoleName] | None, Query(description="only persons in these roles")] = None,
    include_victims: Annotated[
        bool, Query(description="rank persons with the victim role too (left out by default)")
    ] = False,
    purpose: DeclaredPurpose = "",
) -> BrokersOut:
    """Roles (victim, suspect, witness, person of interest) come from values the caller
    reads unmasked. Victims are left out unless `include_victims` or `role=victim`. Ranked
    only on values the declared purpose may use; ``withheld`` says whom to ask for the rest
    (H0, ADR 0051)."""
    roles = list(role or [])
    exclude = () if include_victims or "victim" in roles else BROKER_EXCLUDES
    ws = view(request, viewer, purpose)
    found = ws.brokers(top, roles, exclude)
    audit(
        request,
        viewer,
        "brokers",
        f"top {top}",
        roles=roles,
        include_victims=include_victims,
        **ids_detail([b["id"] for b in found]) | withheld_detail(ws),
    )
    return BrokersOut(results=found, withheld=ws.withheld)


@router.get("/communities", summary="Communities of the link graph with their members' roles")
def communities(
    request: Request,
    viewer: CurrentViewer,
    role: Annotated[RoleName | None, Query(description="only members in this role")] = None,
    top: Annotated[int, Query(ge=1, le=500)] = 20,
    purpose: DeclaredPurpose = "",
) -> list[dict[str, Any]]:
    ws = view(request, viewer, purpose)
    found = ws.communities(role, top)
    members = [m["id"] for c in found for m in c["members"]]
    detail = ids_detail(members) | withheld_detail(ws)
    audit(request, viewer, "communities", role or "(all roles)", **detail)
    return found


@router.get("/routes", summary="Top routes, routes per form of exploitation, new routes")
def routes(
    request: Request,
    viewer: CurrentViewer,
    form: str | None = None,
    new_since: Period = "",
    purpose: DeclaredPurpose = "",
) -> RoutesOut:
    """Flows only from values the declared purpose may use (H0, ADR 0051)."""
    ws = view(request, viewer, purpose)
    result = ws.routes(form, new_since)
    detail = withheld_detail(ws)
    audit(request, viewer, "routes", form or "(all forms)", new_since=new_since, **detail)
    return RoutesOut(**result, withheld=ws.withheld)


@router.get("/hotspots", summary="H3 hotspots with Getis-Ord Gi* and baseline significance")
def hotspots(
    request: Request,
    viewer: CurrentViewer,
    kind: Literal["recruitment", "transit", "exploitation"] | None = None,
    resolution: Annotated[int, Query(ge=0, le=15)] = 5,
    start: Period = "",
    end: Period = "",
    baseline_start: Period = "",
    baseline_end: Period = "",
    purpose: DeclaredPurpose = "",
) -> HotspotsOut:
    """Events only from values the declared purpose may use (H0, ADR 0051)."""
    baseline = (baseline_start, baseline_end) if baseline_start or baseline_end else None
    ws = view(request, viewer, purpose)
    found = ws.hotspots(kind, resolution, (start, end), baseline)
    audit(
        request,
        viewer,
        "hotspots",
        kind or "(all kinds)",
        resolution=resolution,
        period=[start, end],
        cells=len(found),
        **withheld_detail(ws),
    )
    return HotspotsOut(results=found, withheld=ws.withheld)


@router.get("/trends", summary="Detected victims and suspects in Global Report tables")
def trends(request: Request, viewer: CurrentViewer, purpose: DeclaredPurpose = "") -> TrendsOut:
    """Counted only from values the declared purpose may use (H0, ADR 0051)."""
    ws = view(request, viewer, purpose)
    result = ws.trends()
    audit(request, viewer, "trends", "(all tables)", tables=len(result), **withheld_detail(ws))
    return TrendsOut(tables=result, withheld=ws.withheld)


@router.get("/risk", summary="Indicator-based risk scores with the records behind them")
def risk(
    request: Request,
    viewer: CurrentViewer,
    top: Annotated[int, Query(ge=1, le=1000)] = 50,
    use_victim_records: bool = True,
    purpose: DeclaredPurpose = "",
) -> RiskOut:
    """Indicators fire only on values the declared purpose may use (H0, ADR 0051)."""
    ws = view(request, viewer, purpose)
    found = ws.risk(top, use_victim_records)
    detail = ids_detail([r["identity"] for r in found]) | withheld_detail(ws)
    audit(request, viewer, "risk", f"top {top}", **detail)
    return RiskOut(results=found, withheld=ws.withheld)


@router.get(
    "/report",
    summary="Global-Report-style report (HTML or PDF)",
    response_class=Response,
    responses={200: {"content": {"text/html": {}, "application/pdf": {}}}},
)
def report(
    request: Request,
    viewer: CurrentViewer,
    format: Literal["html", "pdf"] = "html",
    title: Title = "Trafficking in persons",
    purpose: Annotated[
        str,
        Query(
            description="The declared purpose, one of: " + ", ".join(PURPOSES) + ". Values "
            "whose H0 states other purposes are not used; the report states its purpose.",
            examples=["statistics"],
            max_length=40,
        ),
    ] = DEFAULT_PURPOSE,
) -> Response:
    """The title is plain text (at most 120 characters, no control characters); it is
    never interpreted as matplotlib mathtext. Without a declared purpose the report is
    produced for ``analysis`` (ADR 0041)."""
    purpose = check_export_purpose(purpose)  # a ValueError answers 400 naming `purpose`
    source = f"records visible to {viewer.agency}"
    data = workspace(request, viewer).report(title, source, purpose)
    audit(
        request, viewer, "report", title, format=format, victims=data.victims.total, purpose=purpose
    )
    if format == "pdf":
        return Response(render_pdf(data), media_type="application/pdf")
    return HTMLResponse(render_html(data))
