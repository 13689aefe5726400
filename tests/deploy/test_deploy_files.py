"""The deployment files under deploy/, checked natively (containers cannot run in CI).

Every variable a palermo service or the config example sets must be one palermo (or uvicorn,
which serves it) reads; every variable palermo reads must be in the config example and in
docs/operations.md. The image installs from the lock file with hashes. The Caddyfiles adapt
(and the federation one validates with real certificates) when Caddy is installed, and the
systemd units pass `systemd-analyze verify` when systemd is there; otherwise those skip.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SOURCE = ROOT / "src" / "palermo"
VENV_BIN = Path(__import__("sys").executable).parent
# Read by uvicorn, which `palermo serve` runs: the proxies whose X-Forwarded-For it believes.
SERVER_VARS = {"FORWARDED_ALLOW_IPS"}
LITERAL = re.compile(r"""["'](PALERMO_[A-Z0-9_]+)["']""")


def palermo_reads() -> set[str]:
    """Every PALERMO_* name written as a string in the package (os.environ, envvar=...)."""
    found: set[str] = set()
    for path in SOURCE.rglob("*.py"):
        found |= set(LITERAL.findall(path.read_text(encoding="utf-8")))
    return found


def test_the_scan_finds_what_the_code_reads() -> None:
    names = palermo_reads()
    assert {"PALERMO_DB", "PALERMO_WORKERS", "PALERMO_NATS", "PALERMO_BACKUP_PASSPHRASE"} <= names
    assert not any(name.endswith("_") for name in names)


def compose() -> dict[str, Any]:
    loaded = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def palermo_services() -> dict[str, dict[str, Any]]:
    """Services that run the palermo image (built from deploy/Containerfile)."""
    return {
        name: service
        for name, service in compose()["services"].items()
        if "palermo" in str(service.get("image", "")) or "build" in service
    }


def test_compose_palermo_services_set_only_variables_palermo_reads() -> None:
    allowed = palermo_reads() | SERVER_VARS
    services = palermo_services()
    assert {"palermo", "de-node", "nl-node", "th-node"} <= set(services)
    for name, service in services.items():
        environment = service.get("environment", {})
        keys = set(environment) if isinstance(environment, dict) else {
            entry.split("=", 1)[0] for entry in environment
        }
        unknown = keys - allowed
        assert not unknown, f"{name}: palermo reads no {sorted(unknown)}"
        assert "PALERMO_DB" in keys and environment["PALERMO_DB"].startswith("postgresql://")
        assert service["build"]["dockerfile"] == "deploy/Containerfile"


def test_compose_federation_has_three_agencies_each_behind_a_gateway() -> None:
    services = compose()["services"]
    names = ("de-node", "nl-node", "th-node")
    nodes = [n for n in names if services[n]["profiles"] == ["federation"]]
    databases = {services[n]["environment"]["PALERMO_DB"].rsplit("/", 1)[1] for n in nodes}
    assert len(nodes) == 3 and databases == {"de_node", "nl_node", "th_node"}
    init = (DEPLOY / "postgres" / "federation.sql").read_text()
    assert all(f"CREATE DATABASE {db}" in init for db in databases)
    for node in nodes:
        gateway = services[node.replace("-node", "-gateway")]
        assert gateway["network_mode"] == f"service:{node}"
        env = gateway["environment"]
        peers = {env["PEER_A_HOST"], env["PEER_B_HOST"]}
        assert peers == set(nodes) - {node} and env["NODE_HOST"] == node


def assignments(text: str) -> set[str]:
    """Variables an env file sets, commented-out examples included."""
    return set(re.findall(r"^#?([A-Z][A-Z0-9_]*)=", text, re.M))


def test_config_example_lists_every_variable_and_no_other() -> None:
    names = assignments((DEPLOY / "palermo.env").read_text(encoding="utf-8"))
    reads = palermo_reads()
    assert not names - reads - SERVER_VARS, f"unknown: {sorted(names - reads - SERVER_VARS)}"
    assert not reads - names, f"missing from deploy/palermo.env: {sorted(reads - names)}"


def test_operations_guide_documents_every_variable() -> None:
    guide = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    table = set(re.findall(r"^\| `(PALERMO_[A-Z0-9_]+)` \|", guide, re.M))
    reads = palermo_reads()
    assert not reads - table, f"missing from docs/operations.md: {sorted(reads - table)}"
    assert not table - reads, f"documented but never read: {sorted(table - reads)}"


def instructions(path: Path) -> list[str]:
    """A Containerfile's instructions, continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", path.read_text(encoding="utf-8"))
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def test_containerfile_installs_from_the_lock_file_with_hashes() -> None:
    lines = instructions(DEPLOY / "Containerfile")
    froms = [line for line in lines if line.startswith("FROM")]
    assert froms[-1].split()[1].endswith("python:3.11-slim")
    install = r"^RUN .*pip install (?=.*--require-hashes)(?=.*-r requirements-runtime\.lock)"
    locked = [i for i, line in enumerate(lines) if re.search(install, line)]
    copy = r"COPY .*requirements-runtime\.lock"
    copied = [i for i, line in enumerate(lines) if re.match(copy, line)]
    assert locked and copied and copied[0] < locked[0]
    own = [i for i, line in enumerate(lines) if re.search(r"pip install --no-deps \.", line)]
    assert own and own[0] > locked[0], "palermo itself goes on top, resolving nothing"
    assert not [line for line in lines if "pip install" in line and i_resolves(line)]
    cmd = json.loads(lines[[line.split()[0] for line in lines].index("CMD")][4:])
    assert cmd[:2] == ["palermo", "serve"] and cmd[cmd.index("--host") + 1] == "0.0.0.0"


def i_resolves(line: str) -> bool:
    """A pip install that would resolve versions itself (neither locked nor --no-deps)."""
    return "--require-hashes" not in line and "--no-deps" not in line


def caddy() -> str:
    binary = shutil.which("caddy")
    if binary is None:
        pytest.skip("caddy is not installed")
    return binary


def test_caddyfile_proxies_to_palermo_and_never_forwards_metrics() -> None:
    result = subprocess.run(
        [caddy(), "adapt", "--adapter", "caddyfile", "--config", str(DEPLOY / "Caddyfile")],
        capture_output=True, text=True, timeout=60, check=False,
        env={"PATH": "/usr/bin:/bin", "PALERMO_HOST": "palermo.test"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    routes = json.loads(result.stdout)["apps"]["http"]["servers"]["srv0"]["routes"][0]
    assert routes["match"] == [{"host": ["palermo.test"]}]
    inner = routes["handle"][0]["routes"]
    handlers = [h["handler"] for r in inner for h in r["handle"]]
    metrics = next(r for r in inner if r.get("match") == [{"path": ["/metrics", "/metrics/*"]}])
    assert metrics["handle"] == [{"handler": "static_response", "status_code": 404}]
    assert handlers.index("static_response") < handlers.index("reverse_proxy")


def test_federation_gateway_validates_with_pinned_certificates(tmp_path: Path) -> None:
    binary = caddy()
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    nodes = {"de-bka": "de-node", "nl-kmar": "nl-node", "th-rtp": "th-node"}
    made = subprocess.run(
        ["bash", str(DEPLOY / "tls" / "make-certs.sh"), str(tmp_path),
         *(f"{name}={host}" for name, host in nodes.items())],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    assert made.stdout.count("Fingerprint=") == 3
    assert oct((tmp_path / "de-bka.key").stat().st_mode & 0o777) == "0o600"
    env = {
        "PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "NODE": "de-bka", "NODE_HOST": "de-node",
        "NODE_UPSTREAM": "127.0.0.1:8000", "TLS_DIR": str(tmp_path),
        "PEER_A": "nl-kmar", "PEER_A_HOST": "nl-node", "PEER_A_ADDR": "nl-node:8443",
        "PEER_B": "th-rtp", "PEER_B_HOST": "th-node", "PEER_B_ADDR": "th-node:8443",
    }  # fmt: skip
    config = str(DEPLOY / "Caddyfile.federation")
    result = subprocess.run(
        [binary, "validate", "--adapter", "caddyfile", "--config", config],
        capture_output=True, text=True, timeout=60, env=env, check=False,
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == 0 and "Valid configuration" in output, output
    adapted = subprocess.run(
        [binary, "adapt", "--adapter", "caddyfile", "--config", config],
        capture_output=True, text=True, timeout=60, env=env, check=True,
    ).stdout  # fmt: skip
    policy = json.loads(adapted)["apps"]["http"]["servers"]
    client_auth = next(
        p["client_authentication"]
        for server in policy.values()
        for p in server.get("tls_connection_policies", [])
        if "client_authentication" in p
    )
    assert client_auth["mode"] == "require_and_verify"
    assert len(client_auth["trusted_leaf_certs"]) == 2  # the two peers, pinned


UNITS = sorted((DEPLOY / "systemd").glob("*.service")) + sorted(
    (DEPLOY / "systemd").glob("*.timer")
)


@pytest.mark.parametrize("unit", UNITS, ids=lambda p: p.name)
def test_systemd_unit_verifies(unit: Path, tmp_path: Path) -> None:
    """`systemd-analyze verify` on the unit, with /opt/palermo/bin pointed at this venv."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    for other in UNITS:  # a timer is verified with its service beside it
        text = other.read_text(encoding="utf-8").replace("/opt/palermo/bin/", f"{VENV_BIN}/")
        (tmp_path / other.name).write_text(text, encoding="utf-8")
    result = subprocess.run(
        [analyze, "verify", "--man=no", str(tmp_path / unit.name)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    ours = [line for line in result.stderr.splitlines() if str(tmp_path) in line]
    assert result.returncode == 0 and not ours, result.stderr


def test_the_runtime_lock_pins_what_the_full_lock_pins() -> None:
    """The image's lock is the dev lock without the dev tools: same versions, never others."""
    root = DEPLOY.parent

    def pins(name: str) -> dict[str, str]:
        found = re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", (root / name).read_text(), re.M)
        return {package.lower(): version for package, version in found}

    runtime, full = pins("requirements-runtime.lock"), pins("requirements.lock")
    assert runtime and all(full.get(package) == version for package, version in runtime.items())
    assert "pytest" in full and "pytest" not in runtime
