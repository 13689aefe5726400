"""A `palermo serve` process for browser tests, and logging in through its form."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.ports import free_port

PALERMO = str(Path(sys.executable).parent / "palermo")
START_SECONDS = 120  # a loaded machine starts slowly: a hang guard, not a speed target


@contextmanager
def served(db: str, env: Mapping[str, str] | None = None) -> Iterator[str]:
    """`palermo serve` on `db` until the block ends; yields its base URL once /login answers."""
    port = free_port()
    server = subprocess.Popen(
        [PALERMO, "serve", "--port", str(port)],
        env={**os.environ, "PALERMO_DB": db, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_login(server, base)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(60)  # a loaded machine stops slowly too
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(10)


def wait_for_login(server: subprocess.Popen[bytes], base: str) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"palermo serve exited with {server.returncode} before answering")
        try:
            if httpx.get(f"{base}/login", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    server.kill()
    pytest.fail("palermo serve did not start")


def log_in(page: Any, base: str, user: str, password: str) -> None:
    """Log in through the form and wait for the home page."""
    page.goto(f"{base}/login")
    page.get_by_label("User name").fill(user)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/")


def require_chromium(path: str) -> None:
    """Skip a browser test where Debian's Chromium is missing; fail in CI, which has it."""
    if not Path(path).exists():
        if os.environ.get("CI"):
            pytest.fail("Chromium is required in CI (make browser installs Debian's package)")
        pytest.skip("Debian's chromium is not installed (make browser)")


@contextmanager
def logged_in_page(browser: Any, base: str, user: str, password: str) -> Iterator[Any]:
    """A page of a new browser context (CSP bypassed so axe-core can be injected), logged
    in as ``user``; the context closes when the block ends."""
    context = browser.new_context(viewport={"width": 1366, "height": 900}, bypass_csp=True)
    try:
        page = context.new_page()
        page.set_default_timeout(60_000)  # a loaded machine answers slowly
        log_in(page, base, user, password)
        yield page
    finally:
        context.close()
