"""``palermo serve``: the API and web UI on one port."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Annotated

import typer

from palermo.cli.common import CliError, console, open_store
from palermo.store.store import Store

# How long uvicorn's supervisor waits for a worker process to answer its health ping before
# killing it as hung. Uvicorn's 5 s default killed workers that were still starting (a spawned
# worker first imports the CLI, then the app) on a loaded machine, over and over, so the node
# never served (seen in CI; reproduced with 40 busy processes on 2 cores).
WORKER_HEALTHCHECK_SECONDS = 60


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
    workers: Annotated[
        int | None,
        typer.Option(
            envvar="PALERMO_WORKERS",
            help="Worker processes (PostgreSQL only; default: one per core). SQLite: 1",
        ),
    ] = None,
    log_format: Annotated[
        str, typer.Option(help="Request log lines: 'json' (one object per line) or 'none'")
    ] = "json",
) -> None:
    """Serve the REST API (/api/v1, OpenAPI at /openapi.json) and the web UI."""
    import uvicorn

    from palermo.api.app import create_app
    from palermo.exchange import alerts, registry
    from palermo.exchange.sync import sync_all
    from palermo.exchange.worker import Worker

    store = open_store(ctx)
    processes = worker_count(store, workers)
    if processes == 1:  # with workers, each loads its own (app_from_env); this one only
        from palermo.match import warm_up  # resolves arrivals and need not compete at start

        warm_up.in_background()  # the name tables, before the first Chinese name arrives
    if log_format not in ("json", "none"):
        raise CliError(f"--log-format: {log_format!r} is not one of json, none")
    if log_format == "json":
        from palermo.api.observability import configure_json_logging

        configure_json_logging()
    store.listen_for_changes()
    # Records committed by any process (a worker, a CLI import, a received batch) are
    # resolved on arrival here, in the one process per node that runs background work: it
    # follows the database's arrival feed (issue 15, ADR 0033).
    from palermo.match import arrivals

    arrivals.start(store)
    with store.engine.connect() as conn:
        is_node = registry.identity(conn) is not None
    # a NATS listener declares no purpose: the push is read as such (H0, ADR 0051)
    from palermo.exchange import alert_purpose

    publish = (
        alert_purpose.undeclared_push(store, alerts.nats_publisher(nats_url)) if nats_url else None
    )
    tasks: list[Callable[[], object]] = [lambda: alerts.scan(store, publish)]
    from palermo.coordination import hit_notices  # reminders of overdue hit follow-ups

    tasks.append(lambda: hit_notices.sweep(store))
    from palermo.coordination import retention  # review queues and erasure, at most hourly

    tasks.append(retention.Sweeper(store))
    if is_node and sync_interval:
        tasks.insert(0, lambda: sync_all(store))
    relays: list[Worker] = []
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
            from palermo.coordination import hit_notice_relay  # notices, replies, erasures

            # its own thread, woken by commits (within 1 s); polls like the worker for
            # what another process queued on SQLite (no change feed there)
            relays.append(hit_notice_relay.start(store, every=sync_interval or 2.0))
    # Background work (sync, alerts, deconfliction) runs once per node, in this process;
    # the worker processes only answer requests.
    worker = Worker(store, tasks, interval=sync_interval or 2.0).start()
    console.print(
        f"palermo serving on http://{host}:{port}/  (API docs: /docs; {processes} worker(s))"
    )
    try:
        if processes == 1:
            uvicorn.run(create_app(store), host=host, port=port, log_level="warning")
        else:
            os.environ["PALERMO_DB"] = store.engine.url.render_as_string(hide_password=False)
            uvicorn.run(
                "palermo.api.app:app_from_env",
                factory=True,
                workers=processes,
                timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
                host=host,
                port=port,
                log_level="warning",
            )
    finally:
        worker.stop()
        arrivals.stop(store)
        for relay in relays:
            relay.stop()


def worker_count(store: Store, asked: int | None) -> int:
    """One per core on PostgreSQL; SQLite has one writer and in-process caches, so one."""
    if store.engine.dialect.name != "postgresql":
        if asked not in (None, 1):
            raise CliError("--workers: SQLite serves from one process; use PostgreSQL for more")
        return 1
    if asked is not None and asked < 1:
        raise CliError(f"--workers: must be at least 1, not {asked}")
    return asked or os.cpu_count() or 1
