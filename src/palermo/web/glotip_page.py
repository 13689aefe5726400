"""The country's GLOTIP submission in the browser: the tables, each number's records, the
download (issue 20, ADR 0028 amendment).

The page calls what `GET /api/v1/glotip/submission` calls (`glotip_submission.from_store`,
as the logged-in user) and audits each view the same way, so the browser shows nothing the
API would not: the agency's own records only, the victim tables only for victim-support
(otherwise the withheld note says why), "<5" for 1 to 4 as UNODC publishes. Each number
links to its trace, a page listing the records behind the cell (each read again as the
user) with links to them. The year is chosen with a GET form; a year that is not one is
shown next to the select, never a traceback. The download buttons are the API's own URLs.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from palermo.access.viewer import AccessDenied
from palermo.analysis import glotip_submission as gs
from palermo.api.auth import optional_viewer, store_of
from palermo.api.glotip_routes import audit, cell_name, readable_records
from palermo.web.court_change_forms import router as court_change_forms
from palermo.web.court_forms import router as court_forms
from palermo.web.csrf import csrf_protect
from palermo.web.render import page

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
router.include_router(court_forms)  # one line in web.routes.mount registers both
router.include_router(court_change_forms)  # correct and retract (issue 20)
FIRST_YEAR = 2000  # the API's lower bound (api.glotip_routes.Year)
YearText = Annotated[str, Query(max_length=8)]


def years() -> list[int]:
    """The years the select offers: this year back to FIRST_YEAR."""
    return list(range(datetime.now(UTC).year, FIRST_YEAR - 1, -1))


def year_of(text: str) -> int:
    """The chosen year, or a ValueError worded for the field."""
    if not text.strip().isdigit() or int(text) not in years():
        raise ValueError(f"year: {text[:8]!r} is not a year from {FIRST_YEAR} to {years()[0]}")
    return int(text)


def grouped(sub: gs.Submission) -> dict[str, list[tuple[gs.Cell, str]]]:
    """Indicator -> its cells with their trace names, in the submission's order."""
    out: dict[str, list[tuple[gs.Cell, str]]] = {}
    for cell in sub.cells:
        out.setdefault(cell.key.indicator, []).append((cell, cell_name(cell.key)))
    return out


def refused(request: Request, exc: Exception) -> Response:
    response = page(request, "message.html", title="Not allowed", text=str(exc).splitlines()[0])
    response.status_code = 403
    return response


@router.get("/glotip", response_class=HTMLResponse)
def glotip_page(request: Request, year: YearText = "") -> Response:
    viewer = optional_viewer(request)
    if viewer is None:
        return RedirectResponse("/login", status_code=303)
    context: dict[str, Any] = {
        "years": years(),
        "chosen": year,
        "errors": {},
        "sub": None,
        "groups": {},
    }
    if not year:
        return page(request, "glotip_submission.html", **context)
    try:
        chosen = year_of(year)
        sub = gs.from_store(store_of(request), viewer, chosen)
    except AccessDenied as exc:
        return refused(request, exc)
    except ValueError as exc:
        text = str(exc).splitlines()[0]
        field = "year" if text.startswith("year:") else "form"
        response = page(request, "glotip_submission.html", **context | {"errors": {field: text}})
        response.status_code = 422
        return response
    ids = sorted({r for c in sub.cells for r in c.records})
    audit(request, viewer, "submission", f"year {chosen}", format="web", cells=len(sub.cells),
          withheld=len(sub.withheld), ids=ids)  # fmt: skip
    context |= {"chosen": str(chosen), "sub": sub, "groups": grouped(sub)}
    return page(request, "glotip_submission.html", **context)


@router.get("/glotip/trace", response_class=HTMLResponse)
def glotip_trace(
    request: Request, year: YearText = "", cell: Annotated[str, Query(max_length=1000)] = ""
) -> Response:
    """The records behind one cell; a bad year or cell is a 422 page naming it."""
    viewer = optional_viewer(request)
    if viewer is None:
        return RedirectResponse("/login", status_code=303)
    try:
        chosen = year_of(year)
        key = gs.parse_cell(cell)
        sub = gs.from_store(store_of(request), viewer, chosen)
    except AccessDenied as exc:
        return refused(request, exc)
    except ValueError as exc:
        text = str(exc).splitlines()[0].replace("--trace:", "cell:")
        response = page(request, "message.html", title="Not a cell", text=text)
        response.status_code = 422
        return response
    found = sub.cell(key)
    records = readable_records(store_of(request), viewer, found) if found is not None else []
    audit(request, viewer, "trace", cell, year=chosen, format="web", ids=[e.id for e in records])
    return page(request, "glotip_trace.html", year=chosen, key=key, cell=found, records=records)
