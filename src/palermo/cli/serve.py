"""``palermo serve``: the API and web UI on one port."""

from __future__ import annotations

from typing import Annotated

import typer

from palermo.cli.common import console, open_store


def serve_command(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    sync_interval: Annotated[
        float, typer.Option(help="Seconds between sync retries to peers (0: no sync worker)")
    ] = 2.0,
) -> None:
    """Serve the REST API (/api/v1, OpenAPI at /openapi.json) and the web UI."""
    import uvicorn

    from palermo.api.app import create_app
    from palermo.exchange import registry
    from palermo.exchange.worker import SyncWorker

    store = open_store(ctx)
    app = create_app(store)
    with store.engine.connect() as conn:
        is_node = registry.identity(conn) is not None
    worker = (
        SyncWorker(store, interval=sync_interval).start() if is_node and sync_interval else None
    )
    console.print(f"palermo serving on http://{host}:{port}/  (API docs: /docs)")
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning")
    finally:
        if worker is not None:
            worker.stop()
