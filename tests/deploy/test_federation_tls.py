"""Three nodes (DE-BKA, NL-KMAR, TH-RTP) exchanging over mutual TLS, natively.

Each node is `palermo serve` on loopback with the gateway of deploy/Caddyfile.federation in
front (Caddy, certificates from deploy/tls/make-certs.sh); peers are registered at the
gateway's egress ports, so every batch crosses TLS with both sides' certificates pinned. DE-BKA
shares one person with the EU group (NL-KMAR) and one with TH-RTP; each must arrive where it
was shared and nowhere else. A client without a pinned certificate is refused at the door.
Skipped where Caddy or openssl is not installed.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from palermo.access.viewer import Viewer
from palermo.exchange import registry
from palermo.store.directory import Agency
from palermo.store.store import Store
from tests.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
PALERMO = str(Path(sys.executable).parent / "palermo")
AGENCIES = {  # agency -> (certificate name, host name in the certificate, groups)
    "DE-BKA": ("de-bka", "de-node", ["EU"]),
    "NL-KMAR": ("nl-kmar", "nl-node", ["EU"]),
    "TH-RTP": ("th-rtp", "th-node", []),
}

pytestmark = pytest.mark.slow


@dataclass
class Node:
    agency: str
    cert: str
    host: str
    work: Path
    app_port: int = field(default_factory=free_port)
    ingress: int = field(default_factory=free_port)
    egress: dict[str, int] = field(default_factory=dict)  # peer agency -> local port
    public_key: str = ""

    @property
    def node_id(self) -> str:
        return f"{self.cert}-node"

    @property
    def url(self) -> str:
        return f"sqlite:///{self.work / 'node.db'}"

    def palermo(self, *args: str, check: bool = True) -> str:
        env = {**os.environ, "PALERMO_DB": self.url}
        done = subprocess.run(
            [PALERMO, *args], cwd=self.work, env=env, capture_output=True, text=True,
            timeout=180, check=False,
        )  # fmt: skip
        if check:
            assert done.returncode == 0, f"{self.agency}: palermo {args}: {done.stderr}"
        return done.stdout + done.stderr


def wait_for_port(port: int, process: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{what} exited with {process.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.3)
    raise AssertionError(f"{what} did not listen on {port}")


@pytest.fixture(scope="module")
def federation(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Node]]:
    """Three nodes, their gateways and peers, started once for this module's tests."""
    tmp_path = tmp_path_factory.mktemp("federation")
    caddy = shutil.which("caddy")
    if caddy is None or shutil.which("openssl") is None:
        pytest.skip("caddy and openssl are needed for the TLS federation")
    tls = tmp_path / "tls"
    subprocess.run(
        ["bash", str(DEPLOY / "tls" / "make-certs.sh"), str(tls),
         *(f"{cert}={host}" for cert, host, _ in AGENCIES.values())],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    nodes = {a: Node(a, c, h, tmp_path / c) for a, (c, h, _) in AGENCIES.items()}
    for node in nodes.values():
        node.work.mkdir()
        node.egress = {other: free_port() for other in nodes if other != node.agency}
        setup_node(node)
    for node in nodes.values():
        store = Store.open(node.url)
        with store.transaction() as conn:
            for other, port in node.egress.items():
                peer = nodes[other]
                endpoint = f"http://127.0.0.1:{port}"  # the gateway's egress port to that peer
                registry.add_peer(conn, peer.node_id, other, endpoint, peer.public_key)
        store.close()
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for node in nodes.values():
            processes += start_node(node, nodes, caddy, tls)
        yield nodes
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def setup_node(node: Node) -> None:
    """Directory, analyst and identity, through the Python API (the CLI is slow to start)."""
    store = Store.open(node.url)
    system = Viewer.system()
    for agency, (_, _, groups) in AGENCIES.items():
        store.add_agency(system, Agency(agency, agency, agency[:2], "police", tuple(groups)))
    store.add_user(system, f"analyst-{node.cert}", node.agency, "analyst")
    with store.transaction() as conn:
        ident = registry.init_node(conn, node.node_id, node.agency, node.work / "node.key")
    node.public_key = ident.public_key
    store.close()


def start_node(
    node: Node, nodes: dict[str, Node], caddy: str, tls: Path
) -> list[subprocess.Popen[bytes]]:
    env = {**os.environ, "PALERMO_DB": node.url}
    serve = subprocess.Popen(
        [PALERMO, "serve", "--port", str(node.app_port), "--sync-interval", "0",
         "--log-format", "none"],
        cwd=node.work, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    (peer_a, port_a), (peer_b, port_b) = sorted(node.egress.items())
    gateway_env = {
        "PATH": "/usr/bin:/bin", "HOME": str(node.work), "NODE": node.cert,
        "NODE_HOST": node.host, "INGRESS_PORT": str(node.ingress),
        "NODE_UPSTREAM": f"127.0.0.1:{node.app_port}", "TLS_DIR": str(tls),
    }  # fmt: skip
    for letter, peer, port in (("A", peer_a, port_a), ("B", peer_b, port_b)):
        other = nodes[peer]
        gateway_env |= {
            f"PEER_{letter}": other.cert, f"PEER_{letter}_HOST": other.host,
            f"PEER_{letter}_ADDR": f"127.0.0.1:{other.ingress}", f"PEER_{letter}_EGRESS": str(port),
        }  # fmt: skip
    gateway = subprocess.Popen(
        [caddy, "run", "--adapter", "caddyfile", "--config", str(DEPLOY / "Caddyfile.federation")],
        cwd=node.work, env=gateway_env, stdout=subprocess.DEVNULL,
        stderr=(node.work / "caddy.log").open("wb"),
    )  # fmt: skip
    wait_for_port(node.app_port, serve, f"{node.agency} palermo serve")
    wait_for_port(node.ingress, gateway, f"{node.agency} gateway")
    return [serve, gateway]


def test_three_nodes_exchange_over_mutual_tls(federation: dict[str, Node]) -> None:
    de, nl, th = federation["DE-BKA"], federation["NL-KMAR"], federation["TH-RTP"]
    rows = [
        {"id": "p1", "schema": "Person", "properties": {"name": ["Ivan Petrov"]},
         "sharing": "group:EU"},
        {"id": "p2", "schema": "Person", "properties": {"name": ["Somchai Wongsakul"]},
         "sharing": "TH-RTP"},
    ]  # fmt: skip
    (de.work / "de.json").write_text("\n".join(json.dumps(r) for r in rows))
    de.palermo("import", "de.json", "--as", "analyst-de-bka")
    pushed = json.loads(de.palermo("sync", "--json"))
    outcome = {r["node_id"]: (r["error"], r["statements"]) for r in pushed}
    assert outcome == {"nl-kmar-node": ("", 2), "th-rtp-node": ("", 2)}
    found = {
        node.agency: {
            term: json.loads(node.palermo("search", term, "--as", f"analyst-{node.cert}", "--json"))
            for term in ("petrov", "wongsakul")
        }
        for node in (nl, th)
    }
    assert [e["id"] for e in found["NL-KMAR"]["petrov"]] == ["de-bka.p1"]
    assert found["NL-KMAR"]["wongsakul"] == []
    assert found["TH-RTP"]["petrov"] == []
    assert [e["id"] for e in found["TH-RTP"]["wongsakul"]] == ["de-bka.p2"]


def test_gateway_refuses_clients_without_a_pinned_certificate(
    federation: dict[str, Node], tmp_path: Path
) -> None:
    nl = federation["NL-KMAR"]
    pinned = nl.work.parent / "tls"
    rogue = tmp_path / "rogue"
    subprocess.run(["bash", str(DEPLOY / "tls" / "make-certs.sh"), str(rogue), "de-bka=de-node"],
                   check=True, capture_output=True, timeout=60)  # fmt: skip

    def post(client_cert: Path | None) -> httpx.Response:
        context = ssl.create_default_context(cafile=str(pinned / "nl-kmar.crt"))
        if client_cert is not None:
            key = client_cert / "de-bka.key"
            context.load_cert_chain(str(client_cert / "de-bka.crt"), str(key))
        with httpx.Client(verify=context, timeout=10) as client:
            return client.post(
                f"https://127.0.0.1:{nl.ingress}/exchange/v1/batches", content=b"{}",
                headers={"Host": nl.host}, extensions={"sni_hostname": nl.host},
            )  # fmt: skip

    assert post(pinned).status_code == 403  # through TLS to palermo, which wants a signed batch
    with pytest.raises(httpx.HTTPError):  # no client certificate: the handshake fails
        post(None)
    with pytest.raises(httpx.HTTPError):  # DE-BKA's name, but not DE-BKA's pinned certificate
        post(rogue)
