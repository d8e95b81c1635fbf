"""Slow clients cannot stall the platform (issue 18 item 4).

Starts the real gunicorn exactly as ``make run`` does (``devstack.run.web_command``), opens 4
connections that send half a request and then go quiet, and times ordinary requests meanwhile:
none may take more than 1 s. The same drill against the old sync workers shows the stall it guards
against (a request waits behind the half-sent ones), so it can fail.
"""

from __future__ import annotations

import contextlib
import socket
import time
import urllib.request
from pathlib import Path

import pytest

from devstack.run import web_command
from devstack.services import spawn, stop_process
from tests.drills.support import ROOT, worker_env
from tests.messaging.conftest import free_port

pytestmark = pytest.mark.slow

HALF_SENT = (
    # headers never finished
    b"GET /healthz HTTP/1.1\r\nHost: drill\r\nUser-Agent: slowloris",
    b"GET /v1/openapi.json HTTP/1.1\r\nHost: drill\r\n",
    # headers done, body promised but only partly sent
    b"POST /v1/auth/login HTTP/1.1\r\nHost: drill\r\nContent-Type: application/json\r\n"
    b'Content-Length: 200\r\n\r\n{"email": ',
    b"POST /v1/signup HTTP/1.1\r\nHost: drill\r\nContent-Type: application/json\r\n"
    b"Content-Length: 500\r\n\r\n{",
)


def _start_web(settings, tmp_path: Path, worker_class: str | None):
    port = str(free_port())
    metrics_dir = tmp_path / "prometheus"
    metrics_dir.mkdir()
    env = worker_env(
        settings,
        OPERATOR_BASIC_AUTH="ops:drill-password-123",
        PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
        WEB_CONCURRENCY="2",
    )
    argv = web_command(env, "127.0.0.1", port)
    if worker_class is not None:  # the configuration before this fix
        at = argv.index("--worker-class")
        argv[at + 1] = worker_class
        del argv[argv.index("--threads") : argv.index("--threads") + 2]
    proc = spawn(argv, env=env, cwd=ROOT, log=tmp_path / "gunicorn.log")
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        assert proc.poll() is None, (tmp_path / "gunicorn.log").read_text()[-3000:]
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as resp:
                if resp.status == 200:
                    break
        except OSError:
            pass
        assert time.monotonic() < deadline, "gunicorn never answered /healthz"
        time.sleep(0.2)
    return proc, int(port), base


def _slowest_of(base: str, paths: list[str], client_timeout: float) -> float:
    """The longest a request took (a client-side timeout counts as ``client_timeout``)."""
    slowest = 0.0
    for path in paths:
        started = time.monotonic()
        try:
            with urllib.request.urlopen(base + path, timeout=client_timeout) as resp:
                assert resp.status == 200
                resp.read()
        except TimeoutError:
            return client_timeout  # stalled: no need to wait out the rest
        slowest = max(slowest, time.monotonic() - started)
    return slowest


@pytest.mark.parametrize("worker_class", [None, "sync"], ids=["make-run-gthread", "old-sync"])
def test_four_half_sent_connections_do_not_delay_other_requests(runtime, tmp_path, worker_class):
    proc, port, base = _start_web(runtime.settings, tmp_path, worker_class)
    slow = []
    try:
        for chunk in HALF_SENT:
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(chunk)
            slow.append(sock)
        time.sleep(0.5)  # let the workers pick the half-sent connections up
        paths = ["/healthz", "/readyz", "/v1/openapi.json", "/healthz"] * 5
        slowest = _slowest_of(base, paths, client_timeout=3.0)
        # the half-sent connections are still open (nobody hung up on them early)
        for sock in slow:
            sock.setblocking(False)
            with contextlib.suppress(BlockingIOError):  # nothing to read: still open
                assert sock.recv(1) != b"", "the server closed a half-sent connection"
    finally:
        for sock in slow:
            sock.close()
        stop_process(proc, "drill gunicorn")
    print(
        f"slowest request behind 4 half-sent connections ({worker_class or 'gthread'}): {slowest:.3f} s"
    )
    if worker_class is None:
        assert slowest < 1.0, f"a request took {slowest:.2f} s behind 4 half-sent connections"
    else:
        assert slowest >= 1.0, f"sync workers were expected to stall (slowest {slowest:.2f} s)"
