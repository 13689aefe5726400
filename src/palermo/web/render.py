"""Rendering pages: one Jinja environment, the logged-in viewer and the model in context."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from palermo.api.auth import optional_viewer
from palermo.api.read_purpose import session_purpose
from palermo.model.handling_merge import Marking
from palermo.model.handling_terms import PURPOSES
from palermo.model.schemata import model
from palermo.store.entity_marking import policy_marking
from palermo.store.purpose_view import withheld_note
from palermo.web.csrf import set_pre_session_cookie, token_for_page

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
templates.env.filters["joined"] = lambda entity, prop: ", ".join(entity.values(prop))


def id_path(entity_id: object) -> str:
    """An id as one URL path segment: ``/``, ``?``, ``#``, ``%`` and the rest encoded, so
    ids like ``ng-naptip.NAPTIP/0000007`` link to their page (``/entities/{id:path}``)."""
    return quote(str(entity_id), safe="")


templates.env.filters["id_path"] = id_path
templates.env.filters["marking"] = policy_marking  # _handling.html: codes, purposes, H3
templates.env.filters["withheld_note"] = withheld_note  # _withheld.html (H0, ADR 0051)


def restriction_words(marking_text: str) -> str:
    """A derived marking's codes in words ("H0 (for analysis only), H1"), or "" when it
    restricts nothing: the text alternative of a dashed node or line in a chart."""
    marking = Marking.parse(marking_text) if marking_text else Marking()
    return marking.words.rsplit("; grade", 1)[0] if marking.codes else ""


templates.env.filters["restriction_words"] = restriction_words
VENDOR = HERE / "static" / "vendor"


def page(request: Request, name: str, **context: Any) -> HTMLResponse:
    """A template with the viewer, the model and the CSRF token its forms must carry (the
    login page gets a pre-session token, set as a cookie here when the browser has none),
    and the session's declared purpose for the header bar's form (ADR 0051)."""
    viewer = optional_viewer(request)
    csrf, fresh = token_for_page(request, login_form=name == "login.html")
    response = templates.TemplateResponse(
        request,
        name,
        {
            "viewer": viewer,
            "model": model,
            "vendor": VENDOR.exists(),
            "csrf": csrf,
            "session_purpose": session_purpose(request),
            "purposes": PURPOSES,
            **context,
        },
    )
    if fresh is not None:
        set_pre_session_cookie(request, response, fresh)
    return response
