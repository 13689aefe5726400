"""The application factory: one FastAPI app serves the API and the web UI."""

from __future__ import annotations

from fastapi import FastAPI

from palermo import __version__
from palermo.api import problems
from palermo.api.limits import RateLimit
from palermo.api.routes import router
from palermo.store.store import Store


def create_app(
    store: Store | None = None, db_url: str | None = None, rate_limit: float | None = None
) -> FastAPI:
    app = FastAPI(
        title="palermo",
        version=__version__,
        description="Federated intelligence against human trafficking. Every response "
        "contains only what the caller's agency may see; every call is audited.",
    )
    app.state.store = store or Store.open(db_url)
    app.add_middleware(RateLimit, rate=rate_limit)
    problems.install(app)
    # Screening first: routes match in order, and document checks are the hottest path.
    from palermo.api.screening_routes import router as screening_api

    app.include_router(screening_api)
    app.include_router(router)
    from palermo.api.exchange_routes import router as exchange_api
    from palermo.exchange.http import router as exchange_router

    app.include_router(exchange_api)
    from palermo.api.coordination_routes import router as coordination_api

    app.include_router(coordination_api)
    from palermo.api.screening_routes import xref_router

    app.include_router(xref_router)
    from palermo.api.analysis_routes import router as analysis_api

    app.include_router(analysis_api)
    app.include_router(exchange_router)
    try:
        from palermo.web.routes import mount
    except ModuleNotFoundError:
        return app
    mount(app)
    return app
