"""The sign-up page's own timing (issue #31): ``POST /signup`` with the warm pool, in a database
of its own that is dropped at the end.

Figures (werkzeug client over ``create_wsgi``, the whole page request: CSRF check, the API's
schema, ``signup()`` claiming a pool schema, the redirect to the console):
- ``GET /signup`` (the form, ~600 time zones);
- ``POST /signup`` with the pool pre-filled to N, password hashing excluded (hashed once, as in
  ``bench/provision.py``, so the figure is the page + provisioning);
- the same POST with the deployment's real Argon2 hashing (a few samples: what a person waits);
- the address check ``GET /signup/check`` (typed while filling the form).

    .venv/bin/python bench/signup_page.py            # 40 signups
    .venv/bin/python bench/signup_page.py --quick    # 15 signups
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.docs import replace_section  # noqa: E402
from bench.provision import PreHashed, percentile  # noqa: E402
from controlplane.provisioning.pool import pool_status, refill_pool  # noqa: E402
from shared.dbsetup import drop_database, setup_database  # noqa: E402
from shared.migrations import upgrade_public  # noqa: E402
from shared.runtime import Runtime, use_runtime  # noqa: E402
from shared.settings import Settings  # noqa: E402
from tests.support import claim_redis_db, release_redis_db  # noqa: E402

ADMIN_URL = os.environ.get("DATABASE_ADMIN_URL", "postgresql://postgres@localhost:5432/postgres")
REDIS_BASE = os.environ.get("TEST_REDIS_URL", "redis://localhost:6379")
PASSWORD = "Bench-Password-2026"
RESULTS = ROOT / "bench" / "results" / "signup_page.json"
REAL_HASH_SAMPLES = 5


def _form(client, i: int, prefix: str) -> dict:
    page = client.get("/signup")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    tag = uuid.uuid4().hex[:6]
    return {
        "csrf_token": token,
        "company_name": f"Bench Page {prefix} {i}",
        "slug": f"page-{prefix}-{i}-{tag}",
        "email": f"page-{prefix}-{i}-{tag}@bench.example.com",
        "password": PASSWORD,
        "time_zone": "America/Edmonton",
    }


def _post(client, form: dict) -> float:
    started = time.perf_counter()
    resp = client.post("/signup", data=form)
    took = (time.perf_counter() - started) * 1000
    if resp.status_code != 303:
        raise RuntimeError(f"signup page failed: {resp.status_code} {resp.text[:300]}")
    return took


def run(n: int) -> dict:
    from werkzeug.test import Client
    from werkzeug.wrappers import Response

    import controlplane.pages.signup as page_module
    from wsgi import create_wsgi

    dbname = f"cleanplane_bench_{uuid.uuid4().hex[:10]}"
    host = make_url(ADMIN_URL).set(database=dbname)
    app_url = host.set(username="cleanplane_bench_app", password=None)
    owner_url = host.set(username="cleanplane_bench_owner", password=None)
    app_url, owner_url = (u.render_as_string(hide_password=False) for u in (app_url, owner_url))
    setup_database(ADMIN_URL, app_url, owner_url)
    redis_index, redis_client = claim_redis_db()
    rt = None
    try:
        settings = Settings.from_env(
            {},
            app_env="dev",
            database_url=app_url,
            database_owner_url=owner_url,
            redis_url=f"{REDIS_BASE}/{redis_index}",
            log_level="WARNING",
            tenant_pool_size=0,
        )
        rt = Runtime(settings)
        upgrade_public(rt.owner_engine)
        with use_runtime(rt):
            from shared.auth.passwords import Passwords

            real = page_module.passwords
            stub = PreHashed(Passwords(settings).hash(PASSWORD))
            client = Client(create_wsgi(settings, runtime=rt), Response)
            refill_pool(rt, n + 3 + REAL_HASH_SAMPLES)
            page_module.passwords = lambda: stub
            for i in range(3):  # warm connections, templates and imports
                _post(client, _form(client, i, "warm"))
            form_ms = []
            for _ in range(n):
                started = time.perf_counter()
                client.get("/signup")
                form_ms.append((time.perf_counter() - started) * 1000)
            check_ms = []
            for i in range(n):
                started = time.perf_counter()
                client.get(f"/signup/check?slug=page-check-{i}")
                check_ms.append((time.perf_counter() - started) * 1000)
            post_ms = [_post(client, _form(client, i, "warm-pool")) for i in range(n)]
            page_module.passwords = real
            hashed_ms = [
                _post(client, _form(client, i, "hashed")) for i in range(REAL_HASH_SAMPLES)
            ]
            assert pool_status(rt).ready == 0, "every signup must have claimed a pool schema"
            load = round(os.getloadavg()[0], 2)
    finally:
        if rt is not None:
            rt.dispose()
        redis_client.close()
        release_redis_db(redis_index)
        drop_database(ADMIN_URL, dbname)
    figures = {
        "form_get_p50_ms": percentile(form_ms, 50),
        "check_get_p50_ms": percentile(check_ms, 50),
        "post_warm_pool_p50_ms": percentile(post_ms, 50),
        "post_warm_pool_p99_ms": percentile(post_ms, 99),
        "post_real_hashing_p50_ms": percentile(hashed_ms, 50),
    }
    return {
        "bench": "signup_page",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "signups": n,
        "figures": {k: round(v, 2) for k, v in figures.items()},
        "environment": {"python": platform.python_version(), "cpus": os.cpu_count(), "load": load},
    }


def _docs_section(result: dict, command: str, uptime: str) -> str:
    f, env, n = result["figures"], result["environment"], result["signups"]
    rows = [
        ("`GET /signup` (the form), p50", f["form_get_p50_ms"]),
        ("`GET /signup/check` (address check as you type), p50", f["check_get_p50_ms"]),
        ("`POST /signup`, warm pool, hashing excluded, p50", f["post_warm_pool_p50_ms"]),
        ("`POST /signup`, warm pool, hashing excluded, p99", f["post_warm_pool_p99_ms"]),
        (f"`POST /signup` with real Argon2 hashing, p50 of {REAL_HASH_SAMPLES}",
         f["post_real_hashing_p50_ms"]),
    ]  # fmt: skip
    lines = [
        "## Sign-up page",
        "",
        f"Command: `{command}` — last run {result['at']} on {env['cpus']} CPUs, Python "
        f"{env['python']}; `uptime` at the end: `{uptime}`. The machine is shared with other "
        "engineers' test suites, so these figures are upper bounds. Werkzeug client over "
        f"`create_wsgi` (no network); {n} signups, pool pre-filled; each POST is the whole page "
        "request: CSRF check, the API's schema, `signup()` claiming a pool schema, the redirect.",
        "",
        "| figure | measured |",
        "|---|---:|",
    ]
    lines += [f"| {name} | {value:.2f} ms |" for name, value in rows]
    lines += ["", "JSON: `bench/results/signup_page.json`.", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--signups", type=int, default=40)
    parser.add_argument("--quick", action="store_true", help="15 signups")
    parser.add_argument("--no-docs", action="store_true", help="do not update docs/benchmarks.md")
    args = parser.parse_args()
    n = 15 if args.quick else args.signups
    result = run(n)
    for key, value in result["figures"].items():
        print(f"signup_page {key} {value}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    if not args.no_docs:
        uptime = os.popen("uptime").read().strip()
        command = "python bench/signup_page.py" + (" --quick" if args.quick else "")
        replace_section("## Sign-up page", _docs_section(result, command, uptime))


if __name__ == "__main__":
    main()
