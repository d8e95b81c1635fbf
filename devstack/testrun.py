"""``make test``: find Postgres and Redis like ``make run``, then run pytest against them.

    python -m devstack.testrun [--no-tests-ok] [pytest args...]

``DATABASE_ADMIN_URL`` / ``TEST_REDIS_URL`` win when set; else the servers on localhost; else our own
under ``.data/`` (stopped again afterwards if this run started them). The tests make a fresh
database and claim a private Redis db index themselves (tests/conftest.py), so shared servers are
safe. ``--no-tests-ok`` turns pytest's exit code 5 (nothing collected) into success.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from devstack.services import Found, ServiceError, find_postgres, find_redis

ROOT = Path(__file__).resolve().parent.parent
NO_TESTS_COLLECTED = 5


def find_services(label: str) -> Found:
    """Servers for tests and benches; raises ServiceError (after stopping what it started)."""
    mode = os.environ.get("SERVICES", "auto")
    data_dir = Path(os.environ.get("DEVSTACK_DATA") or ROOT / ".data").resolve()
    found = Found(os.environ.get("DATABASE_ADMIN_URL"), "", "", "")
    try:
        if found.admin_url:
            found.pg_label = "DATABASE_ADMIN_URL"
        else:
            find_postgres(mode, data_dir, found, os.environ.get("PG_BINARIES", "auto"))
        if os.environ.get("TEST_REDIS_URL"):
            found.redis_base, found.redis_label = os.environ["TEST_REDIS_URL"], "TEST_REDIS_URL"
        else:
            find_redis(mode, data_dir, found)
    except ServiceError:
        found.stop()
        raise
    print(f"{label}: Postgres: {found.pg_label}; Redis: {found.redis_label}", flush=True)
    return found


def service_env(found: Found) -> dict:
    return dict(os.environ, DATABASE_ADMIN_URL=found.admin_url, TEST_REDIS_URL=found.redis_base)


def main(argv: list[str]) -> int:
    no_tests_ok = "--no-tests-ok" in argv
    args = [a for a in argv if a != "--no-tests-ok"]
    try:
        found = find_services("make test")
    except ServiceError as exc:
        print(f"make test: {exc}", file=sys.stderr)
        return 1
    try:
        rc = subprocess.call(
            [sys.executable, "-m", "pytest", *args], cwd=ROOT, env=service_env(found)
        )
    except KeyboardInterrupt:
        rc = 130
    finally:
        found.stop()
    if rc == NO_TESTS_COLLECTED and no_tests_ok:
        print("make test: no tests selected by this marker; counted as success")
        return 0
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
