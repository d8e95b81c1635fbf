"""Jobs at rest (SPEC §10): N tenants of which 100 have work — jobs per idle tenant-hour over a
simulated day, outbox row → delivered p95, and the busy tenants' work done.

    python bench/jobs_at_rest.py [--tenants 10000] [--busy 100] [--workers 2] [--no-docs]

Own database and Redis db. The busy tenants are real signups (cold-provisioned schemas, a lead and
two bookings each through the API). The idle tenants get control-plane rows plus a slim schema with
the four tables the due-work reconcile reads (outbox, bookings, storage tombstones, idempotency
keys, with their indexes, created in batches of DDL): enough for the reconcile to really read every
tenant, at ~1/8 of a full schema's DDL.

1. **Busy phase** (real time): two real workers and the real scheduler run. Every busy tenant
   gets work of every kind at once — a new outbox e-mail, a confirmed booking entering its 24-hour
   reminder window, an unpaid deposit past its hold, a failed storage delete due for retry — each
   signalled the way product code signals. ``outbox_latency_p95_s`` is created → sent of every
   e-mail the phase produced (the new ones, the reminders, the deposit cancellations), delivered to
   a local SMTP server; ``busy_work_done_s`` is the time until every tenant's work is done.
2. **Simulated day** (fake clock, real code): the scheduler's dispatch every 5 s for 24 h, the
   hourly reconcile (its first run executed for real over every tenant, the others enqueued and
   counted), the hourly retention tick (daily fan-out pre-filtered by local time; each enqueued
   tenant's day is then marked done, as its job would), plus every control-plane schedule counted
   from ``SCHEDULES``. ``idle_jobs_per_tenant_hour`` = every job of the day except those of busy
   tenants, divided by idle tenants and 24 (control-plane jobs included, so it is an upper bound).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # `python bench/jobs_at_rest.py` as well as `python -m ...`

ADMIN_URL = os.environ.get("DATABASE_ADMIN_URL", "postgresql://postgres@localhost:5432/postgres")
REDIS_BASE = os.environ.get("BENCH_REDIS_URL", "redis://localhost:6379")
SLIM_TABLES = ("outbox", "bookings", "storage_tombstones", "idempotency_keys")
ZONES = ("America/Edmonton", "America/New_York", "Europe/Paris", "Asia/Kolkata", "UTC")
POLL = 5  # seconds between scheduler polls (the scheduler's default)


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- set-up
def slim_ddl(schema: str, app_role: str) -> str:
    """DDL of the tables the reconcile reads, in ``schema``, without cross-table foreign keys."""
    from sqlalchemy.dialects import postgresql
    from sqlalchemy.schema import CreateIndex, CreateTable

    import tenantapp.models  # noqa: F401 - registers every tenant table
    from shared.db import TenantBase

    dialect = postgresql.dialect()
    parts = [f'CREATE SCHEMA "{schema}"', f'GRANT USAGE ON SCHEMA "{schema}" TO {app_role}']
    for name in SLIM_TABLES:
        table = TenantBase.metadata.tables[name]
        ddl = str(CreateTable(table, include_foreign_key_constraints=[]).compile(dialect=dialect))
        parts.append(ddl.replace("CREATE TABLE ", f'CREATE TABLE "{schema}".', 1))
        for index in table.indexes:
            sql = str(CreateIndex(index).compile(dialect=dialect))
            parts.append(sql.replace(f" ON {name} ", f' ON "{schema}".{name} ', 1))
    return ";\n".join(parts) + ";"


def create_idle_tenants(rt, count: int, batch: int = 50) -> list[uuid.UUID]:
    from sqlalchemy import insert, text

    from shared.models.tenants import Tenant
    from shared.tenancy import new_schema_name

    role = make_role_name(rt)
    ids: list[uuid.UUID] = []
    started = time.perf_counter()
    for offset in range(0, count, batch):
        rows, ddl = [], []
        for i in range(offset, min(count, offset + batch)):
            schema = new_schema_name()
            tid = uuid.uuid4()
            ids.append(tid)
            rows.append(
                {
                    "id": tid,
                    "slug": f"idle-{i}-{tid.hex[:6]}",
                    "company_name": f"Idle {i}",
                    "schema_name": schema,
                    "status": "active",
                    "plan_code": "free",
                    "time_zone": ZONES[i % len(ZONES)],
                }
            )
            ddl.append(slim_ddl(schema, role))
        with rt.owner_engine.begin() as conn:
            conn.execute(insert(Tenant), rows)
            conn.exec_driver_sql("\n".join(ddl))
        if offset and offset % 1000 == 0:
            log(f"idle tenants: {offset}/{count} ({time.perf_counter() - started:.0f} s)")
    with rt.owner_engine.begin() as conn:
        conn.execute(text("ANALYZE public.tenants"))
    return ids


def make_role_name(rt) -> str:
    from sqlalchemy.engine import make_url

    return '"' + make_url(rt.settings.database_url).username + '"'


def create_busy_tenants(client, count: int) -> list:
    from tests.support import signup

    day = (datetime.now(UTC) + timedelta(days=14)).date()
    while day.weekday() != 0:
        day += timedelta(days=1)
    tenants = []
    for i in range(count):
        t = signup(client, time_zone=ZONES[i % len(ZONES)])
        ids = []
        for n, hhmm in enumerate(("09:00", "13:00")):
            # One lead per booking: a lead with a live booking refuses a second one (409).
            lead = client.post(
                t.url("/leads"),
                json={
                    "name": "Pat Customer",
                    "phone": "+1 403 555 0100",
                    "email": f"pat{i}-{n}@example.com",
                    "estimate_request": {"beds": 2, "baths": 1},
                },
            ).get_json()
            resp = client.post(
                t.url("/bookings"),
                json={
                    "lead_id": lead["lead_id"],
                    "lead_token": lead["lead_token"],
                    "starts_at": f"{day.isoformat()}T{hhmm}:00",
                },
            )
            assert resp.status_code == 201, resp.get_data(as_text=True)
            ids.append(resp.get_json()["id"])
        resp = client.post(t.url(f"/admin/bookings/{ids[0]}/confirm"), headers=t.headers)
        assert resp.status_code == 200, resp.get_data(as_text=True)
        tenants.append((t, ids[0], ids[1]))
        if (i + 1) % 25 == 0:
            log(f"busy tenants: {i + 1}/{count}")
    return tenants


# ---------------------------------------------------------------- busy phase
def make_work(rt, handle, reminder_booking: int, deposit_booking: int) -> None:
    """Work of every kind in one tenant, each committed and signalled as product code does."""
    from sqlalchemy import update

    from jobs import signals
    from shared import db
    from shared.tenancy import tenant_context
    from tenantapp.bookings.models import Booking
    from tenantapp.leads.notifications import LEAD_RECEIVED
    from tenantapp.messaging.service import enqueue_email
    from tenantapp.photos.janitor import add_tombstone

    now = datetime.now(UTC)
    hold = timedelta(minutes=rt.settings.deposit_hold_minutes)
    with tenant_context(rt.tenants.by_id(uuid.UUID(handle.id))):
        try:
            with db.transaction() as tx:  # a new e-mail
                enqueue_email(
                    tx,
                    LEAD_RECEIVED,
                    f"new-{handle.slug}@example.com",
                    {"name": "Pat", "estimate_cents": 12000},
                    f"bench:{uuid.uuid4().hex}",
                )
            with db.transaction() as tx:  # a confirmed booking now 23 h away: reminder due
                starts = now + timedelta(hours=23)
                tx.execute(
                    update(Booking)
                    .where(Booking.id == reminder_booking)
                    .values(starts_at=starts, ends_at=starts + timedelta(hours=3))
                )
                signals.booking_changed(
                    tx, tx.get(Booking, reminder_booking, populate_existing=True)
                )
            with db.transaction() as tx:  # an unpaid deposit past its hold
                tx.execute(
                    update(Booking)
                    .where(Booking.id == deposit_booking)
                    .values(
                        deposit_status="pending",
                        deposit_required=True,
                        created_at=now - hold - timedelta(minutes=1),
                    )
                )
                signals.booking_changed(
                    tx, tx.get(Booking, deposit_booking, populate_existing=True)
                )
            with db.transaction() as tx:  # a storage delete that failed once: due for retry
                tomb = add_tombstone(tx, f"tenants/{handle.id}/photos/{uuid.uuid4().hex}.jpg", None)
                tomb.attempts, tomb.next_attempt_at = 1, now - timedelta(minutes=1)
                tx.flush()
                signals.tombstone_added(tx, tomb)
        finally:
            db.close_session()


def work_state(rt, handle, deposit_booking: int) -> dict:
    """What is left in a tenant (for the log when it did not finish)."""
    from sqlalchemy import func, select

    from shared import db
    from shared.tenancy import tenant_context
    from tenantapp.bookings.models import Booking
    from tenantapp.outbox.models import OutboxMessage
    from tenantapp.photos.models import StorageTombstone

    with tenant_context(rt.tenants.by_id(uuid.UUID(handle.id))):
        sess = db.session()
        try:
            return {
                "outbox": dict(
                    sess.execute(
                        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
                    ).all()
                ),
                "errors": list(
                    sess.scalars(
                        select(OutboxMessage.last_error)
                        .where(OutboxMessage.last_error.is_not(None))
                        .limit(3)
                    )
                ),
                "deposit_booking": sess.get(Booking, deposit_booking).status,
                "tombstones": sess.scalar(select(func.count()).select_from(StorageTombstone)),
            }
        finally:
            db.close_session()


def work_done(rt, handle, deposit_booking: int, since: datetime) -> tuple[bool, list[float]]:
    """Whether the tenant's work is all done (one statement), and created → sent seconds of the
    e-mails created since ``since`` once it is."""
    from sqlalchemy import func, select

    from shared import db
    from shared.tenancy import tenant_context
    from tenantapp.bookings.models import Booking
    from tenantapp.outbox.models import OutboxMessage
    from tenantapp.photos.models import StorageTombstone

    def count(*where):
        return select(func.count()).where(*where).scalar_subquery()

    with tenant_context(rt.tenants.by_id(uuid.UUID(handle.id))):
        sess = db.session()
        try:
            waiting, reminded, cancelled, tombs = sess.execute(
                select(
                    count(OutboxMessage.status.in_(("pending", "sending"))),
                    count(OutboxMessage.topic == "booking_reminder_24h"),
                    count(Booking.id == deposit_booking, Booking.status == "CANCELLED"),
                    select(func.count()).select_from(StorageTombstone).scalar_subquery(),
                )
            ).one()
            done = waiting == 0 and reminded >= 1 and cancelled == 1 and tombs == 0
            sent = []
            if done:
                sent = sess.execute(
                    select(OutboxMessage.created_at, OutboxMessage.sent_at).where(
                        OutboxMessage.status == "sent", OutboxMessage.created_at >= since
                    )
                ).all()
        finally:
            db.close_session()
    return done, [(s - c).total_seconds() for c, s in sent]


def start_processes(env: dict, workers: int, logs: Path) -> list[subprocess.Popen]:
    """``workers`` real workers and the real scheduler; their output goes to ``logs``."""
    logs.mkdir(parents=True, exist_ok=True)
    commands = [["jobs.worker"]] * workers + [["jobs.scheduler"]]
    procs = []
    for i, command in enumerate(commands):
        out = open(logs / f"{command[0]}-{i}.log", "wb")  # noqa: SIM115 - lives with the process
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", *command], cwd=ROOT, env=env, stdout=out, stderr=out
            )
        )
    return procs


def stop_processes(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def busy_phase(rt, busy, env, workers: int, logs: Path, timeout: float = 300) -> dict:
    from jobs.reconcile import reconcile_tenants

    mark_daily_done(rt, datetime.now(UTC))  # the idle tenants' retention ran earlier today
    procs = start_processes(env, workers, logs)
    try:
        # set-up work (sign-up mail, lead and booking e-mails) is flushed first, as a reconcile
        reconcile_tenants([h.id for h, _, _ in busy])
        settle_until = time.monotonic() + 120
        while time.monotonic() < settle_until:
            if all(work_done_setup(rt, h) for h, _, _ in busy):
                break
            time.sleep(1)
        time.sleep(POLL)
        since = datetime.now(UTC) - timedelta(seconds=1)
        started = time.perf_counter()
        for handle, reminder_booking, deposit_booking in busy:
            make_work(rt, handle, reminder_booking, deposit_booking)
        created_s = time.perf_counter() - started
        pending = {h.id: (h, d) for h, _, d in busy}
        latencies: list[float] = []
        while pending and time.perf_counter() - started < timeout:
            time.sleep(2)
            for tid, (handle, deposit_booking) in list(pending.items()):
                done, lat = work_done(rt, handle, deposit_booking, since)
                if done:
                    latencies += lat
                    del pending[tid]
        done_s = time.perf_counter() - started
        for handle, deposit_booking in list(pending.values())[:3]:
            log(f"not done: {handle.slug}: {work_state(rt, handle, deposit_booking)}")
    finally:
        stop_processes(procs)
    latencies.sort()
    p95 = latencies[max(0, int(round(0.95 * len(latencies))) - 1)] if latencies else None
    return {
        "busy_work_done_s": round(done_s, 2) if not pending else None,
        "busy_unfinished_tenants": len(pending),
        "work_created_s": round(created_s, 2),
        "outbox_latency_p95_s": round(p95, 3) if p95 is not None else None,
        "outbox_latency_p50_s": round(statistics.median(latencies), 3) if latencies else None,
        "outbox_rows_measured": len(latencies),
    }


def work_done_setup(rt, handle) -> bool:
    from sqlalchemy import func, select

    from shared import db
    from shared.tenancy import tenant_context
    from tenantapp.outbox.models import OutboxMessage

    with tenant_context(rt.tenants.by_id(uuid.UUID(handle.id))):
        try:
            return not db.session().scalar(
                select(func.count()).where(OutboxMessage.status.in_(("pending", "sending")))
            )
        finally:
            db.close_session()


def mark_daily_done(rt, at: datetime) -> int:
    """Steady state at ``at``: every tenant whose local 02:00 has passed today already had its
    retention run today (as it would have at the day's first tick after 02:00)."""
    from zoneinfo import ZoneInfo

    from sqlalchemy import select

    from jobs.daily import done_key
    from jobs.schedules import SCHEDULES
    from shared.models.tenants import Tenant

    [retention] = [s for s in SCHEDULES if s.name == "retention-cleanup"]
    with rt.engine.connect() as conn:
        rows = conn.execute(select(Tenant.id, Tenant.time_zone)).all()
    marked = 0
    with rt.redis.pipeline(transaction=False) as pipe:
        for tenant_id, zone in rows:
            local = at.astimezone(ZoneInfo(zone))
            if local.hour >= retention.daily_at:
                pipe.set(done_key(tenant_id, retention.name, local.date()), "1", ex=3 * 86400)
                marked += 1
        pipe.execute()
    return marked


# ---------------------------------------------------------------- simulated day
def drain(redis, busy_ids: set[str]) -> tuple[int, int]:
    """Count and remove every queued or scheduled job: (not busy tenants', busy tenants')."""
    from rq import Queue
    from rq.job import Job
    from rq.registry import ScheduledJobRegistry

    from jobs import queues

    other = busy = 0
    for name in queues.ALL:
        q = Queue(name, connection=redis)
        registry = ScheduledJobRegistry(queue=q)
        ids = q.job_ids + registry.get_job_ids()
        for start in range(0, len(ids), 500):
            for job in Job.fetch_many(ids[start : start + 500], connection=redis):
                if job is not None and job.meta.get("tenant_id") in busy_ids:
                    busy += 1
                else:
                    other += 1
        q.empty()
        for job_id in registry.get_job_ids():
            registry.remove(job_id, delete_job=True)
    return other, busy


def control_plane_jobs_per_day(settings) -> dict[str, int]:
    """Jobs per day of every schedule that is not per tenant (counted from ``SCHEDULES``)."""
    from crontab import CronTab

    from jobs.schedules import active_schedules

    out = {}
    for s in active_schedules(settings):
        if s.fan_out or s.name == "duework-reconcile":
            continue  # simulated for real below
        if s.interval:
            out[s.name] = 86400 // s.interval
        else:
            tab, t, n = CronTab(s.cron), 0.0, 0
            start = datetime(2026, 1, 1, tzinfo=UTC)
            while True:
                t += tab.next(now=start + timedelta(seconds=t), default_utc=True)
                if t > 86400:
                    break
                n += 1
            out[s.name] = n
    return out


def simulated_day(rt, busy_ids: set[str], tenant_count: int) -> dict:
    from jobs import duework
    from jobs.daily import daily_fan_out, done_key
    from jobs.dispatch import dispatch_due
    from jobs.reconcile import reconcile_due_work, reconcile_tenants
    from jobs.schedules import SCHEDULES

    redis = rt.redis
    [retention] = [s for s in SCHEDULES if s.name == "retention-cleanup"]
    counts = {"dispatch": [0, 0], "reconcile": [0, 0], "retention": [0, 0]}
    day0 = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    mark_daily_done(rt, day0)
    reconcile_s = None
    for hour in range(24):
        at = day0 + timedelta(hours=hour)
        # the hourly reconcile: the fan-out job + one batch job per 500 tenants
        result = reconcile_due_work()
        o, b = drain(redis, busy_ids)
        counts["reconcile"][0] += o + 1  # + the reconcile_due_work job itself
        counts["reconcile"][1] += b
        if hour == 0:  # really read every tenant once
            from sqlalchemy import select

            from shared.models.tenants import Tenant

            with rt.engine.connect() as conn:
                ids = [str(i) for i in conn.scalars(select(Tenant.id))]
            t0 = time.perf_counter()
            found = reconcile_tenants(ids, now=at)
            reconcile_s = time.perf_counter() - t0
            log(f"reconcile over {len(ids)} tenants: {reconcile_s:.1f} s, {found}")
        # the hourly retention tick: one job per tenant per local date
        before = daily_fan_out(
            retention.func, retention.name, hour=retention.daily_at, now=at.isoformat()
        )
        from rq import Queue
        from rq.job import Job
        from rq.registry import ScheduledJobRegistry

        from jobs import queues

        q = Queue(queues.MAINTENANCE, connection=redis)
        ids = q.job_ids + ScheduledJobRegistry(queue=q).get_job_ids()
        with redis.pipeline(transaction=False) as pipe:  # the jobs succeed: their day is done
            for job in Job.fetch_many(ids, connection=redis):
                if job is not None and job.meta.get("tenant_id"):
                    from zoneinfo import ZoneInfo

                    ref = rt.tenants.by_id(uuid.UUID(job.meta["tenant_id"]))
                    local = at.astimezone(ZoneInfo(ref.time_zone)).date()
                    pipe.set(done_key(ref.id, retention.name, local), "1", ex=3 * 86400)
            pipe.execute()
        o, b = drain(redis, busy_ids)
        counts["retention"][0] += o + 1  # + the hourly fan-out job itself
        counts["retention"][1] += b
        assert before["enqueued"] == o + b
        # the scheduler's polls during this hour
        for step in range(0, 3600, POLL):
            dispatch_due(redis, (at + timedelta(seconds=step)).timestamp())
        o, b = drain(redis, busy_ids)
        counts["dispatch"][0] += o
        counts["dispatch"][1] += b
        log(f"simulated hour {hour:02d}: {result['batches']} reconcile batches; jobs {counts}")
    fixed = control_plane_jobs_per_day(rt.settings)
    idle = tenant_count - len(busy_ids)
    not_busy = sum(v[0] for v in counts.values()) + sum(fixed.values())
    tenant_related = sum(v[0] for v in counts.values())
    return {
        "idle_jobs_per_tenant_hour": round(not_busy / (idle * 24), 4),
        "idle_tenant_jobs_per_tenant_hour": round(tenant_related / (idle * 24), 4),
        "jobs_by_source": {k: {"idle_and_cp": v[0], "busy": v[1]} for k, v in counts.items()},
        "control_plane_jobs_per_day": fixed,
        "reconcile_all_tenants_s": round(reconcile_s, 2) if reconcile_s is not None else None,
        "index_after_day": duework.stats(redis),
    }


# ---------------------------------------------------------------- main
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=10_000)
    parser.add_argument("--busy", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-docs", action="store_true", help="do not update docs/benchmarks.md")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "jobs_at_rest.json"))
    args = parser.parse_args()
    if not 0 < args.busy < args.tenants:
        parser.error("--busy must be between 1 and --tenants - 1")

    from sqlalchemy.engine import make_url

    from shared.dbsetup import drop_database, setup_database
    from shared.migrations import upgrade_public
    from shared.runtime import Runtime, use_runtime
    from shared.settings import Settings
    from tests.messaging.conftest import free_port
    from tests.support import ApiClient, claim_redis_db, release_redis_db

    wall = time.perf_counter()
    load_start = [round(x, 2) for x in os.getloadavg()]
    name = f"cleanplane_bench_{uuid.uuid4().hex[:10]}"
    host = make_url(ADMIN_URL).set(database=name)
    app_url = host.set(username="cleanplane_app", password="app-pw").render_as_string(False)
    owner_url = host.set(username="cleanplane_owner", password="owner-pw").render_as_string(False)
    redis_db, redis_client = claim_redis_db()
    smtp_port = free_port()
    smtp = subprocess.Popen(  # its own process: the bench's polling must not slow its replies
        [sys.executable, "-m", "aiosmtpd", "-n", "-c", "aiosmtpd.handlers.Sink"]
        + ["-l", f"127.0.0.1:{smtp_port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    env = {
        **os.environ,
        "APP_ENV": "dev",
        "DATABASE_URL": app_url,
        "DATABASE_OWNER_URL": owner_url,
        "REDIS_URL": f"{REDIS_BASE}/{redis_db}",
        "SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
        "LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
        "PYTHONPATH": str(ROOT),
        "TZ": "UTC",
        "TENANT_POOL_SIZE": "0",
        "ARGON2_TIME_COST": "1",
        "ARGON2_MEMORY_COST": "8192",
        "STORAGE_DIR": f"/tmp/{name}-storage",
    }
    setup_database(ADMIN_URL, app_url, owner_url)
    rt = None
    try:
        rt = Runtime(Settings.from_env(env))
        upgrade_public(rt.owner_engine)
        from wsgi import create_wsgi

        client = ApiClient(create_wsgi(rt.settings, runtime=rt))
        with use_runtime(rt):
            t0 = time.perf_counter()
            busy = create_busy_tenants(client, args.busy)
            busy_setup_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            create_idle_tenants(rt, args.tenants - args.busy)
            idle_setup_s = time.perf_counter() - t0
            log(f"set-up: busy {busy_setup_s:.0f} s, idle {idle_setup_s:.0f} s")
            rt.tenants.preload()
            logs = Path(f"/tmp/{name}-logs")
            busy_result = busy_phase(rt, busy, env, args.workers, logs)
            log(f"busy phase: {busy_result}")
            day = simulated_day(rt, {h.id for h, _, _ in busy}, args.tenants)
    finally:
        stop_processes([smtp])
        if rt is not None:
            rt.dispose()
        redis_client.flushdb()
        redis_client.close()
        release_redis_db(redis_db)
        drop_database(ADMIN_URL, name)

    result = {
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "load_average_at_start": load_start,
        "tenants": args.tenants,
        "busy_tenants": args.busy,
        "workers": args.workers,
        **day,
        **busy_result,
        "setup_busy_s": round(busy_setup_s, 1),
        "setup_idle_s": round(idle_setup_s, 1),
        "wall_s": round(time.perf_counter() - wall, 1),
    }
    print(f"idle_jobs_per_tenant_hour={result['idle_jobs_per_tenant_hour']}")
    print(f"outbox_latency_p95_s={result['outbox_latency_p95_s']}")
    print(f"busy_work_done_s={result['busy_work_done_s']}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, default=str) + "\n")
    if not args.no_docs:
        write_docs(result, " ".join(["python", "bench/jobs_at_rest.py", *sys.argv[1:]]))


def write_docs(r: dict, command: str) -> None:
    from bench.docs import replace_section

    src = r["jobs_by_source"]
    lines = [
        "## Jobs at rest",
        "",
        f"Command: `{command}` (own database and Redis db; {r['tenants']} tenants of which "
        f"{r['busy_tenants']} have work; {r['workers']} real workers and the real scheduler for the "
        f"busy phase; a simulated day for the idle cost; wall time {r['wall_s']} s; machine load "
        f"average {r['load_average_at_start'][0]} at start, {r['load_average_at_end'][0]} at end "
        "on 2 cores). Method: "
        "`bench/jobs_at_rest.py` docstring; design: `docs/jobs.md`.",
        "",
        "| figure | measured | target |",
        "|---|---|---|",
        f"| jobs per idle tenant per hour over a simulated day (all jobs but the busy tenants') | "
        f"{r['idle_jobs_per_tenant_hour']} | ≤ 0.1 (was 145) |",
        f"| of which tenant-driven (dispatch, reconcile, daily retention) | "
        f"{r['idle_tenant_jobs_per_tenant_hour']} | — |",
        f"| new outbox row → delivered, p95 (p50) over {r['outbox_rows_measured']} e-mails | "
        f"{r['outbox_latency_p95_s']} s ({r['outbox_latency_p50_s']} s) | ≤ 5 s |",
        f"| the {r['busy_tenants']} busy tenants' work of every kind done | "
        f"{r['busy_work_done_s']} s | ≤ 60 s |",
        f"| one reconcile reading all {r['tenants']} tenants | {r['reconcile_all_tenants_s']} s | — |",
        "",
        f"Jobs in the simulated day: dispatch {src['dispatch']}, reconcile {src['reconcile']}, "
        f"retention {src['retention']}; control-plane schedules "
        f"{sum(r['control_plane_jobs_per_day'].values())} a day.",
        "",
    ]
    replace_section("## Jobs at rest", "\n".join(lines))


if __name__ == "__main__":
    main()
