"""Fleet migrations: ``public`` first, then every tenant and pool schema — parallel and resumable.

A run holds one session-level advisory lock (the *run lock*) on a dedicated connection from start
to finish, so the CLI and ``POST /v1/ops/migrations/run`` can never overlap: whoever comes second
is refused. Because of that lock, any run still marked ``running`` when a new run starts is dead
(killed coordinator): the new run marks it and its in-flight rows ``abandoned``, re-reads every
schema's version and finishes what is left. Per-tenant work is in ``worker.py``.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import func, insert, update

from controlplane.fleet.locks import RunLock, acquire_run_lock
from controlplane.fleet.models import FleetResult, FleetRun
from controlplane.fleet.plan import MigrateOptions, Plan, plan
from controlplane.fleet.worker import Job, Outcome, bump, run_targets
from shared import metrics
from shared.migrations import upgrade_public
from shared.models.tenants import Tenant
from shared.runtime import Runtime

log = logging.getLogger("cleanplane.fleet")


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
            metrics.fleet_migration_result(outcome.status, outcome.duration_ms / 1000)
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
        bump(runtime, t.tenant_id)


def _finish(runtime: Runtime, run_id: uuid.UUID, status: str, *, report=None, error=None) -> None:
    values = {"status": status, "finished_at": func.now(), "error": error}
    if report is not None:
        values.update(succeeded=report.succeeded, failed=report.failed)
    try:
        with runtime.owner_engine.begin() as conn:
            conn.execute(update(FleetRun).where(FleetRun.id == run_id).values(**values))
            if error is not None:  # interrupted: its in-flight tenants were rolled back
                conn.execute(
                    update(FleetResult)
                    .where(FleetResult.run_id == run_id, FleetResult.status == "running")
                    .values(status="abandoned", finished_at=func.now(), error=error)
                )
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
