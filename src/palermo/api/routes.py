"""Version 1 of the REST API: entities, search, agencies, audit."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from palermo.access.viewer import Viewer
from palermo.api.auth import current_viewer, store_of
from palermo.api.problems import problem
from palermo.api.schemas import MAX_INT, AgencyOut, AuditOut, EntityOut, Me, Page

router = APIRouter(prefix="/api/v1")
CurrentViewer = Annotated[Viewer, Depends(current_viewer)]


@router.get("/me", response_model=Me, tags=["identity"])
def me(viewer: CurrentViewer) -> Me:
    """The caller as the server sees it."""
    return Me(username=viewer.username, agency=viewer.agency, roles=sorted(viewer.roles))


@router.get("/entities", response_model=Page, tags=["entities"])
def list_entities(
    request: Request,
    viewer: CurrentViewer,
    schema: Annotated[
        str | None, Query(description="Only this schema and its sub-schemata", examples=["Person"])
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_INT)] = 0,
) -> Page | Response:
    """Entities the caller's agency may see, each value with its source and sharing."""
    try:
        return page_of(request, viewer, schema, limit, offset)
    except ValueError as exc:
        return problem(400, "Bad request", str(exc), field="schema")


def page_of(request: Request, viewer: Viewer, schema: str | None, limit: int, offset: int) -> Page:
    """One page of visible entities; `next_offset` is None on the last page."""
    found = store_of(request).entities(viewer, schema=schema, limit=limit + 1, offset=offset)
    return Page(
        results=[EntityOut.of(e) for e in found[:limit]],
        limit=limit,
        offset=offset,
        next_offset=offset + limit if len(found) > limit else None,
    )


@router.get(
    "/entities/{entity_id:path}",
    response_model=EntityOut,
    tags=["entities"],
    responses={404: {"description": "No such entity, or none of it is shared with you"}},
)
def get_entity(request: Request, viewer: CurrentViewer, entity_id: str) -> EntityOut | Response:
    """One entity as the caller may see it (404 when nothing of it is visible).

    The id may contain `/` (as the ids of some agencies do), literally or as `%2F`."""
    entity = store_of(request).entity(viewer, entity_id)
    if entity is None:
        return problem(
            404, "Not found", f"entity_id: no visible entity {entity_id!r}", field="entity_id"
        )
    return EntityOut.of(entity)


@router.get("/search", response_model=list[EntityOut], tags=["entities"])
def search(
    request: Request,
    viewer: CurrentViewer,
    q: Annotated[
        str,
        Query(min_length=2, max_length=200, description="Name or identifier", examples=["petrov"]),
    ],
    schema: Annotated[str | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[EntityOut] | Response:
    """Substring search over names and identifiers the caller may see (`%` and `_` are
    literal characters, not wildcards)."""
    if "\x00" in q:
        return problem(422, "Invalid request", "q: must not contain NUL characters", field="q")
    try:
        found = store_of(request).search(viewer, q, schema=schema, limit=limit)
    except ValueError as exc:
        return problem(400, "Bad request", str(exc), field="schema")
    return [EntityOut.of(e) for e in found]


@router.get("/agencies", response_model=list[AgencyOut], tags=["directory"])
def agencies(request: Request, viewer: CurrentViewer) -> list[AgencyOut]:
    """The member agencies this node knows."""
    return [
        AgencyOut(code=a.code, name=a.name, country=a.country, kind=a.kind, groups=list(a.groups))
        for a in store_of(request).agencies()
    ]


@router.get("/audit/verify", response_model=AuditOut, tags=["audit"])
def audit_verify(request: Request, viewer: CurrentViewer) -> AuditOut:
    """Recompute the audit hash chain (admins and supervisors)."""
    from palermo.access.viewer import AccessDenied, Role

    if not viewer.roles & {Role.ADMIN, Role.SUPERVISOR}:
        raise AccessDenied(f"{viewer.username}@{viewer.agency} may not verify the audit log")
    report = store_of(request).audit_verify()
    return AuditOut(
        ok=report.ok,
        rows_checked=report.rows_checked,
        broken_seq=report.broken_seq,
        reason=report.reason,
    )
