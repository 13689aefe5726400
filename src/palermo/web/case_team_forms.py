"""The case page's lead-only forms: add an agency to the team, publish for deconfliction.

Both call what the REST API calls (`cases.add_to_team` as POST /api/v1/cases/{id}/team,
`deconfliction.publish_case` as POST /api/v1/cases/{id}/deconfliction) as the logged-in
user, so the browser is allowed exactly what the API allows: a member, an observer or an
agency off the team is refused by those functions, not by this module. A refusal re-renders
the case page with the message next to the form (`case_forms._post`); every POST carries
the session's CSRF token.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from palermo.access.viewer import Viewer
from palermo.api.auth import store_of
from palermo.api.schemas import SHORT
from palermo.coordination import cases, deconfliction
from palermo.web.case_forms import FieldError, _post
from palermo.web.csrf import csrf_protect

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])


@router.post("/cases/{case_id:path}/team")
def add_team_member(
    request: Request,
    case_id: str,
    agency: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "member",
) -> Response:
    """Share the case, its tasks and notes with one more agency (the lead only)."""
    values = {"agency": agency, "role": role}

    def run(viewer: Viewer) -> None:
        code = agency.strip()
        if not code:
            raise FieldError("agency: pick the agency to add")
        if len(code) > SHORT or len(role) > SHORT:
            raise FieldError(f"agency: longer than {SHORT} characters")
        cases.add_to_team(store_of(request), viewer, case_id, code, role.strip())

    return _post(request, case_id, "team", values, ("agency", "role"), run)


@router.post("/cases/{case_id:path}/deconfliction")
def publish(request: Request, case_id: str) -> Response:
    """Publish the case's identifiers for deconfliction (the owning lead agency only); a hit
    with another agency's case is recorded now and shows on /hits."""

    def run(viewer: Viewer) -> None:
        try:
            deconfliction.publish_case(store_of(request), viewer, case_id)
        except deconfliction.RateLimited as exc:
            raise FieldError(f"publish: {str(exc).splitlines()[0]}") from None

    return _post(request, case_id, "publish", {}, ("publish",), run)
