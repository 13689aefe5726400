"""The application factory: one FastAPI app serves the API and the web UI."""

from __future__ import annotations

import os

from fastapi import FastAPI

from palermo import __version__
from palermo.api import docs, problems
from palermo.api.body_limits import BodyLimit
from palermo.api.limits import LoginPolicy, RateLimit
from palermo.api.observability import Observability, RequestMetrics
from palermo.api.routes import router
from palermo.api.security import SecurityHeaders
from palermo.store.store import Store


def create_app(
    store: Store | None = None,
    db_url: str | None = None,
    rate_limit: float | None = None,
    login_policy: LoginPolicy | None = None,
    public_docs: bool | None = None,
) -> FastAPI:
    """The app. ``login_policy`` defaults to the environment's (PALERMO_LOGIN_*);
    ``public_docs`` publishes /docs, /redoc and /openapi.json without login (default: the
    PALERMO_PUBLIC_API_DOCS switch)."""
    app = FastAPI(
        title="palermo",
        version=__version__,
        description="Federated intelligence against human trafficking. Every response "
        "contains only what the caller's agency may see; every call is audited.",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.store = store or Store.open(db_url)
    app.state.login_policy = login_policy or LoginPolicy.from_env()
    app.state.public_docs = public_docs
    app.add_middleware(RateLimit, rate=rate_limit)
    app.add_middleware(BodyLimit)  # inside SecurityHeaders, so a 413 carries the headers too
    app.add_middleware(SecurityHeaders)
    app.state.request_metrics = RequestMetrics()
    app.add_middleware(Observability, metrics=app.state.request_metrics)  # outermost: times all
    problems.install(app)
    docs.install(app)
    from palermo.api.health import router as health_router

    app.include_router(health_router)
    # Screening first: routes match in order, and document checks are the hottest path.
    from palermo.api.screening_routes import router as screening_api

    app.include_router(screening_api)
    from palermo.api.mrz_routes import router as mrz_api

    app.include_router(mrz_api)
    from palermo.api.correction_routes import router as correction_api

    app.include_router(correction_api)
    from palermo.api.precheck_routes import router as precheck_api

    app.include_router(precheck_api)
    app.include_router(router)
    from palermo.api.exchange_routes import router as exchange_api
    from palermo.exchange.http import router as exchange_router

    app.include_router(exchange_api)
    from palermo.api.coordination_routes import router as coordination_api

    app.include_router(coordination_api)
    from palermo.api.screening_routes import xref_router

    app.include_router(xref_router)
    from palermo.api.review_routes import router as review_api

    app.include_router(review_api)
    app.include_router(__import__("palermo.api.ledger_routes", fromlist=["router"]).router)
    app.include_router(__import__("palermo.api.retention_routes", fromlist=["router"]).router)
    app.include_router(__import__("palermo.api.pprl_routes", fromlist=["router"]).router)
    app.include_router(__import__("palermo.api.handling_routes", fromlist=["router"]).router)
    app.include_router(__import__("palermo.api.export_routes", fromlist=["router"]).router)
    from palermo.api.analysis_routes import router as analysis_api

    app.include_router(analysis_api)
    app.include_router(__import__("palermo.api.glotip_routes", fromlist=["router"]).router)
    app.include_router(__import__("palermo.api.court_routes", fromlist=["router"]).router)
    app.include_router(__import__("palermo.api.admin_routes", fromlist=["router"]).router)
    app.include_router(exchange_router)
    from palermo.exchange.psi_exchange import router as deconfliction_router

    app.include_router(deconfliction_router)
    try:
        from palermo.web.routes import mount
    except ModuleNotFoundError:
        return app
    mount(app)
    return app


def app_from_env() -> FastAPI:
    """The app of one worker process of ``palermo serve --workers N``: its own store on
    ``$PALERMO_DB``, listening for the other workers' writes."""
    from palermo.match import warm_up

    store = Store.open(os.environ.get("PALERMO_DB"), upgrade=False)
    store.listen_for_changes()
    warm_up.in_background()  # each worker process holds its own name tables
    return create_app(store)
