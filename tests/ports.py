"""Ports for the servers tests start (`palermo serve`, peers, gateways).

A port the kernel hands out for port 0 (32768-60999 here) is free when asked, but a server
started from it a moment later can find it taken -- or, worse, the other pytest-xdist
worker's server can be listening there, and the test then talks to that node (seen in CI:
a walk-through's `palermo sync` reached the wrong peer). These ports lie below the ephemeral
range, starting in a block per process, and each is handed out once on this machine: a claim
file per port (in the system's temporary directory, naming the claiming process) keeps two
processes from handing out the same port even when one outruns its block of 100 into the
next, or a port is handed out long before its server binds it (a walk-through's ports are
chosen when it starts, its servers minutes later). A dead process's claims are taken over.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import os
import socket
import tempfile
from pathlib import Path

_FIRST, _LAST = 20000, 32000
_PORTS = itertools.count(_FIRST + (os.getpid() % 120) * 100)
_CLAIMS = Path(tempfile.gettempdir()) / "palermo-test-ports"
_mine: list[Path] = []


def free_port() -> int:
    """A port below the ephemeral range that is free now, that no other call (in this process
    or another living one) returns, and that stays claimed until this process ends."""
    for n in _PORTS:
        port = _FIRST + (n - _FIRST) % (_LAST - _FIRST)
        if not _claim(port):
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue  # claimed now, so nobody else tries it again while we live
            return port
    raise AssertionError("unreachable: the counter is endless")


def _claim(port: int) -> bool:
    _CLAIMS.mkdir(exist_ok=True)
    path = _CLAIMS / str(port)
    for _ in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            if _alive(path):
                return False
            with contextlib.suppress(FileNotFoundError):
                path.unlink()  # the claimer died: its claim lapses
            continue
        with os.fdopen(fd, "w") as f:
            f.write(str(os.getpid()))
        _mine.append(path)
        return True
    return False


def _alive(path: Path) -> bool:
    """Whether the process that wrote this claim still runs (an unreadable claim counts as
    alive: it is being written)."""
    try:
        pid = int(path.read_text() or "0")
    except (OSError, ValueError):
        return True
    if pid == 0:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@atexit.register
def _release() -> None:
    for path in _mine:
        with contextlib.suppress(OSError):
            path.unlink()
