"""Fleet migrations: ``public`` first, then every tenant and pool schema — parallel and resumable.

A run holds one session-level advisory lock (the *run lock*) on a dedicated connection from start
to finish, so the CLI and ``POST /v1/ops/migrations/run`` can never overlap: whoever comes second
is refused. Because of that lock, any run still marked ``running`` when a new run starts is dead
(killed coordinator): the new run marks it and its in-flight rows ``abandoned``, re-reads every
schema's version and finishes what is left. Per-tenant work is in ``worker.py``.
"""

from __future__ import annotations

import io
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.engine import Connection, Engine

from alembic import command
from controlplane.fleet.models import FleetResult, FleetRun
from controlplane.fleet.worker import POOL_REVISION_COLUMNS, Job, Outcome, Target, run_targets
from shared.errors import Conflict, NotFound
from shared.migrations import (
    TenantTrack,
    alembic_config,
    public_head,
    public_revision,
    read_tenant_versions,
    tenant_track,
    upgrade_public,
)
from shared.models.tenants import Tenant
from shared.runtime import Runtime
from shared.tenancy import SCHEMA_RE

log = logging.getLogger("cleanplane.fleet")

RUN_LOCK_KEY = int.from_bytes(b"cpfleet1", "big") & 0x7FFF_FFFF_FFFF_FFFF
LOCK_TIMEOUT_RE = re.compile(r"^([1-9][0-9]{0,6})(ms|s|min)$")
DEFAULT_LOCK_TIMEOUT = "5s"


class RunInProgress(Conflict):
    """Another fleet migration run holds the run lock."""

    def __init__(self, run: FleetRun | None = None):
        detail = "A fleet migration run is already in progress"
        if run is not None:
            detail += (
                f" (run {run.id}, started {run.started_at:%Y-%m-%d %H:%M:%S %Z} by {run.trigger})"
            )
        super().__init__(detail + "; try again when it has finished.")


@dataclass(frozen=True)
class MigrateOptions:
    parallel: int = 1
    tenant_slug: str | None = None
    lock_timeout: str = DEFAULT_LOCK_TIMEOUT
    trigger: str = "cli"
    track_location: str | None = None  # a scratch copy of alembic_tenant (drills, tests, bench)

    def __post_init__(self):
        if not LOCK_TIMEOUT_RE.fullmatch(self.lock_timeout):
            raise ValueError("lock_timeout must look like 500ms, 5s or 1min")
        if self.parallel < 1:
            raise ValueError("parallel must be at least 1")

    @property
    def lock_timeout_seconds(self) -> float:
        number, unit = LOCK_TIMEOUT_RE.fullmatch(self.lock_timeout).groups()
        return int(number) * {"ms": 0.001, "s": 1, "min": 60}[unit]

    @property
    def track(self) -> TenantTrack:
        return tenant_track(self.track_location)


@dataclass
class Plan:
    public_revision: str | None
    public_head: str
    head: str
    todo: list[Target]
    at_head: list[Target]
    pool_revision_column: str | None = None


@dataclass
class RunReport:
    run_id: uuid.UUID
    planned: int
    at_head: int
    succeeded: int = 0
    failed: int = 0
    seconds: float = 0.0
    failures: list[Outcome] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.failed == 0


# ---------------------------------------------------------------------------- the run lock
class RunLock:
    """The session-level advisory lock a run holds on its own connection until it ends."""

    def __init__(self, conn: Connection):
        self.conn = conn

    @classmethod
    def try_acquire(cls, engine: Engine) -> RunLock | None:
        conn = engine.connect()
        try:
            got = conn.execute(
                text("SELECT pg_try_advisory_lock(:k)"), {"k": RUN_LOCK_KEY}
            ).scalar()
            conn.commit()
        except BaseException:
            conn.close()
            raise
        if not got:
            conn.close()
            return None
        return cls(conn)

    def release(self) -> None:
        try:
            self.conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": RUN_LOCK_KEY})
            self.conn.commit()
        except Exception:  # closing the connection below drops the lock anyway
            log.exception("could not release the fleet run lock cleanly")
            self.conn.invalidate()
        finally:
            self.conn.close()


def run_lock_held(conn: Connection) -> bool:
    """Whether some session holds the run lock (readable by the app role via ``pg_locks``)."""
    return bool(
        conn.execute(
            text(
                "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory'"
                " AND classid = :hi AND objid = :lo AND objsubid = 1"
                " AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))"
            ),
            {"hi": RUN_LOCK_KEY >> 32, "lo": RUN_LOCK_KEY & 0xFFFF_FFFF},
        ).scalar()
    )


def acquire_run_lock(runtime: Runtime) -> RunLock:
    """Take the run lock or raise ``RunInProgress`` naming the run that holds it."""
    lock = RunLock.try_acquire(runtime.owner_engine)
    if lock is not None:
        return lock
    with runtime.owner_engine.connect() as conn:
        try:
            running = conn.execute(
                select(FleetRun)
                .where(FleetRun.status == "running")
                .order_by(FleetRun.started_at.desc())
            ).first()
        except Exception:  # noqa: BLE001 - public not migrated yet: the refusal is what matters
            running = None
    raise RunInProgress(running)


# ---------------------------------------------------------------------------- planning
def _pool_columns(conn: Connection) -> set[str]:
    return set(
        conn.execute(
            text(
                "SELECT column_name FROM information_schema.columns"
                " WHERE table_schema = 'public' AND table_name = 'tenant_pool'"
            )
        ).scalars()
    )


def _targets(conn: Connection, tenant_slug: str | None) -> tuple[list[Target], str | None]:
    """Every tenant schema that exists (any status but ``deleted``), then the pool's schemas."""
    schema_exists = (
        select(text("1"))
        .select_from(text("pg_catalog.pg_namespace n"))
        .where(text("n.nspname = public.tenants.schema_name"))
        .exists()
    )
    stmt = (
        select(Tenant.id, Tenant.slug, Tenant.schema_name, Tenant.schema_revision)
        .where(Tenant.status != "deleted", schema_exists)
        .order_by(Tenant.created_at, Tenant.id)
    )
    if tenant_slug:
        stmt = stmt.where(Tenant.slug == tenant_slug)
    with conn.begin():
        targets = [
            Target(
                schema=r.schema_name,
                tenant_id=r.id,
                slug=r.slug,
                recorded_revision=r.schema_revision,
            )
            for r in conn.execute(stmt)
        ]
        if tenant_slug:
            return targets, None
        columns = _pool_columns(conn)
        if "schema_name" not in columns:
            return targets, None
        revision_column = next((c for c in POOL_REVISION_COLUMNS if c in columns), None)
        taken = {t.schema for t in targets}
        pool = conn.execute(
            text(
                "SELECT p.schema_name FROM public.tenant_pool p"
                " JOIN pg_catalog.pg_namespace n ON n.nspname = p.schema_name"
                " ORDER BY p.schema_name"
            )
        ).scalars()
        for schema in pool:
            if schema in taken:
                continue
            if not SCHEMA_RE.fullmatch(schema):
                log.warning("skipping a pool row with an invalid schema name: %r", schema)
                continue
            targets.append(Target(schema=schema, kind="pool"))
    return targets, revision_column


def plan(runtime: Runtime, options: MigrateOptions) -> Plan:
    """What a run would do: read-only (``--dry-run``)."""
    track = options.track
    with runtime.owner_engine.connect() as conn:
        current_public = public_revision(conn)
        conn.rollback()
        if current_public is None:  # a brand-new database: no tenants table yet
            return Plan(None, public_head(), track.head, [], [], None)
        targets, pool_column = _targets(conn, options.tenant_slug)
        if options.tenant_slug and not targets:
            raise NotFound(f"No tenant {options.tenant_slug!r} with a schema.")
        versions = read_tenant_versions(conn, [t.schema for t in targets])
    todo, at_head = [], []
    for t in targets:
        found = Target(**{**t.__dict__, "revision": versions.get(t.schema)})
        (at_head if found.revision == track.head else todo).append(found)
    return Plan(current_public, public_head(), track.head, todo, at_head, pool_column)


def render_sql(runtime: Runtime, options: MigrateOptions, the_plan: Plan) -> str:
    """The SQL a run would execute (``--sql``): ``public`` first, then each schema to migrate."""
    out = io.StringIO()
    if the_plan.public_revision != the_plan.public_head:
        cfg = alembic_config("public")
        cfg.output_buffer = out
        start = the_plan.public_revision
        command.upgrade(cfg, f"{start}:head" if start else "head", sql=True)
    for target in the_plan.todo:
        out.write(f"-- {target.label} ({target.schema})\n")
        out.write(options.track.render_sql(target.schema, target.revision))
    return out.getvalue()


# ---------------------------------------------------------------------------- running
def begin_run(runtime: Runtime, options: MigrateOptions, lock: RunLock) -> uuid.UUID:
    """Under the run lock: upgrade ``public``, abandon dead runs, record this run."""
    del lock  # held by the caller for the whole run; taking it proves no other run is alive
    upgrade_public(runtime.owner_engine)
    run_id = uuid.uuid4()
    with runtime.owner_engine.begin() as conn:
        stale = (
            conn.execute(
                update(FleetRun)
                .where(FleetRun.status == "running")
                .values(status="abandoned", finished_at=func.now(), error="coordinator died")
                .returning(FleetRun.id)
            )
            .scalars()
            .all()
        )
        conn.execute(
            update(FleetResult)
            .where(FleetResult.status == "running")
            .values(status="abandoned", finished_at=func.now(), error="run died mid-migration")
        )
        conn.execute(
            insert(FleetRun).values(
                id=run_id,
                status="running",
                trigger=options.trigger[:200],
                target_revision=options.track.head,
                tenant_slug=options.tenant_slug,
                parallel=options.parallel,
                planned=0,
                at_head=0,
                succeeded=0,
                failed=0,
            )
        )
    if stale:
        log.warning("marked dead fleet runs abandoned", extra={"runs": [str(r) for r in stale]})
    return run_id


def execute_run(
    runtime: Runtime,
    run_id: uuid.UUID,
    options: MigrateOptions,
    *,
    on_plan: Callable[[Plan], None] | None = None,
    on_outcome: Callable[[Outcome], None] | None = None,
) -> RunReport:
    """Plan, reconcile the control-plane revisions of schemas already at head, migrate the rest."""
    started = time.perf_counter()
    try:
        the_plan = plan(runtime, options)
        report = RunReport(run_id, len(the_plan.todo), len(the_plan.at_head))
        with runtime.owner_engine.begin() as conn:
            conn.execute(
                update(FleetRun)
                .where(FleetRun.id == run_id)
                .values(planned=report.planned, at_head=report.at_head)
            )
        _reconcile(runtime, the_plan)
        if on_plan:
            on_plan(the_plan)
        job = Job(
            run_id,
            options.lock_timeout,
            options.lock_timeout_seconds,
            the_plan.pool_revision_column,
        )
        for outcome in run_targets(runtime, options.track, the_plan.todo, job, options.parallel):
            if outcome.status == "succeeded":
                report.succeeded += 1
            else:
                report.failed += 1
                report.failures.append(outcome)
            if on_outcome:
                on_outcome(outcome)
    except BaseException as exc:
        _finish(runtime, run_id, "failed", error=f"{type(exc).__name__}: {exc}"[:2000])
        raise
    report.seconds = time.perf_counter() - started
    _finish(runtime, run_id, "succeeded" if report.ok else "failed", report=report)
    return report


def _reconcile(runtime: Runtime, the_plan: Plan) -> None:
    """Schemas at head whose control-plane row says otherwise get the row corrected."""
    stale = [
        t for t in the_plan.at_head if t.kind == "tenant" and t.recorded_revision != t.revision
    ]
    if not stale:
        return
    with runtime.owner_engine.begin() as conn:
        conn.execute(
            update(Tenant)
            .where(Tenant.id.in_([t.tenant_id for t in stale]))
            .values(schema_revision=the_plan.head)
        )
    for t in stale:
        runtime.tenants.bump(t.tenant_id)


def _finish(runtime: Runtime, run_id: uuid.UUID, status: str, *, report=None, error=None) -> None:
    values = {"status": status, "finished_at": func.now(), "error": error}
    if report is not None:
        values.update(succeeded=report.succeeded, failed=report.failed)
    try:
        with runtime.owner_engine.begin() as conn:
            conn.execute(update(FleetRun).where(FleetRun.id == run_id).values(**values))
    except Exception:  # the next run marks it abandoned
        log.exception("could not record the end of fleet run %s", run_id)


def migrate_fleet(
    runtime: Runtime,
    options: MigrateOptions,
    *,
    on_plan: Callable[[Plan], None] | None = None,
    on_outcome: Callable[[Outcome], None] | None = None,
) -> RunReport:
    """A whole run, as ``flask tenants migrate`` does it: lock, public, tenants, unlock."""
    lock = acquire_run_lock(runtime)
    try:
        run_id = begin_run(runtime, options, lock)
        return execute_run(runtime, run_id, options, on_plan=on_plan, on_outcome=on_outcome)
    finally:
        lock.release()


_background: dict[uuid.UUID, threading.Thread] = {}


def start_background_run(runtime: Runtime, options: MigrateOptions) -> uuid.UUID:
    """Take the run lock now (``RunInProgress`` → 409), then run in a thread of this process.

    The jobs package (RQ) is not there yet; a thread holding the same run lock gives the same
    guarantees: it can never overlap a CLI run, and a dead process leaves a run the next one
    marks abandoned.
    """
    lock = acquire_run_lock(runtime)
    try:
        if options.tenant_slug:
            plan(runtime, options)  # 404 now rather than a failed run later
        run_id = begin_run(runtime, options, lock)
    except BaseException:
        lock.release()
        raise

    def work() -> None:
        try:
            execute_run(runtime, run_id, options)
        except Exception:
            log.exception("background fleet run %s failed", run_id)
        finally:
            lock.release()
            _background.pop(run_id, None)

    thread = threading.Thread(target=work, name=f"fleet-run-{run_id}", daemon=True)
    _background[run_id] = thread
    thread.start()
    return run_id


def wait_for_background_runs(timeout: float | None = None) -> None:
    """Join the background runs of this process (tests, graceful shutdown)."""
    for thread in list(_background.values()):
        thread.join(timeout)
