"""Errors as RFC 9457 problem details, naming the failing field where there is one."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from palermo.access.viewer import AccessDenied, NotVisible
from palermo.store.directory import DirectoryError

PROBLEM = "application/problem+json"
# Where FastAPI says a bad input came from; the field name alone is what a caller needs.
LOCATIONS = ("body", "query", "path", "header", "cookie")


def problem(status: int, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


def install(app: FastAPI) -> None:
    @app.exception_handler(AccessDenied)
    async def denied(_: Request, exc: AccessDenied) -> JSONResponse:
        return problem(403, "Forbidden", str(exc))

    @app.exception_handler(NotVisible)
    async def not_visible(_: Request, exc: NotVisible) -> JSONResponse:
        field = str(exc).split(":", 1)[0] if ":" in str(exc) else ""
        return problem(404, "Not found", str(exc), field=field)

    @app.exception_handler(DirectoryError)
    async def directory(_: Request, exc: DirectoryError) -> JSONResponse:
        field = str(exc).split(":", 1)[0]
        return problem(400, "Bad request", str(exc), field=field)

    @app.exception_handler(ValueError)
    async def bad_value(_: Request, exc: ValueError) -> JSONResponse:
        field = str(exc).split(":", 1)[0] if ":" in str(exc) else ""
        return problem(400, "Bad request", str(exc), field=field)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "field": ".".join(str(p) for p in e.get("loc", ()) if p not in LOCATIONS),
                "reason": e.get("msg", ""),
            }
            for e in exc.errors()
        ]
        first = errors[0] if errors else {"field": "", "reason": "invalid request"}
        return problem(
            422,
            "Invalid request",
            f"{first['field']}: {first['reason']}",
            field=first["field"],
            errors=errors,
        )

    @app.exception_handler(HTTPException)
    async def http(_: Request, exc: HTTPException) -> JSONResponse:
        return problem(exc.status_code, str(exc.detail), str(exc.detail))

    @app.exception_handler(Exception)
    async def crash(_: Request, exc: Exception) -> JSONResponse:
        return problem(500, "Internal error", type(exc).__name__)
