"""``/healthz`` and ``/metrics``: what a load balancer and Prometheus ask a node.

Both are for operators, not users, so neither needs a login, and neither says anything
about the data: counts and ages only, no names, no ids of records. Details (which peer
lags, which check failed) are shown to the loopback interface or to a caller presenting
``PALERMO_METRICS_TOKEN``; anyone else gets the bare status, which is all a load
balancer needs. Put a reverse proxy in front that does not forward ``/metrics``
(docs/operations.md).
"""

from __future__ import annotations

import hmac
import os
import socket
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from palermo.api.observability import RequestMetrics
from palermo.store import tables as t
from palermo.store.store import Store

router = APIRouter(include_in_schema=False)
LOOPBACK = {"127.0.0.1", "::1", "localhost", "testclient"}
NATS_TIMEOUT = 1.0


def operator(request: Request) -> bool:
    """May this caller read details? Loopback, or the metrics token if one is set."""
    token = os.environ.get("PALERMO_METRICS_TOKEN", "")
    header = request.headers.get("authorization", "")
    if token and header.lower().startswith("bearer "):
        return hmac.compare_digest(header[7:].strip(), token)
    client = request.client.host if request.client else ""
    return not token and client in LOOPBACK


def check_database(store: Store) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        with store.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except Exception as error:  # any driver error means "not healthy", never a 500
        return {"ok": False, "error": type(error).__name__}
    return {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 2)}


def check_nats(url: str) -> dict[str, Any]:
    """A TCP connection and the server's INFO line: enough to know NATS is there."""
    parsed = urlparse(url if "://" in url else f"nats://{url}")
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or 4222), timeout=NATS_TIMEOUT
        ) as conn:
            ok = conn.recv(5).startswith(b"INFO")
    except OSError as error:
        return {"ok": False, "error": type(error).__name__}
    return {"ok": ok}


def sync_lag(store: Store) -> dict[str, int]:
    """Per peer node: local statements it has not acknowledged yet."""
    with store.engine.connect() as conn:
        head = conn.execute(sa.select(sa.func.max(t.statement.c.seq))).scalar() or 0
        peers = conn.execute(sa.select(t.peer.c.node_id)).scalars().all()
        acked = dict(
            conn.execute(sa.select(t.sync_outbound.c.node_id, t.sync_outbound.c.acked_seq)).all()
        )
    return {str(node): max(0, int(head) - int(acked.get(node, 0))) for node in peers}


@router.get("/healthz")
def healthz(request: Request) -> JSONResponse:
    """200 when this node can serve (database up; NATS up if configured), else 503.

    A peer that lags does not make this node unhealthy (it can still serve its users);
    the lag is reported so monitoring can alert on it."""
    store: Store = request.app.state.store
    checks: dict[str, Any] = {"database": check_database(store)}
    nats = os.environ.get("PALERMO_NATS")
    if nats:
        checks["nats"] = check_nats(nats)
    healthy = all(check["ok"] for check in checks.values())
    body: dict[str, Any] = {"status": "ok" if healthy else "fail"}
    if operator(request):
        body["checks"] = checks
        if checks["database"]["ok"]:
            body["sync_lag"] = sync_lag(store)
    return JSONResponse(body, status_code=200 if healthy else 503)


@router.get("/metrics")
def metrics(request: Request) -> Response:
    """Prometheus text format: request rates and latencies per route, screening index
    size and age, sync lag per peer, audit queue depth."""
    if not operator(request):
        return JSONResponse({"detail": "metrics are for operators"}, status_code=403)
    request_metrics: RequestMetrics = request.app.state.request_metrics
    body = generate_latest(request_metrics.registry) + generate_latest(NodeCollector(request))
    return Response(body, media_type=CONTENT_TYPE_LATEST)


class NodeCollector(Collector):
    """Gauges read at scrape time from the app's store and caches."""

    def __init__(self, request: Request) -> None:
        self.app_state = request.app.state

    def collect(self) -> Iterator[GaugeMetricFamily]:
        store: Store = self.app_state.store
        lag = GaugeMetricFamily(
            "palermo_sync_outbound_lag_statements",
            "Local statements a peer node has not acknowledged",
            labels=["peer"],
        )
        for peer, behind in sync_lag(store).items():
            lag.add_metric([peer], behind)
        yield lag
        yield GaugeMetricFamily(
            "palermo_audit_queue_depth",
            "Audit events waiting for the group commit",
            value=store.audit_backlog(),
        )
        yield from screening_gauges(getattr(self.app_state, "screening", None))


def screening_gauges(cache: Any) -> Iterator[GaugeMetricFamily]:
    """Indexes are built per (agency, victim-support) on first use and dropped on writes."""
    items = cache.snapshot() if cache is not None else []
    yield GaugeMetricFamily(
        "palermo_screening_indexes", "Screening indexes built", value=len(items)
    )
    yield GaugeMetricFamily(
        "palermo_screening_index_persons",
        "Persons in all built screening indexes",
        value=sum(len(index.persons) for index, _ in items),
    )
    now = time.monotonic()
    yield GaugeMetricFamily(
        "palermo_screening_index_age_seconds",
        "Age of the oldest built screening index",
        value=max((now - built for _, built in items), default=0.0),
    )
