"""Fixtures for the job plumbing: clean queues and a real worker subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from rq import Queue

from jobs import queues

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def redis(runtime):
    return runtime.redis


@pytest.fixture(autouse=True)
def clean_queues(runtime):
    """Every job test starts with empty queues, registries and job bookkeeping keys."""

    def wipe():
        conn = runtime.redis
        for name in queues.ALL:
            Queue(name, connection=conn).empty()
        patterns = (
            "rq:scheduled:*",
            "rq:scheduler:*",
            "cp:fanout:*",
            "cp:heartbeats:*",
            "cp:duework*",
            "test:*",
        )
        for pattern in patterns:
            keys = list(conn.scan_iter(pattern))
            if keys:
                conn.delete(*keys)

    wipe()
    yield
    wipe()


@pytest.fixture()
def worker_env(settings) -> dict:
    """Environment of a real worker process pointed at this run's database and Redis db."""
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "PYTHONPATH")}
    env.update(
        DATABASE_URL=settings.database_url,
        DATABASE_OWNER_URL=settings.database_owner_url,
        REDIS_URL=settings.redis_url,
        APP_ENV="test",
        LOG_LEVEL="WARNING",
    )
    return env


@pytest.fixture()
def run_worker(worker_env):
    """Run ``python -m jobs.worker --burst [queues]`` to completion; return the process result."""

    def run(*queue_names: str) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [sys.executable, "-m", "jobs.worker", "--burst", *queue_names],
            cwd=ROOT,
            env=worker_env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        return result

    return run
