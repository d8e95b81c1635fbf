"""Pieces the fault drills share: a private redis-server the test owns, a load thread."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import redis
from werkzeug.test import Client
from werkzeug.wrappers import Response

from tests.messaging.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]


class OwnRedis:
    """A redis-server started by the test on a free port (never the machine's shared one)."""

    def __init__(self, workdir: Path):
        self.port = free_port()
        self.workdir = workdir
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        client.close()

    def stop(self, save: bool = False) -> None:
        """SHUTDOWN (SAVE writes the dump a restart loads: a planned restart keeps queued jobs)."""
        if self.proc is None:
            return
        with contextlib.suppress(redis.ConnectionError):
            redis.Redis.from_url(self.url).shutdown(save=save, nosave=not save)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None


class Load:
    """Requests in a loop on their own thread; counts the statuses seen."""

    def __init__(self, app, requests: list[tuple[str, dict]]):
        self.client = Client(app, Response)
        self.requests = requests
        self.statuses: Counter = Counter()
        self.bodies: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        i = 0
        while not self._stop.is_set():
            path, headers = self.requests[i % len(self.requests)]
            resp = self.client.get(path, headers=headers)
            self.statuses[resp.status_code] += 1
            if resp.status_code >= 500:
                self.bodies.append(resp.get_data(as_text=True)[:300])
            i += 1

    def __enter__(self):
        self._thread.start()
        return self

    def total(self) -> int:
        return sum(self.statuses.values())

    def wait_for_more(self, n: int, seconds: float = 20.0) -> None:
        target = self.total() + n
        deadline = time.monotonic() + seconds
        while self.total() < target:
            assert time.monotonic() < deadline, f"load stalled: {self.statuses}"
            time.sleep(0.02)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=30)


def worker_env(settings, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "PYTHONPATH")}
    env.update(
        DATABASE_URL=settings.database_url,
        DATABASE_OWNER_URL=settings.database_owner_url,
        REDIS_URL=settings.redis_url,
        APP_ENV="test",
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
        **extra,
    )
    return env


def run_burst_worker(env: dict, *queues: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "-m", "jobs.worker", "--burst", *queues],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result


class PrivatePostgres:
    """A Postgres cluster of the test's own (the machine's binaries, run as ``postgres``, initdb'd
    in a temporary folder), so a drill can stop and start it under a running app without touching
    the machine's shared server. Wraps ``devstack.services.OwnPostgres``; ``stop`` is a fast
    shutdown (sessions terminated: clients lose their connections, new ones are refused)."""

    def __init__(self, workdir: Path):
        from devstack.services import OwnPostgres

        self.workdir = workdir
        self.server = OwnPostgres(workdir, source="system")

    @property
    def admin_url(self) -> str:
        return self.server.admin_url

    def database_urls(self, name: str = "cleanplane") -> tuple[str, str]:
        """App and owner URLs for database ``name`` (roles made by ``setup_database``)."""
        from sqlalchemy.engine import make_url

        base = make_url(self.admin_url).set(database=name)
        app = base.set(username="cleanplane_app", password="app-pw").render_as_string(False)
        owner = base.set(username="cleanplane_owner", password="owner-pw").render_as_string(False)
        return app, owner

    def start(self) -> None:
        self.server.start()

    def stop(self) -> None:
        self.server.stop()

    def remove(self) -> None:
        import shutil

        self.stop()
        pgdata = self.workdir / "pg"
        if pgdata.is_symlink():  # kept under /var/tmp where the postgres user can reach it
            shutil.rmtree(pgdata.resolve().parent, ignore_errors=True)
        shutil.rmtree(self.workdir, ignore_errors=True)
