"""``GET /api/v1/export``: the CLI's export over HTTP, for a declared purpose only.

The lines are chosen by `store.marked_export.marked_lines` (H0 purposes, then H1 court
consent) and written by `store.export_format`, the same two functions ``palermo export``
calls, so the API cannot export what the CLI would refuse. Unlike the CLI, the API requires
the purpose (ADR 0041): a file fetched over HTTP leaves the node for a use nobody states
otherwise. Refused lines are named in response headers (the body is the file itself).
The body is spooled to a temporary file first, so the refusals are known before the
headers are sent and a large export does not sit in memory.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import IO, Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from palermo.access.viewer import Viewer
from palermo.api.auth import current_viewer, store_of
from palermo.model.handling_terms import PURPOSES
from palermo.store.export_format import write_lines
from palermo.store.marked_export import Refused, check_export_purpose, marked_lines

router = APIRouter(prefix="/api/v1", tags=["export"])
CurrentViewer = Annotated[Viewer, Depends(current_viewer)]
MEDIA = {"ftm": "application/x-ndjson", "csv": "text/csv"}
NAMED_REFUSALS = 50  # reasons repeated in the header; the count is always complete
SPOOL = 8 * 1024 * 1024  # bytes kept in memory before the body goes to a temporary file

FTM_EXAMPLE = (
    '{"id": "de-bka.p1", "schema": "Person", "properties": {"name": ["Ivan Petrov"]}, '
    '"handling": "H0:investigation,H3:ask DE-BKA first|B2", "restrictions": '
    '["ask DE-BKA first"]}\n'
)
CSV_EXAMPLE = (
    "entity_id,schema,prop,value,agency,first_seen,last_seen,policy_id,handling,restrictions\n"
    "de-bka.p1,Person,name,Ivan Petrov,DE-BKA,2026-01-05T10:00:00+00:00,,pol-1,"
    '"H0:investigation,H3:ask DE-BKA first|B2",ask DE-BKA first\n'
)
RESPONSES: dict[int | str, dict[str, object]] = {
    200: {
        "description": "The export file. Lines refused for the purpose are left out and "
        "named in the headers.",
        "content": {
            "application/x-ndjson": {"example": FTM_EXAMPLE},
            "text/csv": {"example": CSV_EXAMPLE},
        },
        "headers": {
            "Palermo-Purpose": {
                "description": "the declared purpose",
                "schema": {"type": "string"},
            },
            "Palermo-Refused-Count": {
                "description": "lines left out for the purpose (H0, or H1 without consent)",
                "schema": {"type": "integer"},
            },
            "Palermo-Refused": {
                "description": f"the first {NAMED_REFUSALS} reasons, separated by ' | ', "
                "e.g. 'de-bka.p1: H0 value(s) of DE-BKA stated for investigation only'",
                "schema": {"type": "string"},
            },
        },
    },
    400: {"description": "purpose or format is not one of the known values (names the field)"},
}


def _header_text(refused: list[Refused]) -> str:
    """The first refusal reasons as one header value (ASCII: non-ASCII escaped)."""
    text = " | ".join(r.reason for r in refused[:NAMED_REFUSALS])
    return text.encode("ascii", "backslashreplace").decode("ascii")


def _spooled(
    request: Request, viewer: Viewer, schema: str | None, fmt: str, purpose: str
) -> tuple[IO[str], list[Refused]]:
    # closed by `_stream` once the response has been sent
    body = tempfile.SpooledTemporaryFile(SPOOL, mode="w+", encoding="utf-8", newline="")  # noqa: SIM115
    try:
        refused = write_lines(marked_lines(store_of(request), viewer, schema, purpose), fmt, body)
    except BaseException:
        body.close()
        raise
    body.seek(0)
    return body, refused


def _stream(body: IO[str]) -> Iterator[str]:
    try:
        while chunk := body.read(64 * 1024):
            yield chunk
    finally:
        body.close()


@router.get(
    "/export",
    summary="Export what the caller may see, for a declared purpose (FtM JSON lines or CSV)",
    response_class=StreamingResponse,
    responses=RESPONSES,
)
async def export(
    request: Request,
    viewer: CurrentViewer,
    purpose: Annotated[
        str,
        Query(
            description="The declared use, one of: " + ", ".join(PURPOSES) + ". Lines holding "
            "another agency's value whose H0 states other purposes are left out (and, for "
            "court, lines with another agency's H1 value lacking recorded consent).",
            examples=["investigation"],
            max_length=40,
        ),
    ],
    format: Literal["ftm", "csv"] = "ftm",
    schema: Annotated[
        str | None, Query(description="only this schema (and sub-schemata)", max_length=80)
    ] = None,
) -> StreamingResponse:
    """Every entity the caller's agency may see, each line with its handling codes and
    grade and its H3 restrictions in words, exactly as ``palermo export --purpose``
    writes it. Every page read is audited, and the export itself with its purpose."""
    purpose = check_export_purpose(purpose)  # a ValueError answers 400 naming `purpose`
    body, refused = await run_in_threadpool(_spooled, request, viewer, schema, format, purpose)
    detail = {"format": format, "schema": schema, "refused": [r.entity_id for r in refused]}
    await store_of(request).audit_event_async(viewer, "export", purpose, detail)
    headers = {"Palermo-Purpose": purpose, "Palermo-Refused-Count": str(len(refused))}
    if refused:
        headers["Palermo-Refused"] = _header_text(refused)
    return StreamingResponse(_stream(body), media_type=MEDIA[format], headers=headers)
