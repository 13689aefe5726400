"""`palermo serve --workers 2` on PostgreSQL in a child process, for the tests of one node's
many processes: started, waited for until it answers, and stopped however the test ends."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from tests.ports import free_port


@contextlib.contextmanager
def serving_workers(
    pg_url: str, cwd: Path, *args: str, timeout: float = 10
) -> Iterator[httpx.Client]:
    """A client of a two-worker node on PG_URL (rate limit off), once it answers /healthz;
    ARGS are more `palermo serve` options. The node gets 30 s to stop, then is killed."""
    port = free_port()
    env = {**os.environ, "PALERMO_DB": pg_url, "PALERMO_RATE_LIMIT": "0"}
    serve = ["serve", "--port", str(port), "--workers", "2", *args]
    server = subprocess.Popen(
        [sys.executable, "-c", "from palermo.cli.main import main; main()", *serve],
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=timeout) as client:
            wait_until_up(client)
            yield client
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def wait_until_up(client: httpx.Client) -> None:
    deadline = time.monotonic() + 180  # two processes import everything; CI machines are busy
    while time.monotonic() < deadline:
        try:
            if client.get("/healthz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError("palermo serve did not start")
