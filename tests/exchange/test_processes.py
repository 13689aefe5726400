"""Three real palermo node processes on loopback, set up and synced through the CLI.

Each node is its own `palermo serve` process with its own database and key. Data is
imported with different scopes, `palermo sync` pushes over HTTP, and each node's export
must be exactly what was shared with it. One receiver is killed mid-way and restarted.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.ports import free_port
from tests.web.served import START_SECONDS

AGENCIES = {"DE-BKA": ("DE", "EU"), "NL-KMAR": ("NL", "EU"), "TH-RTP": ("TH", None)}
SCOPES = ["owner", "group:EU", "TH-RTP", "all"]


class NodeProcess:
    def __init__(self, agency: str, root: Path) -> None:
        self.agency = agency
        self.dir = root / agency
        self.dir.mkdir()
        self.port = free_port()
        self.env = {
            **os.environ,
            "PALERMO_DB": f"sqlite:///{self.dir / 'node.db'}",
            "PALERMO_USER": f"analyst-{agency.lower()}",
        }
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def node_id(self) -> str:
        return self.agency.lower() + "-node"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cli(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", "from palermo.cli.main import main; main()", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, (args, done.stdout, done.stderr)
        return done.stdout

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from palermo.cli.main import main; main()",
                "serve",
                "--port",
                str(self.port),
            ],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + START_SECONDS  # a loaded CI machine starts slowly
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.agency} node exited with {self.proc.returncode}")
            try:
                httpx.get(self.url + "/openapi.json", timeout=1)
                return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"{self.agency} node did not start in {START_SECONDS} s")

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)
            self.proc = None


@pytest.fixture
def federation(tmp_path: Path) -> Iterator[dict[str, NodeProcess]]:
    nodes = {code: NodeProcess(code, tmp_path) for code in AGENCIES}
    keys = {}
    for node in nodes.values():
        node.cli("init")
        for code, (country, group) in AGENCIES.items():
            node.cli(
                "agency",
                "add",
                code,
                "--name",
                code,
                "--country",
                country,
                "--kind",
                "police",
                *(["--group", group] if group else []),
            )
        node.cli(
            "user",
            "add",
            f"analyst-{node.agency.lower()}",
            "--agency",
            node.agency,
            "--roles",
            "analyst",
        )
        ident = json.loads(
            node.cli(
                "node",
                "init",
                "--node-id",
                node.node_id,
                "--agency",
                node.agency,
                "--key-file",
                str(node.dir / "node.key"),
            )
        )
        keys[node.agency] = ident["public_key"]
    for node in nodes.values():
        for other in nodes.values():
            if other is not node:
                node.cli(
                    "node",
                    "add-peer",
                    other.node_id,
                    "--agency",
                    other.agency,
                    "--endpoint",
                    other.url,
                    "--public-key",
                    keys[other.agency],
                )
    try:  # a node that fails to start must not leave the others running
        for node in nodes.values():
            node.start()
        yield nodes
    finally:
        for node in nodes.values():
            node.kill()


def import_data(node: NodeProcess, count: int) -> None:
    lines = []
    for scope in SCOPES:
        for i in range(count):
            lines.append(
                json.dumps(
                    {
                        "id": f"{scope}-{i}",
                        "schema": "Person",
                        "sharing": scope,
                        "properties": {"name": [f"{node.agency} {scope} {i}"]},
                    }
                )
            )
    path = node.dir / "data.json"
    path.write_text("\n".join(lines))
    node.cli("import", str(path))


def holdings(node: NodeProcess) -> set[str]:
    out = node.dir / "export.json"
    node.cli("export", "-o", str(out))
    return {json.loads(line)["properties"]["name"][0] for line in out.read_text().splitlines()}


def shared_with(reader: str, count: int) -> set[str]:
    groups = {"EU"} if AGENCIES[reader][1] else set()
    out = set()
    for owner in AGENCIES:
        for scope in SCOPES:
            reaches = (
                owner == reader
                or scope == "all"
                or scope == reader
                or (scope.startswith("group:") and scope[6:] in groups)
            )
            if reaches:
                out |= {f"{owner} {scope} {i}" for i in range(count)}
    return out


@pytest.mark.slow
def test_three_nodes_end_with_exactly_what_was_shared(federation: dict[str, NodeProcess]) -> None:
    th = federation["TH-RTP"]
    th.kill()  # TH's node is down while DE and NL write and sync
    for node in federation.values():
        import_data(node, 30)
    for code in ("DE-BKA", "NL-KMAR"):
        failed = subprocess.run(
            [sys.executable, "-c", "from palermo.cli.main import main; main()", "sync", "--json"],
            env=federation[code].env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert failed.returncode == 1 and "transport" in failed.stdout
    th.start()
    for _ in range(2):
        for node in federation.values():
            node.cli("sync")
    for code, node in federation.items():
        assert holdings(node) == shared_with(code, 30), code
