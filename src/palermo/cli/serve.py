"""``palermo serve``: the API and web UI on one port."""

from __future__ import annotations

from collections.abc import Callable
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
    nats_url: Annotated[
        str | None,
        typer.Option(envvar="PALERMO_NATS", help="Also publish alerts to this NATS server"),
    ] = None,
) -> None:
    """Serve the REST API (/api/v1, OpenAPI at /openapi.json) and the web UI."""
    import uvicorn

    from palermo.api.app import create_app
    from palermo.exchange import alerts, registry
    from palermo.exchange.sync import sync_all
    from palermo.exchange.worker import Worker

    store = open_store(ctx)
    app = create_app(store)
    with store.engine.connect() as conn:
        is_node = registry.identity(conn) is not None
    publish = alerts.nats_publisher(nats_url) if nats_url else None
    tasks: list[Callable[[], object]] = [lambda: alerts.scan(store, publish)]
    if is_node and sync_interval:
        tasks.insert(0, lambda: sync_all(store))
    with store.engine.connect() as conn:
        me = registry.identity(conn)
    if me is not None:
        from palermo.access.viewer import Role, Viewer
        from palermo.coordination import deconfliction

        scanner = Viewer(me.agency, "deconfliction", frozenset({Role.ANALYST}))
        tasks.append(lambda: deconfliction.detect(store, scanner))
        if is_node and sync_interval:  # private set intersection with each peer node
            from palermo.exchange import psi_exchange

            tasks.append(lambda: psi_exchange.run_due(store))
    worker = Worker(store, tasks, interval=sync_interval or 2.0).start()
    console.print(f"palermo serving on http://{host}:{port}/  (API docs: /docs)")
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning")
    finally:
        worker.stop()
