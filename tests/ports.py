"""Ports for the servers tests start (`palermo serve`, peers, gateways).

A port the kernel hands out for port 0 (32768-60999 here) is free when asked, but a server
started from it a moment later can find it taken -- or, worse, the other pytest-xdist
worker's server can be listening there, and the test then talks to that node (seen in CI:
a walk-through's `palermo sync` reached the wrong peer). These ports lie below the ephemeral
range, in a block per process, and each is handed out once.
"""

from __future__ import annotations

import itertools
import os
import socket

_PORTS = itertools.count(20000 + (os.getpid() % 120) * 100)


def free_port() -> int:
    """A port below the ephemeral range that is free now and that no other call returns."""
    for port in _PORTS:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise AssertionError("unreachable: the counter is endless")
