"""The identity ledger over HTTP (issue 15): `/api/v1/identities`.

`POST /resolve` runs the batch resolution of the caller's view (the ledger fills with its
merges and splits); `GET /ledger` pages the view's entries, newest first; `GET
/ledger/{seq}` reads one; `POST /ledger/{seq}/undo` undoes a merge or split. All four are
`match.ledger_access`, the same functions the web page and the CLI call: another view's
entry is a 404, a bad field a 400 naming it, every call audited. Each reads for the
declared purpose (`Palermo-Purpose` or `purpose`, H0, ADR 0051): an entry that rests on
values withheld from it is held (listed, not shown, not undoable). The routes are plain
functions, so FastAPI runs them in its worker threads (a resolve takes seconds).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query, Request
from pydantic import BaseModel, Field

from palermo.access.viewer import Viewer
from palermo.api.auth import current_viewer, store_of
from palermo.api.read_purpose import DeclaredPurpose
from palermo.match import ledger_access

router = APIRouter(prefix="/api/v1/identities", tags=["cross-referencing"])
CurrentViewer = Annotated[Viewer, Depends(current_viewer)]
Seq = Annotated[int, Path(ge=1, le=2**62, description="The ledger entry's number")]


class UndoIn(BaseModel):
    reason: str = Field("", max_length=ledger_access.MAX_REASON)


@router.post("/resolve")
def resolve_view(
    request: Request,
    viewer: CurrentViewer,
    threshold: Annotated[float, Query(gt=0, le=1)] = 0.9,
) -> dict[str, Any]:
    """Resolve every person record the caller may see; returns the new ledger entries."""
    return ledger_access.resolve(store_of(request), viewer, threshold).to_json()


@router.get("/ledger")
def list_ledger(
    request: Request,
    viewer: CurrentViewer,
    offset: Annotated[int, Query(ge=0, le=ledger_access.MAX_OFFSET)] = 0,
    limit: Annotated[int, Query(ge=1, le=ledger_access.MAX_PAGE)] = 20,
    purpose: DeclaredPurpose = "",
) -> dict[str, Any]:
    """The caller's view's merges, splits and undos, newest first, for the declared purpose:
    a name stated (H0) for another shows as the id, evidence leaves out what read a
    withheld value, and an entry whose records only withheld values joined is `held` (the
    marker and `ask`, the agencies to ask) with no records, evidence or undo."""
    store = store_of(request).for_purpose(purpose)
    total, items = ledger_access.ledger_page(store, viewer, limit, offset)
    return {
        "total": total,
        "offset": offset,
        "limit": limit,
        "items": [i.to_json() for i in items],
    }


@router.get("/of/{record_id}")
def identity_of(
    request: Request,
    viewer: CurrentViewer,
    record_id: Annotated[str, Path(max_length=ledger_access.MAX_ID)],
    purpose: DeclaredPurpose = "",
) -> dict[str, Any]:
    """The identity a record belongs to in the caller's view (resolved in batch or on
    arrival), with the records of it the caller may see (captions for the purpose)."""
    store = store_of(request).for_purpose(purpose)
    found = ledger_access.identity_of(store, viewer, record_id)
    return asdict(found)


@router.get("/ledger/{seq}")
def read_entry(
    request: Request, viewer: CurrentViewer, seq: Seq, purpose: DeclaredPurpose = ""
) -> dict[str, Any]:
    store = store_of(request).for_purpose(purpose)  # captions for the declared purpose
    return ledger_access.ledger_entry(store, viewer, seq).to_json()


@router.post("/ledger/{seq}/undo")
def undo_entry(
    request: Request,
    viewer: CurrentViewer,
    seq: Seq,
    body: Annotated[UndoIn | None, Body()] = None,
    purpose: DeclaredPurpose = "",
) -> dict[str, Any]:
    """Undo a merge or split: the identities as they were before it, kept so by a judgement;
    returns the undo entry. An entry that rests on values withheld from the declared purpose
    (`held` in the list) is a 403: what may not be seen is not acted on."""
    reason = body.reason if body is not None else ""
    store = store_of(request).for_purpose(purpose)
    return ledger_access.undo_entry(store, viewer, seq, reason).to_json()
