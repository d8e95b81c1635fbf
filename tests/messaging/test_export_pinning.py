"""The export client connects to the address the guard vetted: no second DNS answer (rebinding)
can redirect it, while Host and TLS (SNI, certificate checks) still use the target's name."""

from __future__ import annotations

import datetime as dt
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from tenantapp.exports import client, guard
from tenantapp.exports.guard import check_url

NAME = "hooks.example.test"


def _fake_dns(monkeypatch, answers: list[str]):
    """``NAME`` resolves to ``answers`` in turn (the last one repeats); IPs resolve to themselves."""
    real = socket.getaddrinfo
    asked = []

    def fake(host, port, *args, **kwargs):
        if host == NAME:
            asked.append(host)
            address = answers[min(len(asked) - 1, len(answers) - 1)]
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(guard.socket, "getaddrinfo", fake)
    return asked


def test_dns_rebinding_after_the_check_cannot_move_the_connection(
    settings, monkeypatch, webhook_target
):
    # first answer (the check) is the test server; any later lookup would say "somewhere else"
    asked = _fake_dns(monkeypatch, ["127.0.0.1", "203.0.113.9"])
    allowed = settings.replace(
        export_allow_http=True, export_unsafe_allow_targets=[f"{NAME}:{webhook_target.port}"]
    )
    target = check_url(f"http://{NAME}:{webhook_target.port}/hooks", allowed)
    resp = client.post(target, b"{}", {"Content-Type": "application/json"}, timeout=2.0)
    assert resp.status_code == 200
    assert asked == [NAME]  # resolved once, by the guard
    (request,) = webhook_target.requests
    assert request["headers"]["Host"] == f"{NAME}:{webhook_target.port}"
    assert request["path"] == "/hooks"


@pytest.fixture()
def tls_server(tmp_path):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, NAME)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(NAME)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    names = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    context.sni_callback = lambda sock, name, ctx: names.append(name)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server.server_address[1], names
    server.shutdown()
    server.server_close()


def test_https_targets_keep_sni_and_certificate_checks_for_the_name(
    settings, monkeypatch, tls_server
):
    port, names = tls_server
    _fake_dns(monkeypatch, ["127.0.0.1"])
    allowed = settings.replace(export_unsafe_allow_targets=[f"{NAME}:{port}"])
    target = check_url(f"https://{NAME}:{port}/hooks", allowed)
    assert target.address == "127.0.0.1"
    # a self-signed certificate: verification stays on, so the call fails after the handshake
    with pytest.raises(requests.exceptions.SSLError):
        client.post(target, b"{}", {}, timeout=2.0)
    assert names and names[0] == NAME  # SNI carried the host name, not the pinned IP
