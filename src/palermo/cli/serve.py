"""``palermo serve``: the API and web UI on one port."""

from __future__ import annotations

from typing import Annotated

import typer

from palermo.cli.common import console, open_store


def serve_command(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
) -> None:
    """Serve the REST API (/api/v1, OpenAPI at /openapi.json) and the web UI."""
    import uvicorn

    from palermo.api.app import create_app

    app = create_app(open_store(ctx))
    console.print(f"palermo serving on http://{host}:{port}/  (API docs: /docs)")
    uvicorn.run(app, host=host, port=port, log_level="warning")
