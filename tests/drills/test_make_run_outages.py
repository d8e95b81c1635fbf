"""Drill (SPEC §8, §9): the real ``python -m devstack.run`` survives a Postgres and a Redis outage.

The launcher runs against a private Postgres cluster and a private redis-server owned by the test
(never the machine's shared ones). Postgres stops: requests answer 503 with ``Retry-After: 5``,
``/readyz`` 503; it starts again: service within seconds. Redis stops: tenant reads and writes go
on. Through both, no child (gunicorn, worker, scheduler) exits, the scheduler beats again after
Redis returns, and Ctrl-C still stops everything."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from devstack import services
from devstack.run import DEMO_EMAIL, DEMO_PASSWORD, DEV_OPERATOR
from tests.drills.support import ROOT, OwnRedis, PrivatePostgres

pytestmark = pytest.mark.slow


def http(method: str, url: str, body: dict | None = None, headers: dict | None = None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    for key, value in (headers or {}).items():
        request.add_header(key, value)
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return resp.status, dict(resp.headers), json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), json.loads(exc.read() or b"{}")


def wait_for(check, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    last = None
    while time.monotonic() < deadline:
        try:
            last = check()
        except OSError as exc:
            last = exc
        else:
            if last is True:
                return time.monotonic()
        time.sleep(0.2)
    raise AssertionError(f"{what} not within {seconds} s (last: {last})")


@pytest.fixture()
def private_services(tmp_path):
    pg = PrivatePostgres(tmp_path / "pg-owner")
    pg.start()
    redis_server = OwnRedis(tmp_path)
    redis_server.start()
    yield pg, redis_server
    redis_server.stop()
    pg.remove()


def test_make_run_survives_postgres_and_redis_outages(tmp_path, private_services):
    pg, redis_server = private_services
    port = services.free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "launcher.log"
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "DATABASE_OWNER_URL", "REDIS_URL", "SERVICES"}
    }
    env.update(
        DATABASE_ADMIN_URL=pg.admin_url,
        REDIS_URL=redis_server.url,
        PORT=str(port),
        DEVSTACK_DATA=str(tmp_path / "data"),
        WEB_CONCURRENCY="1",
    )
    with open(log, "ab") as out:
        launcher = subprocess.Popen(
            [sys.executable, "-m", "devstack.run"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )

    def output() -> str:
        return log.read_text(errors="replace")

    def status(path: str, method: str = "GET", body=None, headers=None) -> int:
        return http(method, base + path, body, headers)[0]

    try:
        wait_for(lambda: "make run: ready in" in output() or output()[-2000:], 180, "ready")
        code, _, login = http(
            "POST", f"{base}/v1/auth/login", {"email": DEMO_EMAIL, "password": DEMO_PASSWORD}
        )
        assert code == 200, login
        staff = {"Authorization": f"Bearer {login['access_token']}"}
        settings = "/t/demo/v1/admin/settings"
        assert status(settings, headers=staff) == 200

        # ---- Postgres stops
        pg.stop()
        for path, headers in ((settings, staff), ("/t/demo/v1/company", {}), ("/v1/tenant", staff)):
            code, resp_headers, problem = http("GET", base + path, headers=headers)
            assert code == 503, (path, code, problem)
            assert resp_headers.get("Retry-After") == "5", path
            assert problem["code"] == "service_unavailable"
        assert status("/readyz") == 503
        time.sleep(5)  # a while down: nothing may exit meanwhile
        assert status("/readyz") == 503

        pg.start()
        back = time.monotonic()
        served = wait_for(
            lambda: status("/readyz") == 200 and status(settings, headers=staff) == 200,
            10,
            "service after Postgres returned",
        )
        recovered_in = served - back
        assert recovered_in < 5, recovered_in

        # ---- Redis stops: tenant reads and writes keep working
        redis_server.stop()
        assert status(settings, headers=staff) == 200
        patched = status(settings, "PATCH", {"company_name": "Outage Proof Co"}, staff)
        assert patched == 200
        assert status("/readyz") == 503
        time.sleep(8)  # the worker and scheduler lose Redis for a while
        redis_server.start()
        wait_for(lambda: status("/readyz") == 200, 15, "/readyz after Redis returned")

        operator = "Basic " + base64.b64encode(DEV_OPERATOR.encode()).decode()

        def scheduler_beats_again() -> bool | dict:
            _, _, report = http("GET", f"{base}/readyz", headers={"Authorization": operator})
            jobs = report.get("jobs", {})
            age = jobs.get("scheduler_age")
            return True if age is not None and age < 5 else jobs

        # The scheduler beat is lost with the Redis data: a fresh one proves it is running.
        wait_for(scheduler_beats_again, 40, "a scheduler heartbeat after Redis returned")

        assert "exited with code" not in output(), output()[-3000:]
        assert launcher.poll() is None
        print(f"recovered {recovered_in:.2f} s after Postgres started")
    finally:
        if launcher.poll() is None:
            launcher.send_signal(signal.SIGINT)
            rc = launcher.wait(90)
        else:
            rc = launcher.returncode
    assert rc == 0, output()[-3000:]
    assert "everything started here is stopped" in output()
    assert services.port_free(port)
