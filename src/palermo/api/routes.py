"""Version 1 of the REST API: entities, search, agencies, audit."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel
from starlette.responses import Response

from palermo.access.viewer import Viewer
from palermo.api.auth import current_viewer, store_of
from palermo.api.problems import problem
from palermo.api.read_purpose import DeclaredPurpose, HeaderPurpose, search_purpose
from palermo.api.schemas import MAX_INT, AgencyOut, AuditOut, EntityOut, Me, Page
from palermo.coordination import hit_notices

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
    purpose: DeclaredPurpose = "",
) -> Page | Response:
    """Entities the caller's agency may see, each value with its source and sharing; values
    stated (H0) for other purposes than the declared one are left out (``withheld``)."""
    try:
        return page_of(request, viewer, schema, limit, offset, purpose)
    except ValueError as exc:
        return problem(400, "Bad request", str(exc), field="schema")


def page_of(
    request: Request,
    viewer: Viewer,
    schema: str | None,
    limit: int,
    offset: int,
    purpose: str | None = None,
) -> Page:
    """One page of visible entities; `next_offset` is None on the last page. ``purpose``
    is the read's declared H0 purpose (None: every value, for internal callers)."""
    found = store_of(request).entities(
        viewer, schema=schema, limit=limit + 1, offset=offset, purpose=purpose
    )
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
def get_entity(
    request: Request, viewer: CurrentViewer, entity_id: str, purpose: DeclaredPurpose = ""
) -> EntityOut | Response:
    """One entity as the caller may see it (404 when nothing of it is visible), without the
    values stated (H0) for other purposes than the declared one (named under ``withheld``).

    The id may contain `/` (as the ids of some agencies do), literally or as `%2F`."""
    entity = store_of(request).entity(viewer, entity_id, purpose=purpose)
    if entity is None:
        return problem(
            404, "Not found", f"entity_id: no visible entity {entity_id!r}", field="entity_id"
        )
    return EntityOut.of(entity)


class FacetCount(BaseModel):
    value: str
    count: int


class SearchPage(BaseModel):
    """A search answer with ``facets=true``: one page, the number of visible matches and
    the facet counts over all of them (schema, agency, country, topic)."""

    results: list[EntityOut]
    total: int
    truncated: bool
    limit: int
    offset: int
    next_offset: int | None
    facets: dict[str, list[FacetCount]]


@router.get("/search", response_model=list[EntityOut] | SearchPage, tags=["entities"])
def search(
    request: Request,
    response: Response,
    viewer: CurrentViewer,
    q: Annotated[
        str,
        Query(
            min_length=2,
            max_length=200,
            description="Names (any script) and identifiers (any spacing or format)",
            examples=["petrov", "YF 973 2979"],
        ),
    ],
    schema: Annotated[str | None, Query(description="This schema and its sub-schemata")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
    agency: Annotated[str | None, Query(max_length=64, description="Facet filter")] = None,
    country: Annotated[str | None, Query(max_length=64, description="Facet filter")] = None,
    topic: Annotated[str | None, Query(max_length=64, description="Facet filter")] = None,
    facets: Annotated[bool, Query(description="Answer with total and facet counts")] = False,
    purpose: Annotated[
        str | None,
        Query(
            max_length=300,
            description="Told to the owners of records hit; when it is a coded purpose it is "
            "also the read's H0 purpose (unless the Palermo-Purpose header names one)",
        ),
    ] = None,
    declared: HeaderPurpose = "",
) -> list[EntityOut] | SearchPage | Response:
    """Every word must match a name part or identifier the caller may read unmasked (the
    last word as a prefix); exact identifier matches first. The plain answer is the list
    of entities, with the number of matches in ``X-Total-Count``; ``facets=true`` answers
    with a page object that carries the facet counts too. A hit is listed whatever its
    handling; values stated (H0) for other purposes than the declared one are left out
    and named under ``withheld`` (ADR 0051)."""
    if "\x00" in q:
        return problem(422, "Invalid request", "q: must not contain NUL characters", field="q")
    h0 = search_purpose(declared, purpose, request)
    try:
        found = store_of(request).search(
            viewer,
            q,
            schema,
            limit,
            offset,
            agency=agency,
            country=country,
            topic=topic,
            purpose=h0,
        )
        hit_notices.notify_ids(store_of(request), viewer, [e.id for e in found], "search", purpose)
    except ValueError as exc:
        return problem(400, "Bad request", str(exc), field=str(exc).split(":", 1)[0])
    results = [EntityOut.of(e) for e in found]
    response.headers["X-Total-Count"] = str(found.total)
    if not facets:
        return results
    return SearchPage(
        results=results,
        total=found.total,
        truncated=found.truncated,
        limit=limit,
        offset=offset,
        next_offset=offset + limit if offset + limit < found.total else None,
        facets={
            name: [FacetCount(value=v, count=c) for v, c in counts]
            for name, counts in found.facets.items()
        },
    )


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
