"""Staff console, people and settings bench (issue 30 item 6, SPEC §5.14/§10): server time of the
Workers pages (list, a worker, teams, timesheets and their CSV), Messages (conversations, a
thread, previews), every Settings section, plan conflicts, the New plan and New invoice forms
and the customer's page — target p95 ≤ 100 ms per page.

Data: part 2's set (``bench/console_finance.py``: 50 000 customers, 1 000 bookings a week, a year
of invoices, 60 leads, a plan) plus 40 workers in 6 teams, each on two jobs a working day of the
bookings of the last four weeks (the set starts three weeks back, on a Monday; crews of one)
with a finished time entry and its segment per job; 2 000 customers with an SMS thread of 20
texts (every fifth with unread ones); 6 plans with 6 visits each that no team could take (36
conflicts). Seeded with INSERT ... SELECT and
executemany, then VACUUMed and ANALYZEd. Own database (dropped at the end), private Redis index.
Prints ``console <page> p95_ms=<x> p50_ms=<y> cpu_p95_ms=<z>`` lines, writes
``bench/results/console_people.json`` and the ``## Staff console, people and settings`` section
of docs/benchmarks.md.

    .venv/bin/python bench/console_people.py            # 20 requests per page
    .venv/bin/python bench/console_people.py --quick    # 5 requests per page
"""

from __future__ import annotations

import argparse
import logging
import random
import re
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # runs as `python bench/<name>.py` too

from bench import console as part1  # noqa: E402
from bench import console_finance as part2  # noqa: E402
from bench.common import bench_runtime, environment, machine_line, save, time_pages  # noqa: E402
from shared.runtime import use_runtime  # noqa: E402

NAME = "console_people"
SECTION = "## Staff console, people and settings"
TARGET_P95_MS = 100.0
WORKERS, TEAMS, JOBS_A_DAY, WORK_DAYS = 40, 6, 2, 28
THREADS, TEXTS = 2_000, 20
CONFLICT_PLANS, CONFLICTS_A_PLAN = 6, 6


def seed_people(rt, tenant_id, rng) -> dict:
    """Teams, workers with their jobs and time entries, SMS threads; returns the counts."""
    from shared import db
    from shared.tenancy import tenant_context
    from tenantapp.bookings.models import Booking, BookingWorker
    from tenantapp.teams.models import Team
    from tenantapp.timetracking.models import TimeEntry, TimeSegment
    from tenantapp.workers.models import Worker

    tenant = rt.tenants.by_id(tenant_id)
    zone = ZoneInfo(tenant.time_zone)
    now = datetime.now(UTC)
    with tenant_context(tenant):
        sess = db.session()
        team_ids = sess.scalars(
            insert(Team).returning(Team.id), [{"name": f"Crew {i + 1}"} for i in range(TEAMS)]
        ).all()
        pay = ("hourly", "hourly", "flat", "percent")
        worker_ids = sess.scalars(
            insert(Worker).returning(Worker.id),
            [
                {
                    "name": f"{rng.choice(('Ana', 'Bo', 'Cy', 'Dee', 'Eli'))} Worker {i:02d}",
                    "email": f"worker{i:02d}@bench.example.com",
                    "phone": f"+1780556{i:04d}",
                    "team_id": team_ids[i % TEAMS],
                    "skills": ["deep", "windows"][: i % 3],
                    "pay_type": pay[i % len(pay)],
                    "hourly_rate_cents": 2200 + 50 * (i % 7),
                    "pay_flat_cents": 6000,
                    "pay_percent": 35,
                }
                for i in range(WORKERS)
            ],
        ).all()
        # Two jobs a working day each: the k-th booking of the 08:00 and of the 11:00 slot.
        since = now - timedelta(days=WORK_DAYS)
        slots: dict[tuple, list[tuple]] = defaultdict(list)
        for bid, starts, ends in sess.execute(
            select(Booking.id, Booking.starts_at, Booking.ends_at)
            .where(Booking.starts_at >= since, Booking.ends_at < now, Booking.team_id.isnot(None))
            .order_by(Booking.starts_at, Booking.id)
        ):
            local = starts.astimezone(zone)
            slots[(local.date(), local.hour)].append((bid, starts, ends))
        crews, entries, spans = [], [], []
        for (_day, hour), rows in sorted(slots.items()):
            if hour not in (8, 11)[:JOBS_A_DAY]:
                continue
            for wid, (bid, starts, ends) in zip(worker_ids, rows, strict=False):
                crews.append({"booking_id": bid, "worker_id": wid})
                late = timedelta(minutes=rng.randrange(-10, 25))
                entries.append(
                    {
                        "booking_id": bid,
                        "worker_id": wid,
                        "state": "FINISHED",
                        "started_at": starts,
                        "finished_at": ends + late,
                    }
                )
                spans.append((starts, ends + late))
        sess.execute(insert(BookingWorker), crews)
        entry_ids = sess.scalars(insert(TimeEntry).returning(TimeEntry.id), entries).all()
        sess.execute(
            insert(TimeSegment),
            [
                {"entry_id": e, "started_at": a, "ended_at": b, "by": "worker"}
                for e, (a, b) in zip(entry_ids, spans, strict=True)
            ],
        )
        # SMS threads: 2 000 customers, 20 texts each, in and out in turn, two days apart per
        # text; every fifth customer's last two inbound texts unread.
        sess.execute(
            text(
                f"""
                INSERT INTO "{tenant.schema_name}".sms_messages
                    (customer_id, direction, phone, body, status, segments, read_at, created_at)
                SELECT c.id,
                       CASE WHEN m % 2 = 0 THEN 'in' ELSE 'out' END,
                       coalesce(c.phone, '+17805550000'),
                       'Bench text ' || m || ' about the clean on Friday, thanks!',
                       CASE WHEN m % 2 = 0 THEN 'received' ELSE 'delivered' END,
                       1,
                       CASE WHEN m % 2 = 0 AND NOT (c.rn % 5 = 0 AND m >= 17)
                            THEN now() - (c.rn * interval '1 minute') - ((20 - m) * interval '2 days')
                       END,
                       now() - (c.rn * interval '1 minute') - ((20 - m) * interval '2 days')
                FROM (SELECT id, phone, row_number() OVER (ORDER BY id) AS rn
                      FROM "{tenant.schema_name}".customers ORDER BY id LIMIT :threads) AS c,
                     generate_series(1, :texts) AS m
                """
            ),
            {"threads": THREADS, "texts": TEXTS},
        )
        sess.commit()
    with rt.owner_engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        for table in ("workers", "teams", "booking_workers", "time_entries", "time_segments"):
            conn.execute(text(f'VACUUM (ANALYZE) "{tenant.schema_name}".{table}'))
        conn.execute(text(f'VACUUM (ANALYZE) "{tenant.schema_name}".sms_messages'))
    return {
        "workers": len(worker_ids),
        "teams": len(team_ids),
        "time_entries": len(entry_ids),
        "texts": THREADS * TEXTS,
    }


def seed_conflicts(rt, tenant_id, plans: list[dict], template_id: int) -> int:
    """``CONFLICTS_A_PLAN`` visits of each plan that no team could take (no team, a reason),
    on days its own visits do not use, from tomorrow on."""
    from shared import db
    from shared.tenancy import tenant_context
    from tenantapp.bookings.models import Booking

    tenant = rt.tenants.by_id(tenant_id)
    zone = ZoneInfo(tenant.time_zone)
    today = datetime.now(zone).date()
    with tenant_context(tenant):
        sess = db.session()
        model = sess.get(Booking, template_id)
        skip = {"id", "created_at", "updated_at", "customer_id", "property_id", "team_id"}
        skip |= {"starts_at", "ends_at", "status", "lead_id", "plan_id", "occurrence_date"}
        template = {
            c.key: getattr(model, c.key) for c in Booking.__table__.columns if c.key not in skip
        }
        taken = set(
            sess.execute(
                select(Booking.plan_id, Booking.occurrence_date).where(Booking.plan_id.isnot(None))
            ).all()
        )
        rows = []
        for p, plan in enumerate(plans):
            day, made = today + timedelta(days=1 + p), 0
            while made < CONFLICTS_A_PLAN:
                if (plan["id"], day) not in taken:
                    start = datetime.combine(day, datetime.min.time(), tzinfo=zone) + timedelta(
                        hours=9
                    )
                    rows.append(
                        {
                            **template,
                            "customer_id": plan["customer_id"],
                            "property_id": plan["property_id"],
                            "team_id": None,
                            "plan_id": plan["id"],
                            "occurrence_date": day,
                            "starts_at": start.astimezone(UTC),
                            "ends_at": (start + timedelta(hours=3)).astimezone(UTC),
                            "status": "CONFIRMED",
                            "conflict_reason": "no_team_free",
                        }
                    )
                    made += 1
                day += timedelta(days=5)
        sess.execute(insert(Booking), rows)
        sess.commit()
    with rt.owner_engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        conn.execute(text(f'VACUUM (ANALYZE) "{tenant.schema_name}".bookings'))
    return len(rows)


def _schema_facts(rt, tenant_id) -> dict:
    """The tenant schema's revision and table count (what the figures were measured on)."""
    tenant = rt.tenants.by_id(tenant_id)
    with rt.owner_engine.connect() as conn:
        tables = conn.scalar(
            text(
                "SELECT count(*) FROM information_schema.tables "
                "WHERE table_schema = :s AND table_type = 'BASE TABLE' "
                "AND table_name <> 'alembic_version'"
            ),
            {"s": tenant.schema_name},
        )
        head = conn.scalar(text(f'SELECT version_num FROM "{tenant.schema_name}".alembic_version'))
    return {"tenant_head": head, "tables": int(tables)}


def run(n: int, profile: str | None = None, keep: bool = False) -> dict:
    from werkzeug.test import Client
    from werkzeug.wrappers import Response

    from wsgi import create_wsgi

    rng = random.Random(306)
    with bench_runtime(keep=keep) as rt:
        client = Client(create_wsgi(rt.settings, runtime=rt), Response)
        ctx = part2.seed_finance(rt, client, rng)
        call, people, base = ctx["call"], ctx["people"], ctx["base"]
        started = time.perf_counter()
        plans = [ctx["plan"]]
        for k in range(1, CONFLICT_PLANS):
            person = people[10 + k]
            plans.append(
                call(
                    "POST",
                    "/admin/plans",
                    {
                        "customer_id": person["id"],
                        "property_id": person["property_id"],
                        "frequency": "biweekly",
                        "first_date": (datetime.now(UTC).date() + timedelta(days=30)).isoformat(),
                        "start_time": "13:00",
                        "estimate_request": {"beds": 3, "baths": 2},
                    },
                )
            )
        template_id = ctx["booking_id"]
        with use_runtime(rt):
            counts = seed_people(rt, ctx["tenant_id"], rng)
            conflicts = seed_conflicts(rt, ctx["tenant_id"], plans, template_id)
            facts = _schema_facts(rt, ctx["tenant_id"])
        seed_s = ctx["seed_seconds"] + time.perf_counter() - started
        workers = client.get(f"{base}/workers").get_data(as_text=True)
        worker_id = re.search(r"/console/workers/(\d+)", workers).group(1)
        threads = client.get(f"{base}/messages").get_data(as_text=True)
        customer_id = re.search(r"/console/messages/(\d+)", threads).group(1)
        today = datetime.now(UTC).date()
        month = f"from={(today - timedelta(days=WORK_DAYS)).isoformat()}&to={today.isoformat()}"
        pages = {
            "workers": f"{base}/workers",
            "worker": f"{base}/workers/{worker_id}",
            "teams": f"{base}/workers/teams",
            "timesheets": f"{base}/workers/timesheets",
            "timesheets_month": f"{base}/workers/timesheets?{month}",
            "timesheets_csv": f"{base}/workers/timesheets.csv?{month}",
            "messages": f"{base}/messages",
            "messages_unread": f"{base}/messages?unread=yes",
            "conversation": f"{base}/messages/{customer_id}",
            "previews": f"{base}/messages/previews",
            "settings": f"{base}/settings",
            "settings_branding": f"{base}/settings/branding",
            "settings_hours": f"{base}/settings/hours",
            "settings_members": f"{base}/settings/members",
            "settings_pricing": f"{base}/settings/pricing",
            "settings_sms": f"{base}/settings/sms",
            "settings_taxes": f"{base}/settings/taxes",
            "plan_conflicts": f"{base}/plans/conflicts",
            "plan_new": f"{base}/plans/new?customer_id={customer_id}",
            "invoice_new": f"{base}/invoices/new?customer_id={customer_id}",
            "customer": f"{base}/customers/{customer_id}",
        }
        per_page = time_pages(client, pages, n, profile)
        figures = {
            "customers": part1.CUSTOMERS,
            "bookings": ctx["bookings"],
            "invoices": ctx["invoices"],
            **counts,
            "threads": THREADS,
            "conflicts": conflicts,
            **facts,
            "requests_per_page": n,
            "pages": per_page,
            "worst_p95_ms": max(p["p95_ms"] for p in per_page.values()),
            "seed_seconds": round(seed_s, 1),
        }
        env = environment()
    return {"figures": figures, "env": env, "target_p95_ms": TARGET_P95_MS}


def docs_section(result: dict, command: str) -> str:
    f, env = result["figures"], result["env"]
    rows = "\n".join(
        f"| {name} | {p['p50_ms']} | {p['p95_ms']} | {p['cpu_p95_ms']} | {p['queries']} "
        f"| {p['bytes']:,} |"
        for name, p in f["pages"].items()
    )
    over = [name for name, p in f["pages"].items() if p["p95_ms"] > TARGET_P95_MS]
    verdict = (
        "every page meets it"
        if not over
        else f"{', '.join(over)} miss{'es' if len(over) == 1 else ''} it"
    )
    return f"""{SECTION}

`{command}` — tenant head `{f["tenant_head"]}` ({f["tables"]} tables).
Part 2's data set ({f["customers"]:,} customers, {f["bookings"]:,} bookings, {f["invoices"]:,}
invoices over a year) plus {f["workers"]} workers in {f["teams"]} teams with
{f["time_entries"]:,} finished time entries (two jobs a working day each, on the set's bookings
of the last four weeks), {f["threads"]:,} SMS threads ({f["texts"]:,} texts, every fifth thread
with unread ones) and {f["conflicts"]} plan visits no team could take.
{f["requests_per_page"]} requests per page through the whole WSGI stack in-process, signed in
as the owner; "timesheets" is the page as it opens (this week), "timesheets_month" and the CSV
cover the four weeks; the forms and the customer's page are for a customer with a thread.
"Our CPU": this process's CPU time per request (Postgres's own work and waiting are not in it);
"SQL statements": what the page ran on its first request.
Target p95 ≤ {TARGET_P95_MS:.0f} ms per page: {verdict}.

| page | p50 ms | p95 ms | our CPU p95 ms | SQL statements | bytes |
|---|---|---|---|---|---|
{rows}

{machine_line(env)}.
Seeding took {f["seed_seconds"]} s.
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 requests per page")
    parser.add_argument("--no-docs", action="store_true", help="do not rewrite docs/benchmarks.md")
    parser.add_argument("--profile", help="print a cProfile of one page (e.g. messages)")
    parser.add_argument("--keep", action="store_true", help="keep the database (to EXPLAIN)")
    args = parser.parse_args()
    logging.disable(logging.INFO)
    n = 5 if args.quick else 20
    result = run(n, args.profile, args.keep)
    for name, page in result["figures"]["pages"].items():
        print(
            f"console {name} p95_ms={page['p95_ms']} p50_ms={page['p50_ms']} "
            f"cpu_p95_ms={page['cpu_p95_ms']} queries={page['queries']}"
        )
    print(f"console people worst p95_ms={result['figures']['worst_p95_ms']}")
    command = f".venv/bin/python bench/{NAME}.py" + (" --quick" if args.quick else "")
    text_ = None if args.no_docs else docs_section(result, command)
    save(NAME, result, None if args.no_docs else SECTION, text_)


if __name__ == "__main__":
    main()
