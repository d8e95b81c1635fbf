"""What the benches share: the service URLs, a database and a Redis db index of their own for
one run (created, and dropped at the end), the machine's figures, and writing the results
(JSON under ``bench/results/`` and the bench's own section of docs/benchmarks.md).

Each bench keeps its two-line path bootstrap (``sys.path.insert(0, ROOT)``, so that
``python bench/<name>.py`` finds the packages) and imports the rest from here.
"""

from __future__ import annotations

import json
import os
import platform
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import make_url

from bench.docs import replace_section
from shared.dbsetup import drop_database, setup_database
from shared.migrations import upgrade_public
from shared.runtime import Runtime
from shared.settings import Settings
from tests.support import claim_redis_db, release_redis_db

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"
ADMIN_URL = os.environ.get("DATABASE_ADMIN_URL", "postgresql://postgres@localhost:5432/postgres")
REDIS_BASE = os.environ.get("TEST_REDIS_URL", "redis://localhost:6379")
BENCH_ROLES = (("cleanplane_bench_app", None), ("cleanplane_bench_owner", None))
BENCH_DEFAULTS = {
    "app_env": "dev",
    "log_level": "WARNING",
    "tenant_pool_size": 0,
    "argon2_time_cost": 1,
    "argon2_memory_cost": 1024,
}


@contextmanager
def bench_runtime(
    *,
    prefix: str = "cleanplane_bench",
    roles: tuple[tuple[str, str | None], tuple[str, str | None]] = BENCH_ROLES,
    keep: bool = False,
    bench_defaults: bool = True,
    **overrides,
) -> Iterator[Runtime]:
    """A runtime on a fresh database (``prefix`` + random suffix, the public schema migrated)
    and a private Redis db index; everything is released at the end, the database dropped
    unless ``keep`` (printed, to EXPLAIN on it). ``roles``: (app, owner) as (user, password).
    ``overrides`` go to ``Settings.from_env``; with ``bench_defaults`` they start from
    ``app_env=dev``, logs at WARNING, no tenant pool and a cheap argon2 (fast sign-ups)."""
    dbname = f"{prefix}_{uuid.uuid4().hex[:10]}"
    host = make_url(ADMIN_URL).set(database=dbname)
    (app_user, app_pw), (owner_user, owner_pw) = roles
    app_url = host.set(username=app_user, password=app_pw).render_as_string(False)
    owner_url = host.set(username=owner_user, password=owner_pw).render_as_string(False)
    setup_database(ADMIN_URL, app_url, owner_url)
    redis_index, redis_client = claim_redis_db()
    rt = None
    try:
        values = {**(BENCH_DEFAULTS if bench_defaults else {}), **overrides}
        settings = Settings.from_env(
            {},
            database_url=app_url,
            database_owner_url=owner_url,
            redis_url=f"{REDIS_BASE}/{redis_index}",
            **values,
        )
        rt = Runtime(settings)
        upgrade_public(rt.owner_engine)
        yield rt
    finally:
        if rt is not None:
            rt.dispose()
        redis_client.close()
        release_redis_db(redis_index)
        if keep:
            print(f"bench kept database {dbname}")
        else:
            drop_database(ADMIN_URL, dbname)


def environment() -> dict:
    """The machine as the bench saw it: cores, Python, the 1-minute load average (the machine
    is shared: the load says how much of it the bench had)."""
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "loadavg_1m": round(os.getloadavg()[0], 1),
    }


def machine_line(env: dict) -> str:
    """The docs' line saying what the figures ran on (``environment()``)."""
    return (
        f"Machine: {env['cpus']} CPUs, Python {env['python']}, load average (1 min) "
        f"{env['loadavg_1m']}\nwhen it ended (whatever else ran on the machine then shows in the "
        "figures)"
    )


def save(name: str, result: dict, section: str | None = None, text: str | None = None) -> Path:
    """Write ``bench/results/<name>.json`` and, given ``section`` and its ``text``, replace
    that section of docs/benchmarks.md. Returns the JSON's path."""
    path = RESULTS_DIR / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2, default=str) + "\n")
    if section is not None and text is not None:
        replace_section(section, text)
    return path


def time_pages(client, pages: dict[str, str], n: int, profile: str | None = None) -> dict:
    """Each page once (it must answer 200; the SQL statements it ran are counted), a cProfile of
    ``profile`` if asked, then ``n`` timed requests a page: p50/p95 of the wall time and of this
    process's CPU time."""
    import gc
    import statistics
    import time

    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from bench.search import p95  # it imports this module: here, not at the top

    # The seed's rows (50 000 customers' dicts, a year of invoices) are still referenced here:
    # a server process holds none of them, so they are moved out of the collector's way, or
    # every full collection during a timed request would walk them (200 ms pauses).
    gc.collect()
    gc.freeze()
    statements = [0]

    def count(*_args) -> None:
        statements[0] += 1

    queries: dict[str, int] = {}
    event.listen(Engine, "before_cursor_execute", count)
    try:
        for name, url in pages.items():
            statements[0] = 0
            resp = client.get(url)
            queries[name] = statements[0]
            if resp.status_code != 200:
                raise RuntimeError(f"{url}: {resp.status_code} {resp.get_data()[:300]}")
    finally:
        event.remove(Engine, "before_cursor_execute", count)
    if profile:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        prof.enable()
        for _ in range(n):
            client.get(pages[profile])
        prof.disable()
        pstats.Stats(prof).sort_stats(os.environ.get("BENCH_SORT", "cumulative")).print_stats(35)
    per_page: dict[str, dict] = {}
    for name, url in pages.items():
        samples, cpu = [], []
        for _ in range(n):
            t0, c0 = time.perf_counter(), time.process_time()
            resp = client.get(url)
            samples.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
        per_page[name] = {
            "p50_ms": round(statistics.median(samples), 2),
            "p95_ms": p95(samples),
            "cpu_p50_ms": round(statistics.median(cpu), 2),
            "cpu_p95_ms": p95(cpu),
            "queries": queries[name],
            "bytes": len(resp.get_data()),
        }
    return per_page
