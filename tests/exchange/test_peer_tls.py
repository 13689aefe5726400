"""Mutual TLS in palermo's own exchange client (exchange.peer_tls, ADR 0027).

Node NL-KMAR is served by uvicorn over TLS, requiring a client certificate signed by the
federation CA; DE-BKA syncs to it with ``sync.http_transport`` configured by the
``PALERMO_EXCHANGE_*`` variables. Certificates are made here with ``cryptography``. With
the right certificate the shared statements arrive; without one, or with one from another
CA, the handshake is refused, nothing is stored and the error says why; a server
certificate the CA bundle does not vouch for is refused by the client.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from palermo.api.app import create_app
from palermo.exchange import registry
from palermo.exchange.peer_tls import CA_VAR, CERT_VAR, KEY_VAR, PeerTLS, PeerTLSError
from palermo.exchange.sync import http_transport, sync_peer
from palermo.model.sharing import Sharing
from palermo.model.statement import Statement
from palermo.store.tables import peer, statement
from tests.exchange.nodes import Node, make_federation
from tests.ports import free_port


@dataclass
class Issuer:
    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def make_ca(common: str) -> Issuer:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common))
        .issuer_name(_name(common))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .sign(key, hashes.SHA256())
    )
    return Issuer(key, cert)


def issue(ca: Issuer, common: str, server: bool, out: Path) -> tuple[Path, Path]:
    """A leaf certificate and key (PEM files) for a server (localhost) or a client."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    usage = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common))
        .issuer_name(ca.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), False
        )
    )
    if server:
        names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    cert = builder.sign(ca.key, hashes.SHA256())
    cert_file, key_file = out / f"{common}.crt", out / f"{common}.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def write_ca(ca: Issuer, path: Path) -> Path:
    path.write_bytes(ca.cert.public_bytes(serialization.Encoding.PEM))
    return path


@dataclass
class Setup:
    de: Node
    nl: Node
    ca_file: Path
    client: tuple[Path, Path]
    stranger: tuple[Path, Path]
    other_ca_file: Path


@pytest.fixture
def federation(tmp_path: Path) -> Iterator[Setup]:
    """DE-BKA and NL-KMAR; NL-KMAR served over TLS that requires a client certificate."""
    certs = tmp_path / "tls"
    certs.mkdir()
    ca, other = make_ca("federation CA"), make_ca("someone else's CA")
    ca_file, other_ca_file = write_ca(ca, certs / "ca.pem"), write_ca(other, certs / "other.pem")
    server_cert, server_key = issue(ca, "nl-node", server=True, out=certs)
    client = issue(ca, "de-node", server=False, out=certs)
    stranger = issue(other, "stranger", server=False, out=certs)
    nodes = make_federation(tmp_path)
    de, nl = nodes["DE-BKA"], nodes["NL-KMAR"]
    port = free_port()
    with de.store.transaction() as conn:  # reach NL-KMAR at its TLS port
        conn.execute(
            sa.update(peer)
            .where(peer.c.node_id == nl.node_id)
            .values(endpoint=f"https://localhost:{port}")
        )
    config = uvicorn.Config(
        create_app(nl.store),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        ssl_certfile=str(server_cert),
        ssl_keyfile=str(server_key),
        ssl_ca_certs=str(ca_file),
        ssl_cert_reqs=ssl.CERT_REQUIRED,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    assert server.started, "the TLS server did not start"
    try:
        yield Setup(de, nl, ca_file, client, stranger, other_ca_file)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        for node in nodes.values():
            node.store.close()


def share(setup: Setup, n: int = 3) -> None:
    de = setup.de
    stmts = [
        Statement(f"de-bka.p{i}", "Person", "name", f"Ivan Petrov {i}", "DE-BKA", f"p{i}",
                  Sharing.parse("group:EU"))
        for i in range(n)
    ]  # fmt: skip
    de.store.write(de.analyst, stmts)


def received(setup: Setup) -> set[str]:
    with setup.nl.store.engine.connect() as conn:
        query = sa.select(statement.c.value).where(statement.c.agency == "DE-BKA")
        return set(conn.execute(query).scalars())


def use(monkeypatch: pytest.MonkeyPatch, cert: Path | None, key: Path | None, ca: Path) -> None:
    for var, value in ((CERT_VAR, cert), (KEY_VAR, key), (CA_VAR, ca)):
        if value is None:
            monkeypatch.delenv(var, raising=False)
        else:
            monkeypatch.setenv(var, str(value))


def peer_of(setup: Setup) -> registry.Peer:
    with setup.de.store.engine.connect() as conn:
        found = registry.get_peer(conn, setup.nl.node_id)
    assert found is not None
    return found


def test_with_the_node_certificate_the_batch_arrives(
    federation: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    share(federation)
    use(monkeypatch, *federation.client, federation.ca_file)
    result = sync_peer(federation.de.store, peer_of(federation), http_transport())
    assert result.error == ""
    assert result.statements == 3
    assert received(federation) == {f"Ivan Petrov {i}" for i in range(3)}


@pytest.mark.parametrize("client", ["none", "stranger"])
def test_without_a_trusted_client_certificate_the_peer_refuses(
    federation: Setup, monkeypatch: pytest.MonkeyPatch, client: str
) -> None:
    share(federation)
    cert, key = federation.stranger if client == "stranger" else (None, None)
    use(monkeypatch, cert, key, federation.ca_file)
    result = sync_peer(federation.de.store, peer_of(federation), http_transport())
    assert result.statements == 0 and result.batches == 0
    assert result.error.startswith("transport: TLS: the peer refused")
    expected = "none is configured" if client == "none" else "does not accept this node's"
    assert expected in result.error
    assert received(federation) == set()
    # The cursor did not move: with the right certificate the same batch goes through.
    use(monkeypatch, *federation.client, federation.ca_file)
    assert sync_peer(federation.de.store, peer_of(federation), http_transport()).statements == 3


def test_a_server_certificate_the_bundle_does_not_vouch_for_is_refused(
    federation: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    share(federation)
    use(monkeypatch, *federation.client, federation.other_ca_file)
    result = sync_peer(federation.de.store, peer_of(federation), http_transport())
    assert "does not verify against PALERMO_EXCHANGE_CA" in result.error
    assert received(federation) == set()


def test_unusable_settings_name_the_variable(tmp_path: Path) -> None:
    ca = write_ca(make_ca("ca"), tmp_path / "ca.pem")
    cert, key = issue(make_ca("x"), "c", server=False, out=tmp_path)
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate")
    cases = [
        (PeerTLS(key=key, ca=ca), KEY_VAR),
        (PeerTLS(cert=tmp_path / "missing.crt", key=key), CERT_VAR),
        (PeerTLS(ca=garbage), CA_VAR),
        (PeerTLS(cert=cert, key=garbage), f"{CERT_VAR}/{KEY_VAR}"),
        (PeerTLS(cert=cert, key=ca), f"{CERT_VAR}/{KEY_VAR}"),
    ]
    for tls, name in cases:
        with pytest.raises(PeerTLSError, match=f"^{name}: "):
            tls.context()


def test_settings_come_from_the_environment(tmp_path: Path) -> None:
    env = {CERT_VAR: "/etc/a.crt", KEY_VAR: " /etc/a.key ", CA_VAR: ""}
    assert PeerTLS.from_env(env) == PeerTLS(Path("/etc/a.crt"), Path("/etc/a.key"), None)
    # No settings: the system's trust store, verification on.
    context = PeerTLS().context()
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
