"""Real servers for messaging tests: an aiosmtpd SMTP server and a local HTTP webhook target."""

from __future__ import annotations

import json
import socket
import threading
from collections import deque
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller

from shared import circuit
from shared.runtime import Runtime, use_runtime


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Collector:
    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's hook name
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append(
                {"from": envelope.mail_from, "to": list(envelope.rcpt_tos), "message": parsed}
            )
        return "250 Message accepted for delivery"


class SmtpServer:
    """An aiosmtpd server on a fixed free port that the test can stop and start."""

    def __init__(self):
        self.port = free_port()
        self.collector = _Collector()
        self.controller = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def messages(self):
        with self.collector.lock:
            return list(self.collector.messages)

    def start(self):
        self.controller = Controller(self.collector, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture()
def smtp_server():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


class WebhookTarget:
    """A local HTTP server: answers with queued (status, headers) replies, default 200."""

    def __init__(self):
        self.requests = []
        self.replies: deque = deque()
        target = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                target.requests.append(
                    {
                        "method": self.command,
                        "path": self.path,
                        "headers": dict(self.headers),
                        "body": body,
                    }
                )
                status, headers = target.replies.popleft() if target.replies else (200, {})
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                payload = json.dumps({"ok": status < 300}).encode()
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_POST = _answer
            do_GET = _answer

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    @property
    def hostport(self) -> str:
        return f"127.0.0.1:{self.port}"

    def url(self, path: str = "/hooks/leads") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def reply(self, status: int, times: int = 1, headers: dict | None = None):
        for _ in range(times):
            self.replies.append((status, headers or {}))

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def webhook_target():
    target = WebhookTarget()
    yield target
    target.close()


@pytest.fixture(autouse=True)
def fresh_breakers():
    """Each test starts with closed circuits (the breakers are per process)."""
    circuit.reset_all()
    yield
    circuit.reset_all()


@pytest.fixture()
def make_runtime(settings, migrated):
    """A runtime with some settings changed (e.g. SMTP_URL), made current; disposed afterwards."""
    made = []

    def factory(**changes):
        rt = Runtime(settings.replace(**changes))
        made.append(rt)
        return rt

    yield factory
    for rt in made:
        rt.dispose()


@pytest.fixture()
def mail_rt(make_runtime, smtp_server):
    rt = make_runtime(smtp_url=smtp_server.url, mail_timeout_seconds=3.0)
    with use_runtime(rt):
        yield rt
