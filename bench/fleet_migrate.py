"""Bench: fleet migrations over 1 000 tenant schemas (SPEC §10).

Builds its own database (dropped at the end), creates the tenants with the cold-path DDL in
batches, then measures:
  - the no-op pass (every tenant at head): in-process, and as the whole ``flask tenants migrate``
    command (interpreter and app start-up included);
  - one revision that adds a column and an index to every tenant (a scratch copy of the tenant
    track with one extra revision), with ``--parallel 2``.

    .venv/bin/python bench/fleet_migrate.py [--tenants 1000] [--parallel 2]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # runs as `python bench/<name>.py` too

from sqlalchemy import insert  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench.docs import replace_section  # noqa: E402
from controlplane.fleet.plan import MigrateOptions  # noqa: E402
from controlplane.fleet.scratch import scratch_track  # noqa: E402
from controlplane.fleet.service import migrate_fleet  # noqa: E402
from shared.dbsetup import drop_database, setup_database  # noqa: E402
from shared.migrations import (  # noqa: E402
    create_tenant_schema,
    head_ddl,
    tenant_head,
    upgrade_public,
)
from shared.models.tenants import Tenant  # noqa: E402
from shared.runtime import Runtime  # noqa: E402
from shared.settings import Settings  # noqa: E402
from shared.tenancy import new_schema_name  # noqa: E402
from tests.support import claim_redis_db, release_redis_db  # noqa: E402

ADMIN_URL = os.environ.get("DATABASE_ADMIN_URL", "postgresql://postgres@localhost:5432/postgres")
REDIS_BASE = os.environ.get("TEST_REDIS_URL", "redis://localhost:6379")
# Schemas created per set-up transaction. Each takes a lock per object it creates, all held to
# the commit in the server's shared lock table (max_locks_per_transaction × max_connections):
# 50 schemas of the t0012 head (~35 tables and their indexes) ran it out on a busy server.
BATCH = 10
NOOP_TARGET_S = 2.0
REVISION_TARGET_S = 30.0
RESULTS = ROOT / "bench" / "results" / "fleet.json"
SECTION = "## Fleet migrations"


def create_tenants(rt: Runtime, count: int) -> float:
    """``count`` tenants at the tenant head: schema DDL + tenant row, ``BATCH`` per transaction."""
    started = time.perf_counter()
    app_role = make_url(rt.settings.database_url).username
    head = tenant_head()
    for start in range(0, count, BATCH):
        rows = []
        with rt.owner_engine.begin() as conn:
            for i in range(start, min(start + BATCH, count)):
                schema = new_schema_name()
                create_tenant_schema(conn, schema, app_role)
                rows.append(
                    {
                        "id": uuid.uuid4(),
                        "slug": f"bench-{i:05d}",
                        "company_name": f"Bench {i}",
                        "schema_name": schema,
                        "status": "active",
                        "plan_code": "free",
                        "time_zone": "America/Edmonton",
                        "schema_revision": head,
                    }
                )
            conn.execute(insert(Tenant), rows)
    return time.perf_counter() - started


def timed_run(rt: Runtime, options: MigrateOptions):
    started = time.perf_counter()
    report = migrate_fleet(rt, options)
    return time.perf_counter() - started, report


def cli_noop(settings: Settings, parallel: int) -> float:
    env = dict(os.environ)
    env.update(
        APP_ENV="test",
        DATABASE_URL=settings.database_url,
        DATABASE_OWNER_URL=settings.database_owner_url,
        REDIS_URL=settings.redis_url,
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    cmd = [sys.executable, "-m", "flask", "--app", "controlplane.app:create_app", "tenants",
           "migrate", "--parallel", str(parallel)]  # fmt: skip
    started = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0 or not re.search(r"\b0 migrated, 0 failed", done.stdout):
        raise SystemExit(f"CLI no-op pass failed:\n{done.stdout}\n{done.stderr}")
    return elapsed


def _tenant_tables() -> int:
    ddl = head_ddl()
    return ddl.count("CREATE TABLE") - ddl.count("CREATE TABLE alembic_version")


def write_doc(figures: dict, command: str) -> None:
    """Replace (or add) this bench's section of docs/benchmarks.md, leaving the others alone."""
    n, p = figures["tenants"], figures["parallel"]
    lines = [
        SECTION,
        "",
        f"Command: `{command}` — tenant head `{figures['tenant_head']}` ({figures['tables']} "
        f"tenant tables); own database, dropped at the end; {figures['machine']}; "
        f"1-min load average {figures['load_average']} at the end (2 = both cores busy).",
        "",
        "| what | result | target | anchor |",
        "|---|---|---|---|",
        f"| no-op pass, {n} tenants, in-process (lock, `public`, batched version reads, run row) "
        f"| {figures['noop_s']:.2f} s | ≤ {NOOP_TARGET_S:g} s | django-tenants: 344 s |",
        f"| no-op pass, whole `flask tenants migrate` command (process start-up included) "
        f"| {figures['noop_cli_s']:.2f} s | — | — |",
        f"| one revision (add column + index), {n} tenants, `--parallel {p}` "
        f"| {figures['revision_s']:.2f} s ({figures['revision_per_tenant_ms']:.1f} ms/tenant) "
        f"| ≤ {REVISION_TARGET_S:g} s | django-tenants: ~116 s |",
        f"| no-op pass after that revision | {figures['noop_after_s']:.2f} s | ≤ {NOOP_TARGET_S:g} s "
        "| — |",
        "",
        f"Set-up (not measured against a target): {n} schemas created with the cold-path DDL in "
        f"{figures['create_s']:.1f} s. Measured {figures['measured_at']}.",
        "",
    ]
    replace_section(SECTION, "\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=1000)
    parser.add_argument("--parallel", type=int, default=2)
    parser.add_argument("--no-docs", action="store_true", help="do not update docs/benchmarks.md")
    args = parser.parse_args()
    command = f"python bench/fleet_migrate.py --tenants {args.tenants} --parallel {args.parallel}"

    name = f"cleanplane_bench_fleet_{uuid.uuid4().hex[:8]}"
    host = make_url(ADMIN_URL).set(database=name)
    app_url = host.set(username="cleanplane_app", password="app-pw").render_as_string(False)
    owner_url = host.set(username="cleanplane_owner", password="owner-pw").render_as_string(False)
    redis_index, redis_client = claim_redis_db()
    setup_database(ADMIN_URL, app_url, owner_url)
    settings = Settings.from_env(
        {},
        app_env="test",
        database_url=app_url,
        database_owner_url=owner_url,
        redis_url=f"{REDIS_BASE}/{redis_index}",
        log_level="WARNING",
    )
    rt = Runtime(settings)
    try:
        upgrade_public(rt.owner_engine)
        create_s = create_tenants(rt, args.tenants)
        rt.owner_engine.dispose()  # start the measured passes without warm catalog caches

        noop_s, noop = timed_run(rt, MigrateOptions(parallel=args.parallel, trigger="bench"))
        assert noop.ok and noop.planned == 0 and noop.at_head == args.tenants, noop
        print(f"fleet no-op pass, {args.tenants} tenants: {noop_s:.2f} s (target <= 2 s)")
        noop_cli_s = cli_noop(settings, args.parallel)
        print(f"fleet no-op pass, whole CLI command: {noop_cli_s:.2f} s")

        with tempfile.TemporaryDirectory() as tmp:
            track = scratch_track(Path(tmp) / "alembic_tenant", revisions=1)
            options = MigrateOptions(
                parallel=args.parallel, trigger="bench", track_location=track.location
            )
            revision_s, rev = timed_run(rt, options)
            assert rev.ok and rev.succeeded == args.tenants, rev
            print(
                f"fleet one revision (add column + index), {args.tenants} tenants, "
                f"--parallel {args.parallel}: {revision_s:.2f} s (target <= 30 s)"
            )
            noop_after_s, after = timed_run(rt, options)
            assert after.ok and after.planned == 0, after
            print(f"fleet no-op pass after the revision: {noop_after_s:.2f} s (target <= 2 s)")
    finally:
        rt.engine.dispose()
        rt.owner_engine.dispose()
        rt.redis.close()
        redis_client.close()
        release_redis_db(redis_index)
        drop_database(ADMIN_URL, name)

    figures = {
        "bench": "fleet_migrate",
        "command": command,
        "tenants": args.tenants,
        "parallel": args.parallel,
        "create_s": round(create_s, 3),
        "noop_s": round(noop_s, 3),
        "noop_cli_s": round(noop_cli_s, 3),
        "revision_s": round(revision_s, 3),
        "revision_per_tenant_ms": round(revision_s / args.tenants * 1000, 2),
        "noop_after_s": round(noop_after_s, 3),
        "targets": {"noop_s": NOOP_TARGET_S, "revision_s": REVISION_TARGET_S},
        "machine": f"{os.cpu_count()} cores, Python {platform.python_version()}",
        "tenant_head": tenant_head(),
        "tables": _tenant_tables(),
        "load_average": round(os.getloadavg()[0], 1),
        "measured_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n")
    if not args.no_docs:
        write_doc(figures, command)


if __name__ == "__main__":
    main()
