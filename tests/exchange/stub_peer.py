"""A stub peer node for relay tests: an HTTP server that notes when each message arrives.

It takes hit notices (200, as a node that recorded them) and answers every other message
503, so a test can see when the relay contacted it and for what, without a second node.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from palermo.coordination import hit_notice_relay
from tests.ports import free_port


class Arrivals:
    """What the stub peer received: (monotonic time, path, body) per POST."""

    def __init__(self) -> None:
        self.seen: list[tuple[float, str, dict[str, Any]]] = []
        self.lock = threading.Lock()

    def first(self, path: str, since: float, bound: float, **fields: Any) -> float:
        """The time of the first message to ``path`` after ``since`` (with ``fields``),
        waiting at most ``bound`` seconds; fails the test if none came."""
        deadline = since + bound
        while time.monotonic() < deadline:
            with self.lock:
                for at, got, body in self.seen:
                    if got == path and at >= since and _has(body, fields):
                        return at
            time.sleep(0.02)
        with self.lock:
            paths = [got for _, got, _ in self.seen]
        raise AssertionError(f"nothing to {path} within {bound} s (arrived: {paths})")


def _has(body: dict[str, Any], fields: dict[str, Any]) -> bool:
    return all(body.get(k) == v for k, v in fields.items())


def stub_peer(arrivals: Arrivals) -> ThreadingHTTPServer:
    """A peer node that takes hit notices (200) and refuses everything else (503)."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            size = int(self.headers.get("Content-Length") or 0)
            try:
                body = json.loads(self.rfile.read(size) or b"{}")
            except ValueError:
                body = {}
            with arrivals.lock:
                arrivals.seen.append((time.monotonic(), self.path, body))
            ok = self.path == hit_notice_relay.RELAY_PATH
            answer = json.dumps({"recorded": 1, "skipped": 0} if ok else {"detail": "stub"})
            self.send_response(200 if ok else 503)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer.encode())

        def log_message(self, *args: Any) -> None:
            pass

    return ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)


@contextlib.contextmanager
def running_stub() -> Iterator[tuple[Arrivals, str]]:
    """A stub peer serving on a thread while the block runs: (its arrivals, its endpoint)."""
    arrivals = Arrivals()
    server = stub_peer(arrivals)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield arrivals, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
