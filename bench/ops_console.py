"""Operator console bench (SPEC §4.5, §10): the ``/ops/`` tenants table over 10 000 tenants.

    python -m bench.ops_console [--tenants 10000] [--requests 40]

Tenants are control-plane rows only (no schemas), each with an owner user, spread over 400 days,
five statuses, three plans, two shards and two revisions. Every request goes through the whole
WSGI dispatcher in-process (Basic auth, the query, the Jinja page) — the server time of a page.
Scenarios: the first page, pages deep into the fleet (following "Older"), a search by slug
fragment, by owner e-mail, each filter, and filters with a search. Also timed: the hourly snapshot
over the fleet and the charts page over 400 days of hourly history.
Prints ``ops_console tenants p95_ms=<x>`` (target ≤ 150 ms) and one line per other figure.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import re
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # runs as `python bench/<name>.py` too

ADMIN_URL = os.environ.get("DATABASE_ADMIN_URL", "postgresql://postgres@localhost:5432/postgres")
REDIS_BASE = os.environ.get("BENCH_REDIS_URL", "redis://localhost:6379")
OPERATOR = ("bench", "bench-operator-password")
# Names like real ones (varied trigrams), not "bench-<i>" everywhere, which no index can narrow.
WORDS = [
    "sparkle",
    "shine",
    "fresh",
    "bright",
    "clean",
    "tidy",
    "crystal",
    "maple",
    "cedar",
    "harbor",
    "river",
    "summit",
    "prairie",
    "golden",
    "silver",
    "happy",
    "busy",
    "honest",
    "swift",
    "gentle",
    "royal",
    "urban",
    "metro",
    "coastal",
    "valley",
    "north",
    "south",
]
NOUNS = [
    "maids",
    "home",
    "house",
    "nest",
    "broom",
    "mop",
    "suds",
    "bee",
    "star",
    "leaf",
    "wave",
    "hive",
    "team",
    "crew",
    "pros",
]
FIRST = [
    "ana",
    "ben",
    "carla",
    "dev",
    "emma",
    "farid",
    "grace",
    "hugo",
    "ines",
    "jamal",
    "kira",
    "liam",
    "mona",
    "nils",
    "olga",
]
LAST = [
    "smith",
    "garcia",
    "nguyen",
    "patel",
    "kim",
    "muller",
    "rossi",
    "dubois",
    "silva",
    "cohen",
    "okafor",
    "larsen",
]
STATUSES = ["active"] * 85 + ["suspended"] * 8 + ["deleted"] * 4 + ["provision_failed"] * 3
PLANS = ["free"] * 70 + ["pro"] * 25 + ["business"] * 5


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def seed(rt, n: int, previous_revision: str, head: str) -> list[dict]:
    from sqlalchemy import insert

    from shared.models.accounts import User
    from shared.models.tenants import Tenant
    from shared.tenancy import new_schema_name

    rng = random.Random(32)
    now = datetime.now(UTC)
    users, tenants = [], []
    for i in range(n):
        uid = uuid.uuid4()
        adjective, noun = rng.choice(WORDS), rng.choice(NOUNS)
        email = f"{rng.choice(FIRST)}.{rng.choice(LAST)}{i}@{rng.choice(WORDS)}{noun}.example"
        users.append({"id": uid, "email": email, "password_hash": "x"})
        tenants.append(
            {
                "id": uuid.uuid4(),
                "slug": f"{adjective}-{noun}-{i}",
                "company_name": f"{adjective.title()} {noun.title()} Cleaning {i}",
                "schema_name": new_schema_name(),
                "status": rng.choice(STATUSES),
                "plan_code": rng.choice(PLANS),
                "shard": "eu-1" if i % 10 == 0 else "default",
                "schema_revision": previous_revision if i % 20 == 0 else head,
                "owner_user_id": uid,
                "time_zone": "UTC",
                "created_at": now - timedelta(seconds=rng.randint(0, 400 * 86400)),
                "last_activity_at": now - timedelta(seconds=rng.randint(0, 30 * 86400)),
            }
        )
    with rt.owner_engine.begin() as conn:
        for i in range(0, n, 2000):
            conn.execute(insert(User), users[i : i + 2000])
            conn.execute(insert(Tenant), tenants[i : i + 2000])
        conn.exec_driver_sql("ANALYZE public.tenants; ANALYZE public.users")
    return tenants


def history(rt, days: int = 400) -> int:
    """Hourly points for ``days`` (what 400 days of snapshots leave behind)."""
    from sqlalchemy.dialects.postgresql import insert

    from controlplane.ops_console.models import OpsPoint, OpsSnapshot
    from controlplane.ops_console.snapshots import hour_of

    now = hour_of(datetime.now(UTC))
    rows, snaps = [], []
    for h in range(days * 24, 0, -1):
        at = now - timedelta(hours=h)
        snaps.append({"hour": at})
        for series, labels in (
            ("signups", [""]),
            ("api_requests", [""]),
            ("tenants", ["active", "suspended", "provision_failed", "deleting"]),
            ("mrr_cents", ["free", "pro", "business"]),
            ("outbox_depth", ["platform", "tenants_due"]),
            ("dlq_depth", ["email", "webhook"]),
        ):
            rows += [{"series": series, "hour": at, "label": lb, "value": h % 97} for lb in labels]
    with rt.owner_engine.begin() as conn:
        for i in range(0, len(rows), 5000):
            conn.execute(insert(OpsPoint).values(rows[i : i + 5000]).on_conflict_do_nothing())
        conn.execute(insert(OpsSnapshot).values(snaps).on_conflict_do_nothing())
        conn.exec_driver_sql("ANALYZE public.ops_series")
    return len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=10000)
    parser.add_argument("--requests", type=int, default=40, help="requests per scenario")
    parser.add_argument("--no-docs", action="store_true", help="do not update docs/benchmarks.md")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "ops_console.json"))
    args = parser.parse_args()

    from sqlalchemy.engine import make_url

    from bench.docs import replace_section
    from shared.dbsetup import drop_database, setup_database
    from shared.migrations import tenant_track, upgrade_public
    from shared.runtime import Runtime, use_runtime
    from shared.settings import Settings
    from tests.support import ApiClient, claim_redis_db, release_redis_db
    from wsgi import create_wsgi

    name = f"cleanplane_bench_{uuid.uuid4().hex[:10]}"
    host = make_url(ADMIN_URL).set(database=name)
    app_url = host.set(username="cleanplane_app", password="app-pw").render_as_string(False)
    owner_url = host.set(username="cleanplane_owner", password="owner-pw").render_as_string(False)
    redis_db, redis_client = claim_redis_db()
    env = {
        "APP_ENV": "dev",
        "DATABASE_URL": app_url,
        "DATABASE_OWNER_URL": owner_url,
        "REDIS_URL": f"{REDIS_BASE}/{redis_db}",
        "OPERATOR_BASIC_AUTH": ":".join(OPERATOR),
        "LOG_LEVEL": "WARNING",
        "TENANT_POOL_SIZE": "0",
    }
    auth = {"Authorization": "Basic " + base64.b64encode(":".join(OPERATOR).encode()).decode()}
    setup_database(ADMIN_URL, app_url, owner_url)
    timings: dict[str, list[float]] = {}
    try:
        rt = Runtime(Settings.from_env(env))
        upgrade_public(rt.owner_engine)
        chain = tenant_track().chain
        tenants = seed(rt, args.tenants, chain[-2], chain[-1])
        points = history(rt)
        client = ApiClient(create_wsgi(rt.settings, runtime=rt))
        rng = random.Random(7)

        def timed(label: str, url: str, **params) -> str:
            started = time.perf_counter()
            resp = client.get(url, query_string=params, headers=auth)
            timings.setdefault(label, []).append((time.perf_counter() - started) * 1000)
            assert resp.status_code == 200, (url, params, resp.status_code)
            return resp.get_data(as_text=True)

        timed("warm-up", "/ops/")
        timings.clear()
        for _ in range(args.requests):
            timed("first page", "/ops/")
            pick = rng.choice(tenants)
            timed("search slug fragment", "/ops/", q=pick["slug"][-8:])
            timed("search company", "/ops/", q=pick["company_name"].split()[0])
            timed("search owner e-mail", "/ops/", q=f"{rng.choice(LAST)}{rng.randrange(999)}@")
            timed("filter status", "/ops/", status=rng.choice(["active", "suspended"]))
            timed("filter plan", "/ops/", plan=rng.choice(["free", "pro", "business"]))
            timed("filter shard", "/ops/", shard="eu-1")
            timed("filter revision", "/ops/", revision=chain[-2])
            timed("filters + search", "/ops/", status="active", plan="pro", q=rng.choice(WORDS))
            timed("tenant page", f"/ops/tenants/{pick['id']}")
        # deep pages: follow "Older" from the first page
        html = timed("deep pages", "/ops/")
        for _ in range(args.requests):
            found = re.search(r'rel="next" href="([^"]+)"', html)
            if not found:
                break
            href = found.group(1).replace("&amp;", "&")
            path, _, query = href.partition("?")
            params = dict(p.split("=", 1) for p in query.split("&") if p)
            html = timed("deep pages", path, **params)
        with use_runtime(rt):
            from controlplane.ops_console.snapshots import take_snapshot

            started = time.perf_counter()
            take_snapshot(datetime.now(UTC))
            snapshot_ms = (time.perf_counter() - started) * 1000
        for _ in range(max(5, args.requests // 4)):
            timed("charts 400d", "/ops/charts", range="400d")
            timed("charts 7d (hourly)", "/ops/charts", range="7d")
        rt.dispose()
    finally:
        redis_client.close()
        release_redis_db(redis_db)
        drop_database(ADMIN_URL, name)

    table_labels = [k for k in timings if not k.startswith(("charts", "tenant page"))]
    table = [v for k in table_labels for v in timings[k]]
    load = os.getloadavg()
    result = {
        "tenants": args.tenants,
        "series_points": points,
        "tenants_p50_ms": round(statistics.median(table), 1),
        "tenants_p95_ms": round(pct(table, 95), 1),
        "snapshot_ms": round(snapshot_ms, 1),
        "scenarios": {
            k: {
                "n": len(v),
                "p50_ms": round(statistics.median(v), 1),
                "p95_ms": round(pct(v, 95), 1),
            }
            for k, v in timings.items()
        },
        "load": [round(x, 2) for x in load],
    }
    print(f"ops_console tenants p95_ms={result['tenants_p95_ms']} (target <= 150)")
    print(f"ops_console tenants p50_ms={result['tenants_p50_ms']}")
    for k, v in result["scenarios"].items():
        print(f"ops_console {k}: n={v['n']} p50_ms={v['p50_ms']} p95_ms={v['p95_ms']}")
    print(f"ops_console snapshot over {args.tenants} tenants: {result['snapshot_ms']} ms")
    print(f"load average: {' '.join(str(x) for x in result['load'])}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    if not args.no_docs:
        command = " ".join(["python", "-m", "bench.ops_console", *sys.argv[1:]])
        lines = [
            "## Operator console",
            "",
            f"Command: `{command}` (own database and Redis db; {args.tenants} tenants as "
            "control-plane rows with owners; 400 days of hourly snapshot points; requests through "
            "the whole WSGI dispatcher in-process, Basic auth and page rendering included; "
            f"load average at the end {result['load'][0]} / {result['load'][1]}).",
            "",
            "| figure | measured | target |",
            "|---|---|---|",
            f"| tenants table, all scenarios below, p95 | {result['tenants_p95_ms']} ms | ≤ 150 ms |",
        ]
        for k, v in result["scenarios"].items():
            lines.append(f"| {k} (n={v['n']}) | p50 {v['p50_ms']} ms, p95 {v['p95_ms']} ms | — |")
        lines += [f"| hourly snapshot over the fleet | {result['snapshot_ms']} ms | — |", ""]
        replace_section("## Operator console", "\n".join(lines))


if __name__ == "__main__":
    main()
