"""Analysis over HTTP: link graph, paths, brokers, routes, hotspots, trends, risk, report.

Every endpoint works on the caller's workspace: what the caller's agency may see, person
records resolved into identities. Workspaces are cached per agency and role and dropped
when anything is written to the store.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

from palermo.access.viewer import Viewer
from palermo.analysis.report import render_html, render_pdf
from palermo.analysis.service import Workspace, WorkspaceCache
from palermo.api.auth import app_cache, current_viewer

router = APIRouter(prefix="/api/v1/analysis", tags=["analysis"])
CurrentViewer = Annotated[Viewer, Depends(current_viewer)]
Period = Annotated[str, Query(pattern=r"^(\d{4}(-\d{2}(-\d{2})?)?)?$", examples=["2024"])]


def workspace(request: Request, viewer: Viewer) -> Workspace:
    return app_cache(request, "analysis", WorkspaceCache).for_viewer(viewer)


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
) -> dict[str, Any]:
    data: dict[str, Any] = _found(workspace(request, viewer).graph_json, ego, hops)
    if len(data["nodes"]) > max_nodes:
        raise HTTPException(
            422, f"ego: the graph has {len(data['nodes'])} nodes, over max_nodes={max_nodes}"
        )
    return data


@router.get("/graph.graphml", summary="The whole link graph as GraphML", response_class=Response)
def graph_graphml(request: Request, viewer: CurrentViewer) -> Response:
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "graph.graphml"
        workspace(request, viewer).link_graph().graph.write_graphml(path)
        return Response(path.read_bytes(), media_type="application/graphml+xml")


@router.get("/path", summary="Shortest path between two entities")
def path(request: Request, viewer: CurrentViewer, source: str, target: str) -> list[dict[str, str]]:
    result: list[dict[str, str]] = _found(workspace(request, viewer).path, source, target)
    return result


@router.get("/brokers", summary="Key players by betweenness")
def brokers(
    request: Request, viewer: CurrentViewer, top: Annotated[int, Query(ge=1, le=500)] = 10
) -> list[dict[str, Any]]:
    return workspace(request, viewer).brokers(top)


@router.get("/routes", summary="Top routes, routes per form of exploitation, new routes")
def routes(
    request: Request,
    viewer: CurrentViewer,
    form: str | None = None,
    new_since: Period = "",
) -> dict[str, Any]:
    return workspace(request, viewer).routes(form, new_since)


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
) -> list[dict[str, Any]]:
    baseline = (baseline_start, baseline_end) if baseline_start or baseline_end else None
    return workspace(request, viewer).hotspots(kind, resolution, (start, end), baseline)


@router.get("/trends", summary="Detected victims and suspects in Global Report tables")
def trends(request: Request, viewer: CurrentViewer) -> dict[str, dict[str, int]]:
    return workspace(request, viewer).trends()


@router.get("/risk", summary="Indicator-based risk scores with the records behind them")
def risk(
    request: Request,
    viewer: CurrentViewer,
    top: Annotated[int, Query(ge=1, le=1000)] = 50,
    use_victim_records: bool = True,
) -> list[dict[str, Any]]:
    return workspace(request, viewer).risk(top, use_victim_records)


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
    title: Annotated[str, Query(max_length=200)] = "Trafficking in persons",
) -> Response:
    data = workspace(request, viewer).report(title, f"records visible to {viewer.agency}")
    if format == "pdf":
        return Response(render_pdf(data), media_type="application/pdf")
    return HTMLResponse(render_html(data))
