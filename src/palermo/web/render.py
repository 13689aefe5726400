"""Rendering pages: one Jinja environment, the logged-in viewer and the model in context."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from palermo.api.auth import optional_viewer
from palermo.model.schemata import model

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
templates.env.filters["joined"] = lambda entity, prop: ", ".join(entity.values(prop))
VENDOR = HERE / "static" / "vendor"


def page(request: Request, name: str, **context: Any) -> HTMLResponse:
    viewer = optional_viewer(request)
    return templates.TemplateResponse(
        request,
        name,
        {"viewer": viewer, "model": model, "vendor": VENDOR.exists(), **context},
    )
