"""Connection recycling bench (SPEC §2.7, §10): backend memory and routing overhead over many tenants.

In a database of its own (dropped at the end), N tenants (default 2 000) are signed up in-process
(cold path, password hashed once). Then, for each ``POOL_MAX_TENANTS_PER_CONN`` value, a fresh
runtime serves the staff list endpoint ``GET /t/<slug>/v1/admin/leads`` through the WSGI
dispatcher (in-process, one thread):
- one tenant, R requests: the baseline throughput;
- all N tenants round-robin once (memory), then 1 000 of them round-robin twice: throughput of the
  second pass (tenant rows and sessions cached, as in steady state) over the baseline — target ≥ 0.8;
- every 97 requests and whenever recycling retires a backend, the private memory (USS =
  Private_Clean + Private_Dirty from ``/proc/<pid>/smaps_rollup``) of each Postgres backend the
  app holds — target ≤ 150 MB. The bench runs as root beside Postgres; backend pids come from
  ``pg_backend_pid()`` on each new connection;
- a worst-case pass that touches every tenant table of every tenant (what a backend serving all
  features of all tenants would cache);
- SQL statements per request counted with ``before_cursor_execute``: round-robin must issue no more
  than one tenant (zero statements for tenant selection), and none may set ``search_path``.
Catalog size per tenant (pg_class rows, pg_catalog bytes) is measured for docs/scaling.md.

    .venv/bin/python bench/recycling.py                  # 2 000 tenants, values 100 200 500 1200
    .venv/bin/python bench/recycling.py --quick          # make bench: 300 tenants
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import event, select, text
from werkzeug.test import Client
from werkzeug.wrappers import Response

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.scale_docs import write_block  # noqa: E402
from shared import db  # noqa: E402
from shared.dbsetup import drop_database, setup_database  # noqa: E402
from shared.migrations import upgrade_public  # noqa: E402
from shared.runtime import Runtime, use_runtime  # noqa: E402
from shared.settings import Settings  # noqa: E402
from shared.tenancy import tenant_context  # noqa: E402
from tests.support import claim_redis_db, release_redis_db  # noqa: E402

ADMIN_URL = os.environ.get("DATABASE_ADMIN_URL", "postgresql://postgres@localhost:5432/postgres")
REDIS_BASE = os.environ.get("TEST_REDIS_URL", "redis://localhost:6379")
RESULTS = ROOT / "bench" / "results" / "recycling.json"
USS_TARGET_MB = 150.0
RATIO_TARGET = 0.8
ROUTING_TENANTS = 1000  # SPEC §10: staff list throughput over 1 000 tenants round-robin
ROUNDS = 3
BLOCK = 50


class PreHashed:
    def __init__(self, password_hash: str):
        self._hash = password_hash

    def hash(self, password: str) -> str:  # noqa: ARG002
        return self._hash


def uss_mb(pid: int) -> float | None:
    """Private memory of process ``pid`` in MB, or None when it is gone."""
    try:
        lines = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
    except (FileNotFoundError, ProcessLookupError):
        return None
    kb = 0
    for line in lines:
        if line.startswith(("Private_Clean:", "Private_Dirty:", "Private_Hugetlb:")):
            kb += int(line.split()[1])
    return kb / 1024


def catalog_size(engine) -> dict:
    with engine.connect() as conn:
        return {
            "pg_class_rows": conn.scalar(text("SELECT count(*) FROM pg_class")),
            "pg_catalog_bytes": int(
                conn.scalar(
                    text(
                        "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c"
                        " JOIN pg_namespace n ON n.oid = c.relnamespace"
                        " WHERE n.nspname = 'pg_catalog' AND c.relkind = 'r'"
                    )
                )
            ),
        }


def make_tenants(rt: Runtime, n: int) -> list[tuple[str, str]]:
    """N tenants via the real signup service (cold path); returns (slug, access token)."""
    from controlplane.signup.service import signup

    stub = PreHashed(__import__("argon2").PasswordHasher(time_cost=1, memory_cost=1024).hash("x"))
    tenants = []
    started = time.perf_counter()
    tag = uuid.uuid4().hex[:6]
    with use_runtime(rt):
        for i in range(n):
            slug = f"rc-{tag}-{i}"
            out = signup(
                {
                    "company_name": f"Recycling {i}",
                    "slug": slug,
                    "email": f"{slug}@bench.example.com",
                    "password": "Bench-Password-2026",
                    "time_zone": "America/Edmonton",
                },
                stub,
            )
            tenants.append((slug, out["access_token"]))
            if (i + 1) % 250 == 0:
                print(f"  {i + 1} tenants ({time.perf_counter() - started:.0f} s)", flush=True)
    return tenants


class Probe:
    """Backend pids and statement counts of one runtime's app engine."""

    def __init__(self, rt: Runtime):
        self.pids: list[int] = []
        self.statements = 0
        self.search_path = 0
        self.selection = 0
        self.connects = 0

        self.peaks: list[float] = []

        @event.listens_for(rt.engine, "connect")
        def _connect(dbapi_conn, record):
            with dbapi_conn.cursor() as cur:
                cur.execute("SELECT pg_backend_pid()")
                pid = cur.fetchone()[0]
            self.pids.append(pid)
            record.info["pid"] = pid
            self.connects += 1

        @event.listens_for(rt.engine, "invalidate")
        def _invalidate(dbapi_conn, record, exc):  # noqa: ARG001
            # Recycling invalidates the connection before closing it: the backend is still there,
            # at its largest. Periodic samples alone can alias with the recycling period.
            pid = record.info.get("pid")
            mem = uss_mb(pid) if pid else None
            if mem is not None:
                self.peaks.append(mem)

        @event.listens_for(rt.engine, "before_cursor_execute")
        def _count(conn, cursor, statement, *args):  # noqa: ARG001
            self.statements += 1
            lowered = statement.lower()
            if "search_path" in lowered:
                self.search_path += 1
            if "search_path" in lowered or "public.tenants" in lowered:
                self.selection += 1

    def sample(self) -> list[float]:
        alive = [(pid, uss_mb(pid)) for pid in dict.fromkeys(self.pids)]
        return [m for _, m in alive if m is not None]


def serve(client: Client, tenants, order, probe: Probe, samples: list, t0: float) -> float:
    """Request the staff list for each tenant index in ``order``; returns requests per second."""
    started = time.perf_counter()
    for k, i in enumerate(order):
        slug, token = tenants[i]
        resp = client.get(f"/t/{slug}/v1/admin/leads", headers={"Authorization": f"Bearer {token}"})
        if resp.status_code != 200:
            raise RuntimeError(f"{slug}: {resp.status_code} {resp.get_data(as_text=True)[:200]}")
        if k % 97 == 0:
            mem = probe.sample()
            samples.append([round(time.perf_counter() - t0, 2), max(mem or [0.0])])
    return len(order) / (time.perf_counter() - started)


def touch_everything(rt: Runtime, probe: Probe, samples: list, t0: float) -> None:
    """Worst case: every tenant table of every tenant, in tenant sessions on the app engine."""
    from shared.db import TenantBase

    tables = list(TenantBase.metadata.sorted_tables)
    with use_runtime(rt):
        for k, slug in enumerate(rt.tenants_slugs):
            ref = rt.tenants.by_slug(slug)
            with tenant_context(ref):
                sess = db.session()
                for table in tables:
                    sess.execute(select(table).limit(1)).all()
                sess.commit()
            if k % 97 == 0:
                mem = probe.sample()
                samples.append([round(time.perf_counter() - t0, 2), max(mem or [0.0])])


def measure(settings: Settings, tenants, value: int, single_requests: int) -> dict:
    import shared.auth.guards

    # The staff-session cache (30 s) is per session, not per tenant: on a slow pass over 1 000
    # tenants it would lapse and add an auth query to round-robin requests only.
    shared.auth.guards.SESSION_CACHE_SECONDS = 3600
    import tenantapp.models  # noqa: F401 - every tenant table on TenantBase
    from wsgi import create_wsgi

    rt = Runtime(settings.replace(pool_max_tenants_per_conn=value))
    rt.tenants_slugs = [slug for slug, _ in tenants]
    probe = Probe(rt)
    client = Client(create_wsgi(rt.settings, runtime=rt), Response)
    samples: list = []
    t0 = time.perf_counter()
    serve(client, tenants, [0] * 20, probe, [], t0)  # warm-up
    before = probe.statements
    serve(client, tenants, [0] * single_requests, probe, [], t0)
    per_single = (probe.statements - before) / single_requests
    n = len(tenants)
    # Memory: every tenant round-robin (warms the tenant directory and session caches as it goes).
    everyone = serve(client, tenants, range(n), probe, samples, t0)
    # Throughput: the routing figure is over ROUTING_TENANTS round-robin after a warm-up pass, so
    # tenant rows and staff sessions are cached as in steady state (the 30 s session cache would
    # lapse on a longer pass and add an auth query per request that has nothing to do with
    # routing). One tenant and round-robin alternate in blocks of BLOCK requests over ROUNDS
    # passes, so both see the same load on a busy machine.
    window = range(min(ROUTING_TENANTS, n))
    serve(client, tenants, window, probe, samples, t0)
    single_s = robin_s = 0.0
    rr_statements = single_count = 0
    selection = probe.selection
    order = [i for _ in range(ROUNDS) for i in window]
    for start in range(0, len(order), BLOCK):
        block = order[start : start + BLOCK]
        single_s += len(block) / serve(client, tenants, [0] * len(block), probe, [], t0)
        single_count += len(block)
        before = probe.statements
        robin_s += len(block) / serve(client, tenants, block, probe, samples, t0)
        rr_statements += probe.statements - before
    per_rr = rr_statements / len(order)
    selection_rr = (probe.selection - selection) / (single_count + len(order))
    single, second = single_count / single_s, len(order) / robin_s
    ratio = second / single
    endpoint_max = max([m for _, m in samples] + probe.peaks)
    probe.peaks.clear()
    touch: list = []
    touch_everything(rt, probe, touch, t0)
    touch_max = max([m for _, m in touch] + probe.peaks + probe.sample())
    result = {
        "pool_max_tenants_per_conn": value,
        "single_rps": round(single, 1),
        "round_robin_all_tenants_rps": round(everyone, 1),
        "routing_tenants": len(window),
        "selection_statements_per_request": round(selection_rr, 3),
        "round_robin_rps": round(second, 1),
        "ratio": round(ratio, 3),
        "statements_per_request_single": round(per_single, 2),
        "statements_per_request_round_robin": round(per_rr, 2),
        "search_path_statements": probe.search_path,
        "backend_connects": probe.connects,
        "uss_max_mb_endpoint": round(endpoint_max, 1),
        "uss_max_mb_all_tables": round(touch_max, 1),
        "uss_samples": samples,
        "uss_samples_all_tables": touch,
    }
    rt.engine.dispose()
    rt.owner_engine.dispose()
    return result


def run(n: int, values: list[int], single_requests: int) -> dict:
    name = f"cleanplane_bench_recycling_{uuid.uuid4().hex[:8]}"
    index, redis_client = claim_redis_db()
    base = Settings.from_env({})
    app_url = f"postgresql://cleanplane_app:app-pw@localhost:5432/{name}"
    owner_url = f"postgresql://cleanplane_owner:owner-pw@localhost:5432/{name}"
    setup_database(ADMIN_URL, app_url, owner_url)
    try:
        settings = base.replace(
            app_env="test",
            database_url=app_url,
            database_owner_url=owner_url,
            redis_url=f"{REDIS_BASE}/{index}",
            tenant_pool_size=0,
            pool_size=2,
            log_level="WARNING",
            rate_limit_public="1000000/minute",
            argon2_time_cost=1,
            argon2_memory_cost=1024,
        )
        rt = Runtime(settings)
        upgrade_public(rt.owner_engine)
        empty = catalog_size(rt.owner_engine)
        print(f"signing up {n} tenants ...", flush=True)
        started = time.perf_counter()
        tenants = make_tenants(rt, n)
        signup_s = time.perf_counter() - started
        full = catalog_size(rt.owner_engine)
        with rt.owner_engine.connect() as conn:
            version = conn.scalar(text("SELECT version()"))
            tables_per_tenant = conn.scalar(
                text("SELECT count(*) FROM pg_tables WHERE schemaname ~ '^t_'")
            ) // max(n, 1)
        rt.dispose()
        runs = []
        for value in values:
            print(f"POOL_MAX_TENANTS_PER_CONN={value} ...", flush=True)
            runs.append(measure(settings, tenants, value, single_requests))
            r = runs[-1]
            print(
                f"  ratio {r['ratio']:.3f} (single {r['single_rps']} rps, round-robin "
                f"{r['round_robin_rps']} rps); USS max {r['uss_max_mb_endpoint']} MB "
                f"(all tables {r['uss_max_mb_all_tables']} MB); statements/request "
                f"{r['statements_per_request_single']} vs {r['statements_per_request_round_robin']}",
                flush=True,
            )
    finally:
        drop_database(ADMIN_URL, name)
        redis_client.close()
        release_redis_db(index)
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "environment": {
            "cpus": os.cpu_count(),
            "postgres": version,
            "python": platform.python_version(),
            "tables_per_tenant": tables_per_tenant,
        },
        "tenants": n,
        "signup_seconds": round(signup_s, 1),
        "catalog": {
            "pg_class_rows_per_tenant": round(
                (full["pg_class_rows"] - empty["pg_class_rows"]) / n, 1
            ),
            "pg_catalog_kb_per_tenant": round(
                (full["pg_catalog_bytes"] - empty["pg_catalog_bytes"]) / n / 1024, 1
            ),
            "pg_catalog_mb_total": round(full["pg_catalog_bytes"] / 2**20, 1),
        },
        "runs": runs,
    }


def docs_block(result: dict, command: str) -> str:
    env = result["environment"]
    lines = [
        f"Command: `{command}` — last run {result['when']} on {env['cpus']} CPUs, "
        f"{env['postgres'].split(' on ')[0]}; {result['tenants']} tenants "
        f"({env['tables_per_tenant']} tables each), staff list `GET /admin/leads` in-process "
        "through the dispatcher, one thread, app pool of 2.",
        "",
        "| POOL_MAX_TENANTS_PER_CONN | one tenant, req/s | round-robin, req/s | ratio (≥ 0.8) "
        "| backend USS max, endpoint (≤ 150 MB) | backend USS max, every table "
        "| SQL/request one vs round-robin | tenant-selection SQL/request | backend connects |",
        "|---:|---:|---:|---:|---:|---:|---|---:|---:|",
    ]
    for r in result["runs"]:
        value = r["pool_max_tenants_per_conn"]
        label = str(value)
        lines.append(
            f"| {label} | {r['single_rps']} | {r['round_robin_rps']} | {r['ratio']:.2f} "
            f"| {r['uss_max_mb_endpoint']} MB | {r['uss_max_mb_all_tables']} MB "
            f"| {r['statements_per_request_single']} vs "
            f"{r['statements_per_request_round_robin']} "
            f"| {r['selection_statements_per_request']} ({r['search_path_statements']} "
            f"search_path) | {r['backend_connects']} |"
        )
    cat = result["catalog"]
    lines += [
        "",
        f"Catalog growth per tenant: {cat['pg_class_rows_per_tenant']} pg_class rows, "
        f"{cat['pg_catalog_kb_per_tenant']} kB of pg_catalog (total {cat['pg_catalog_mb_total']} MB "
        f"at {result['tenants']} tenants). Round-robin throughput is over the first "
        f"{result['runs'][0]['routing_tenants']} tenants after a warm-up pass (tenant rows and "
        f"sessions cached, as in steady state), {ROUNDS} passes alternating with one-tenant "
        f"requests in blocks of {BLOCK}; the staff-session cache TTL is raised to 1 h so the "
        "per-session auth query (not a routing cost) does not recur mid-pass; "
        "USS is sampled every 97 requests and at each recycling "
        "(just before the backend closes) from "
        "`/proc/<pid>/smaps_rollup` of every backend the app pool opened. JSON: "
        "`bench/results/recycling.json`.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=2000)
    parser.add_argument("--values", type=int, nargs="+", default=None)
    parser.add_argument("--single-requests", type=int, default=1000)
    parser.add_argument("--quick", action="store_true", help="300 tenants, values 50 and 200")
    parser.add_argument("--no-docs", action="store_true", help="do not update docs/benchmarks.md")
    args = parser.parse_args()
    n = 300 if args.quick else args.tenants
    values = args.values or ([50, 200] if args.quick else [100, 200, 500, 1200])
    result = run(n, values, 300 if args.quick else args.single_requests)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, default=str))
    if not args.no_docs:
        command = "python bench/recycling.py" + (" --quick" if args.quick else "")
        write_block("Connection recycling and tenant routing", docs_block(result, command))


if __name__ == "__main__":
    main()
