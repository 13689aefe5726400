"""Request ids, per-route metrics and one JSON log line per request.

Operators need rates, latencies and errors per route without learning anything about the
people in the data, so every label is a *route template* (``/api/v1/entities/{entity_id}``),
never a concrete path, query string, header or body, and log lines carry the same fields.
A request id (the caller's ``X-Request-ID`` when it is a plain token, else a new one) is
returned in the response and logged, so one call can be followed through proxy and node.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
log = logging.getLogger("palermo.requests")


class RequestMetrics:
    """The request counters and latency histograms of one app (one registry per app, so
    tests and several apps in one process do not share counts)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "palermo_http_requests",
            "HTTP requests by method, route template and status class",
            ("method", "route", "status"),
            registry=self.registry,
        )
        self.latency = Histogram(
            "palermo_http_request_duration_seconds",
            "Time to the end of the response, by method and route template",
            ("method", "route"),
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, f"{status // 100}xx").inc()
        self.latency.labels(method, route).observe(seconds)


def route_template(scope: Scope) -> str:
    """The matched route's path template; ``unmatched`` for a 404 on no route, so that
    made-up paths cannot grow the label set without bound."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return str(scope.get("root_path", "")) + path
    return "unmatched"


def request_id_of(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            candidate = bytes(value).decode("latin-1")
            if REQUEST_ID.match(candidate):
                return candidate
    return uuid.uuid4().hex


class Observability:
    """ASGI middleware: sets the request id, times the request, records and logs it."""

    def __init__(self, app: ASGIApp, metrics: RequestMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_of(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode("latin-1")))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            route = route_template(scope)
            self.metrics.observe(scope["method"], route, status, seconds)
            _log(request_id, scope["method"], route, status, seconds)


def _log(request_id: str, method: str, route: str, status: int, seconds: float) -> None:
    if not log.isEnabledFor(logging.INFO):
        return
    record: dict[str, Any] = {
        "event": "request",
        "request_id": request_id,
        "method": method,
        "route": route,
        "status": status,
        "ms": round(seconds * 1000, 2),
    }
    log.info(json.dumps(record, separators=(",", ":")))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: what log shippers (journald, Loki, Elastic) parse as is."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        try:
            body = json.loads(message)
        except ValueError:
            body = {"message": message}
        if not isinstance(body, dict):
            body = {"message": message}
        entry = {"time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"), "level": record.levelname}
        entry["logger"] = record.name
        entry.update(body)
        return json.dumps(entry, separators=(",", ":"), default=str)


def configure_json_logging(level: str = "INFO") -> None:
    """Send palermo's loggers to stderr as JSON lines (``palermo serve --log-format json``)."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger("palermo")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
