"""The API's own documentation (/openapi.json, /docs, /redoc), for logged-in users only.

The pages load Swagger UI and ReDoc from this node's static folder (npm packages copied
by scripts/vendor.sh), never from a CDN: a script from a public CDN would run with the
analyst's session on the API's origin. The schema lists every route and field, so it is
shown only to a signed-in user (cookie or bearer token), unless the operator publishes it
with ``PALERMO_PUBLIC_API_DOCS=1``.
"""

from __future__ import annotations

import os

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from palermo.api.auth import store_of, token_of

SWAGGER_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>palermo API</title>
<link rel="stylesheet" href="/static/vendor/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/static/vendor/swagger-ui-bundle.js"></script>
<script src="/static/js/swagger-init.js"></script></body></html>
"""
REDOC_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>palermo API</title></head>
<body><redoc spec-url="/openapi.json" disable-search-indexing="false"></redoc>
<script src="/static/vendor/redoc.standalone.js"></script></body></html>
"""


def published(app: FastAPI) -> bool:
    flag = getattr(app.state, "public_docs", None)
    if flag is None:
        flag = os.environ.get("PALERMO_PUBLIC_API_DOCS", "").lower() in ("1", "true", "yes")
    return bool(flag)


async def _signed_in(request: Request) -> bool:
    if published(request.app):
        return True
    token = token_of(request)
    if not token:
        return False
    store = store_of(request)
    viewer = store.cached_viewer(token) or await run_in_threadpool(store.viewer_for_token, token)
    return viewer is not None and not viewer.is_precheck  # pre-check accounts: no API map


def install(app: FastAPI) -> None:
    """Routes for the schema and both documentation pages (the app is made without them)."""

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi(request: Request) -> JSONResponse:
        if not await _signed_in(request):
            raise HTTPException(401, "authentication required: a valid bearer token")
        return JSONResponse(app.openapi())

    @app.get("/docs", include_in_schema=False)
    async def swagger(request: Request) -> Response:
        if not await _signed_in(request):
            return RedirectResponse("/login", status_code=303)
        return HTMLResponse(SWAGGER_PAGE)

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> Response:
        if not await _signed_in(request):
            return RedirectResponse("/login", status_code=303)
        return HTMLResponse(REDOC_PAGE)
