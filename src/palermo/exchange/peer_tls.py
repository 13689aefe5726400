"""The HTTP client a node talks to its peers with: mutual TLS when the node is given a
certificate, without a gateway in front.

Batches are signed (docs/exchange.md), so TLS is not what makes a batch trustworthy: it
keeps the traffic confidential and lets a peer refuse every client that is not a member
node at the handshake, before a byte of the request is read. Until now only the Caddy
gateway (deploy/Caddyfile.federation) could present a client certificate; with these
settings palermo's own sync and deconfliction clients do (ADR 0027):

- ``PALERMO_EXCHANGE_CERT`` / ``PALERMO_EXCHANGE_KEY``: this node's client certificate and
  its private key (PEM), presented to every peer that asks for one;
- ``PALERMO_EXCHANGE_CA``: the PEM bundle peers' server certificates are verified against
  (a private federation CA, or the peers' own self-signed certificates concatenated, which
  pins exactly those). Unset: the system's trust store. Verification (chain and host
  name) is never switched off.

A setting that cannot be used (a key without a certificate, a missing file, a PEM that
does not load) is a ``PeerTLSError`` naming the variable and the reason, raised before any
connection is made; a peer refusing the handshake is an ``httpx.ConnectError`` that says so.
"""

from __future__ import annotations

import os
import socket
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

# (peer endpoint, JSON body) -> (HTTP status, response JSON). Tests swap in other transports.
JsonTransport = Callable[[str, dict[str, Any]], tuple[int, dict[str, Any]]]

CERT_VAR = "PALERMO_EXCHANGE_CERT"
KEY_VAR = "PALERMO_EXCHANGE_KEY"
CA_VAR = "PALERMO_EXCHANGE_CA"


class PeerTLSError(ValueError):
    """A TLS setting of the exchange client that cannot be used (names the variable)."""


@dataclass(frozen=True)
class PeerTLS:
    """Client certificate, key and CA bundle for connections to peers (all optional)."""

    cert: Path | None = None
    key: Path | None = None
    ca: Path | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> PeerTLS:
        env = os.environ if env is None else env

        def path(name: str) -> Path | None:
            value = env.get(name, "").strip()
            return Path(value) if value else None

        return cls(path(CERT_VAR), path(KEY_VAR), path(CA_VAR))

    def context(self) -> ssl.SSLContext:
        """A verifying client context (TLS 1.2 at least) holding the node's certificate."""
        if self.key is not None and self.cert is None:
            raise PeerTLSError(f"{KEY_VAR}: set, but {CERT_VAR} is not (the key needs it)")
        for name, file in ((CERT_VAR, self.cert), (KEY_VAR, self.key), (CA_VAR, self.ca)):
            if file is not None and not file.is_file():
                raise PeerTLSError(f"{name}: {str(file)!r} is not a readable file")
        try:
            context = ssl.create_default_context(cafile=str(self.ca) if self.ca else None)
        except ssl.SSLError as exc:
            raise PeerTLSError(f"{CA_VAR}: {str(self.ca)!r} holds no usable PEM: {exc}") from None
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        if self.cert is not None:
            try:
                context.load_cert_chain(str(self.cert), str(self.key) if self.key else None)
            except (ssl.SSLError, OSError) as exc:
                raise PeerTLSError(
                    f"{CERT_VAR}/{KEY_VAR}: the certificate and key do not load "
                    f"(not PEM, encrypted, or not a pair): {exc}"
                ) from None
        return context


class _ExplainingTransport(httpx.HTTPTransport):
    """Says in words what a refused TLS connection means. OpenSSL's alert names
    (``TLSV13_ALERT_CERTIFICATE_REQUIRED``) do not tell an operator what to fix, and under
    TLS 1.3 a server that rejects the client certificate may just hang up after the
    handshake: the client then sees "Server disconnected", indistinguishable from a crash.
    So a connection to an https peer that ends that way is probed once more with TLS 1.2,
    where the server checks the client certificate inside the handshake: if that handshake
    is refused, the error says the certificate was."""

    def __init__(self, tls: PeerTLS) -> None:
        super().__init__(verify=tls.context())
        self.tls = tls

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return super().handle_request(request)
        except (httpx.ConnectError, httpx.ReadError, httpx.RemoteProtocolError) as exc:
            if request.url.scheme != "https":
                raise
            refused = _tls_failure(str(exc)) or _handshake_refused(self.tls, request.url)
            if not refused:
                raise
            message = _explain(refused, self.tls.cert is not None)
            raise httpx.ConnectError(message, request=request) from exc


def _tls_failure(text: str) -> str:
    upper = text.upper()
    found = any(m in upper for m in ("SSL", "TLS", "CERTIFICATE", "HANDSHAKE"))
    return text if found else ""


def _handshake_refused(tls: PeerTLS, url: httpx.URL) -> str:
    """The TLS error of a TLS 1.2 handshake with the peer, or "" if it succeeds."""
    context = tls.context()
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    host = url.host
    try:
        raw = socket.create_connection((host, url.port or 443), timeout=10)
        with raw, context.wrap_socket(raw, server_hostname=host):
            return ""
    except ssl.SSLError as exc:
        return f"handshake refused ({exc})"
    except OSError:
        return ""  # not reachable now: nothing to add to the original error


def _explain(text: str, client_cert: bool) -> str:
    upper = text.upper()
    if "CERTIFICATE_VERIFY_FAILED" in upper:
        return (
            f"TLS: the peer's server certificate does not verify against {CA_VAR} "
            f"(or the system trust store) for this host name: {text}"
        )
    if not client_cert:
        return (
            "TLS: the peer refused the connection: it requires a client certificate and "
            f"none is configured ({CERT_VAR}, {KEY_VAR}): {text}"
        )
    return (
        "TLS: the peer refused the connection: it does not accept this node's client "
        f"certificate ({CERT_VAR}: not one the peer trusts): {text}"
    )


def peer_client(timeout: float, tls: PeerTLS | None = None) -> httpx.Client:
    """The client for every call to a peer (sync batches, deconfliction rounds)."""
    tls = PeerTLS.from_env() if tls is None else tls
    return httpx.Client(timeout=timeout, transport=_ExplainingTransport(tls))


def json_transport(path: str, timeout: float) -> JsonTransport:
    """POST a JSON body to ``peer endpoint + path`` over :func:`peer_client`: the one
    transport every node-to-node call (batches, deconfliction, PPRL, hit notices) uses, so
    each gets the node's mutual TLS without building its own client."""
    client = peer_client(timeout)

    def post(endpoint: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        response = client.post(endpoint + path, json=body)
        return response.status_code, response.json()

    return post
