"""Staff console bench (issue 29, SPEC §5.14/§10): server time per console page with realistic
data — 50 000 customers (each with a property) and 1 000 bookings a week — must stay at
p95 ≤ 100 ms per page.

Runs in a database of its own (dropped at the end) with a private Redis db index. It signs a
tenant up through the API, makes 40 teams, writes the customers with ``bench.search.seed``
(executemany in 5 000-row batches) and 6 weeks of bookings (3 weeks back, 3 ahead: 6 000 rows,
copied from one booking made through ``POST /admin/bookings``) in one executemany, ANALYZEs, signs
in through ``/console/login`` and then times every page through the whole WSGI stack in-process
(cookie session check, tenant resolution, the page's queries, Jinja). Prints
``console <page> p95_ms=<x>`` lines and writes JSON and the ``## Staff console`` section of
docs/benchmarks.md.

    .venv/bin/python bench/console.py            # 30 requests per page
    .venv/bin/python bench/console.py --quick    # 10 requests per page
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import random
import re
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # runs as `python bench/<name>.py` too

from bench.common import bench_runtime, machine_line, save, time_pages  # noqa: E402
from bench.search import p95, seed  # noqa: E402
from shared.runtime import use_runtime  # noqa: E402

ADMIN_URL = os.environ.get("DATABASE_ADMIN_URL", "postgresql://postgres@localhost:5432/postgres")
REDIS_BASE = os.environ.get("TEST_REDIS_URL", "redis://localhost:6379")
NAME = "console"  # bench/results/console.json
SECTION = "## Staff console"
TARGET_P95_MS = 100.0
CUSTOMERS = 50_000
PER_WEEK = 1_000
WEEKS_BACK, WEEKS_AHEAD = 3, 3
TEAMS = 40
PASSWORD = "Bench-Password-2026"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def seed_bookings(rt, tenant_id, template_id: int, people: list[dict], teams: list[int], rng):
    """PER_WEEK bookings a week over the window, 08:00–17:00 local on Monday–Saturday, each on
    a team and a customer's property; copied from the booking the API made (every column)."""
    from shared import db
    from shared.tenancy import tenant_context
    from tenantapp.bookings.models import Booking

    tenant = rt.tenants.by_id(tenant_id)
    zone = ZoneInfo(tenant.time_zone)
    today = datetime.now(zone).date()
    first = today - timedelta(days=today.weekday() + 7 * WEEKS_BACK)
    with tenant_context(tenant):
        sess = db.session()
        model = sess.get(Booking, template_id)
        skip = {"id", "created_at", "updated_at", "customer_id", "property_id", "team_id"}
        skip |= {"starts_at", "ends_at", "status", "lead_id", "plan_id", "occurrence_date"}
        template = {
            c.key: getattr(model, c.key) for c in Booking.__table__.columns if c.key not in skip
        }
        rows = []
        for week in range(WEEKS_BACK + WEEKS_AHEAD):
            for n in range(PER_WEEK):
                day = first + timedelta(days=7 * week + n % 6)
                start = datetime.combine(day, datetime.min.time(), tzinfo=zone) + timedelta(
                    hours=8 + (n // 6) % 3 * 3
                )
                person = people[rng.randrange(len(people))]
                rows.append(
                    {
                        **template,
                        "customer_id": person["id"],
                        "property_id": person["property_id"],
                        "team_id": teams[(n // 18) % len(teams)],
                        "starts_at": start.astimezone(UTC),
                        "ends_at": (start + timedelta(hours=3)).astimezone(UTC),
                        "duration_minutes": 180,
                        "status": "DONE" if day < today else "CONFIRMED",
                    }
                )
        for begin in range(0, len(rows), 5000):
            sess.execute(insert(Booking), rows[begin : begin + 5000])
        sess.commit()
    with rt.owner_engine.begin() as conn:
        conn.execute(text(f'ANALYZE "{tenant.schema_name}".bookings'))
    return len(rows)


def _property_ids(rt, tenant_id, people: list[dict]) -> None:
    from shared import db
    from shared.tenancy import tenant_context
    from tenantapp.customers.models import Property

    with tenant_context(rt.tenants.by_id(tenant_id)):
        pairs = dict(db.session().execute(select(Property.customer_id, Property.id)).all())
    for person in people:
        person["property_id"] = pairs[person["id"]]


def sign_in(client, slug: str, email: str) -> None:
    page = client.get(f"/t/{slug}/console/login")
    token = _CSRF.search(page.get_data(as_text=True)).group(1)
    resp = client.post(
        f"/t/{slug}/console/login",
        data={"email": email, "password": PASSWORD, "csrf_token": token},
        headers={"Origin": "http://localhost"},
    )
    assert resp.status_code == 303, resp.get_data(as_text=True)[:300]


def run(n: int, keep: bool = False, profile: str | None = None) -> dict:
    from werkzeug.test import Client
    from werkzeug.wrappers import Response

    from wsgi import create_wsgi

    rng = random.Random(29)
    with bench_runtime(keep=keep) as rt:
        settings = rt.settings
        client = Client(create_wsgi(settings, runtime=rt), Response)
        slug = f"bench-{uuid.uuid4().hex[:8]}"
        email = f"{slug}@bench.example.com"
        resp = client.post(
            "/v1/signup",
            json={
                "company_name": "Bench Console",
                "slug": slug,
                "email": email,
                "password": PASSWORD,
            },
        )
        assert resp.status_code == 201, resp.get_data(as_text=True)
        body = resp.get_json()
        headers = {"Authorization": f"Bearer {body['access_token']}"}
        api = f"/t/{slug}/v1"
        teams = [{"name": f"Team {i + 1:02d}"} for i in range(TEAMS)]
        current = client.get(f"{api}/admin/teams", headers=headers).get_json()["items"]
        teams[0]["id"] = current[0]["id"]
        put = client.put(f"{api}/admin/teams", json={"teams": teams}, headers=headers)
        assert put.status_code == 200, put.get_data(as_text=True)[:300]
        team_ids = [t["id"] for t in put.get_json()["items"]]
        started = time.perf_counter()
        with use_runtime(rt):
            people = seed(rt, body["tenant"]["id"], CUSTOMERS, rng)
            _property_ids(rt, body["tenant"]["id"], people)
        made = client.post(
            f"{api}/admin/bookings",
            json={
                "customer_id": people[0]["id"],
                "property_id": people[0]["property_id"],
                "starts_at": (datetime.now(UTC) + timedelta(days=60)).isoformat(),
                "override_availability": True,
                "override_reason": "bench template",
                "estimate_request": {"beds": 2, "baths": 1},
                "skip_deposit": True,
                "team_id": team_ids[0],
            },
            headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
        )
        assert made.status_code == 201, made.get_data(as_text=True)[:300]
        with use_runtime(rt):
            bookings = seed_bookings(
                rt, body["tenant"]["id"], made.get_json()["id"], people, team_ids, rng
            )
        seed_s = time.perf_counter() - started
        sign_in(client, slug, email)
        base = f"/t/{slug}/console"
        today = datetime.now(ZoneInfo(rt.tenants.by_slug(slug).time_zone)).date()
        someone = people[len(people) // 2]
        listing = client.get(f"{base}/bookings?from={today.isoformat()}").get_data(as_text=True)
        booking_id = re.search(r"/console/bookings/(\d+)", listing).group(1)
        pages = {
            "today": f"{base}/",
            "schedule_day": f"{base}/schedule?day={today.isoformat()}",
            "schedule_week": f"{base}/schedule?day={today.isoformat()}&view=week",
            "customers": f"{base}/customers",
            "customers_filter": f"{base}/customers?q={someone['name'].split()[1]}",
            "customer": f"{base}/customers/{someone['id']}",
            "bookings": f"{base}/bookings?from={today.isoformat()}",
            "booking": f"{base}/bookings/{booking_id}",
            "new_booking": f"{base}/bookings/new?customer_id={someone['id']}",
            "search": f"{base}/search?q={someone['name']}",
        }
        per_page = time_pages(client, pages, n, profile)  # warm-up, profile, timed requests
        baseline = []
        for _ in range(n):
            t0 = time.perf_counter()
            client.get(f"{api}/admin/settings", headers=headers)
            baseline.append((time.perf_counter() - t0) * 1000)
        figures = {
            "customers": CUSTOMERS,
            "bookings": bookings,
            "bookings_per_week": PER_WEEK,
            "teams": TEAMS,
            "requests_per_page": n,
            "pages": per_page,
            "worst_p95_ms": max(p["p95_ms"] for p in per_page.values()),
            "seed_seconds": round(seed_s, 1),
            "baseline_settings_p95_ms": p95(baseline),
        }
        env = {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "loadavg_1m": round(os.getloadavg()[0], 1),
        }
    return {"figures": figures, "env": env, "target_p95_ms": TARGET_P95_MS}


def docs_section(result: dict, command: str) -> str:
    f, env = result["figures"], result["env"]
    rows = "\n".join(
        f"| {name} | {p['p50_ms']} | {p['p95_ms']} | {p['cpu_p95_ms']} | {p['bytes']:,} |"
        for name, p in f["pages"].items()
    )
    verdict = "meets" if f["worst_p95_ms"] <= TARGET_P95_MS else "misses"
    return f"""{SECTION}

`{command}` — {f["customers"]:,} customers (each with a property), {f["bookings"]:,} bookings
({f["bookings_per_week"]:,} a week over 6 weeks) on {f["teams"]} teams; {f["requests_per_page"]}
requests per page through the whole WSGI stack in-process, signed in with the console cookie.
Target p95 ≤ {TARGET_P95_MS:.0f} ms per page: the worst page {verdict} it at {f["worst_p95_ms"]} ms.

| page | p50 ms | p95 ms | app CPU p95 ms | HTML bytes |
|---|---|---|---|---|
{rows}

{machine_line(env)}; a trivial
staff read (`GET /admin/settings`) took p95 {f["baseline_settings_p95_ms"]} ms in the same run.
Seeding took {f["seed_seconds"]} s (executemany in 5 000-row batches).
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 requests per page")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    parser.add_argument("--no-docs", action="store_true", help="do not rewrite docs/benchmarks.md")
    parser.add_argument("--profile", help="print a cProfile of one page (e.g. schedule_week)")
    args = parser.parse_args()
    logging.disable(logging.INFO)
    n = 10 if args.quick else 30
    result = run(n, args.keep, args.profile)
    for name, page in result["figures"]["pages"].items():
        print(
            f"console {name} p95_ms={page['p95_ms']} p50_ms={page['p50_ms']}"
            f" cpu_p95_ms={page['cpu_p95_ms']}"
        )
    print(f"console worst p95_ms={result['figures']['worst_p95_ms']}")
    command = ".venv/bin/python bench/console.py" + (" --quick" if args.quick else "")
    text = None if args.no_docs else docs_section(result, command)
    save(NAME, result, None if args.no_docs else SECTION, text)


if __name__ == "__main__":
    main()
