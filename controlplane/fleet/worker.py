"""Migrating one schema, and the worker processes that do it in parallel.

Each schema gets a fresh connection (a connection reused across tenants carried the previous
tenant's ``schema_translate_map`` along: SPEC §12) and three short transactions: the ``running``
result row (committed first, so a kill leaves a trace the next run marks ``abandoned``), the
migration itself — DDL, ``alembic_version``, the control-plane revision and the ``succeeded`` row
commit together — and, if it failed, the ``failed`` row with the reason.

A tenant on another shard is migrated on that shard's owner engine, under the tenant advisory lock
*of that shard*: the DDL and ``alembic_version`` commit there first, then the control-plane revision
and the ``succeeded`` row commit in ``public``. Should the second commit fail, the schema is at head
and its row behind; the next run reads the version and corrects the row (``service._reconcile``).

Worker processes are forked from the coordinator: they inherit the loaded Alembic
``ScriptDirectory`` and build their own engine and Redis client. They die with the coordinator
(``PR_SET_PDEATHSIG``), so a killed run leaves no orphan still migrating.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import multiprocessing
import signal
import sys
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.util import Finalize

from sqlalchemy import func, insert, text, update
from sqlalchemy.exc import DBAPIError

from controlplane.fleet.models import FleetResult
from shared.migrations import TenantTrack, tenant_track, try_tenant_lock
from shared.models.tenants import Tenant
from shared.runtime import Runtime
from shared.settings import Settings
from shared.shards import DEFAULT_SHARD

log = logging.getLogger("cleanplane.fleet")

ERROR_MAX = 2000
BUSY_POLL_SECONDS = 0.1
# lock_timeout bounds every DDL lock wait. client_connection_check_interval (PG 14+) makes the
# backend of a killed worker notice its client is gone mid-statement and roll back within a second,
# instead of finishing a long DDL and holding the tenant lock against the run that resumes.
SESSION_SETTINGS = text(
    "SELECT set_config('lock_timeout', :lock_timeout, true),"
    " CASE WHEN current_setting('server_version_num')::int >= 140000"
    " THEN set_config('client_connection_check_interval', '1000', true) END"
)
POOL_REVISION_COLUMNS = ("schema_revision", "revision")


@dataclass(frozen=True)
class Target:
    """One schema to look at: a tenant's, or a warm-pool schema with no tenant yet."""

    schema: str
    kind: str = "tenant"
    tenant_id: uuid.UUID | None = None
    slug: str | None = None
    recorded_revision: str | None = None  # the control-plane row's view
    revision: str | None = None  # what the schema's alembic_version says
    shard: str = DEFAULT_SHARD  # the database holding the schema (pool schemas: always default)

    @property
    def label(self) -> str:
        return self.slug or f"pool:{self.schema}"


@dataclass(frozen=True)
class Job:
    """What a worker needs besides the target: where to record and how to migrate."""

    run_id: uuid.UUID
    lock_timeout: str
    busy_wait: float = 0.0  # seconds to keep trying a tenant lock held by someone else
    pool_revision_column: str | None = None


@dataclass(frozen=True)
class Outcome:
    target: Target
    status: str  # succeeded | failed
    from_revision: str | None
    to_revision: str
    duration_ms: int
    error: str | None = None


class TenantMoved(RuntimeError):
    """The tenant's row no longer points at the schema the run migrated."""


class TenantBusy(RuntimeError):
    """Another session holds the tenant's advisory lock (a move, a deletion, a backup)."""


def describe(exc: BaseException) -> str:
    """A one-paragraph reason for the result row: the database's message, not the SQL dump."""
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        text_ = f"{type(exc.orig).__name__}: {exc.orig}"
    else:
        text_ = f"{type(exc).__name__}: {exc}"
    return text_.strip()[:ERROR_MAX]


def migrate_schema(runtime: Runtime, track: TenantTrack, target: Target, job: Job) -> Outcome:
    """Take ``target`` to the track's head; record the result; never raise for a tenant's fault."""
    head = track.head
    started = time.perf_counter()
    result_id = None
    shard_committed = False
    with runtime.owner_engine.connect() as conn:
        try:
            with conn.begin():
                result_id = conn.execute(
                    insert(FleetResult).values(**_row(target, job, head)).returning(FleetResult.id)
                ).scalar_one()
            if target.shard == DEFAULT_SHARD:  # schema and control plane: one transaction
                with conn.begin():
                    from_revision = _upgrade(conn, track, target, job)
                    duration_ms = _record_success(
                        conn, result_id, target, job, (from_revision, head), started
                    )
            else:
                shard_engine = runtime.shard_owner_engine(target.shard)
                with shard_engine.connect() as shard_conn, shard_conn.begin():
                    from_revision = _upgrade(shard_conn, track, target, job)
                shard_committed = True
                with conn.begin():
                    duration_ms = _record_success(
                        conn, result_id, target, job, (from_revision, head), started
                    )
        except Exception as exc:  # one tenant's failure never stops the fleet
            error = describe(exc)
            if shard_committed and not isinstance(exc, TenantMoved):
                error = (
                    f"migrated on shard {target.shard!r} but not recorded in the control plane"
                    f" (the next run corrects the row): {error}"
                )[:ERROR_MAX]
            duration_ms = _elapsed_ms(started)
            log.warning(
                "tenant migration failed",
                extra={
                    "schema": target.schema,
                    "shard": target.shard,
                    "tenant_id": str(target.tenant_id),
                    "error": error,
                },
            )
            _record_failure(conn, result_id, target, job, head, duration_ms, error)
            return Outcome(target, "failed", target.revision, head, duration_ms, error)
    if target.tenant_id is not None:
        bump(runtime, target.tenant_id)
    return Outcome(target, "succeeded", from_revision, head, duration_ms)


def _upgrade(conn, track: TenantTrack, target: Target, job: Job) -> str | None:
    """Inside the caller's transaction on the schema's database: settings, tenant lock, Alembic."""
    conn.execute(SESSION_SETTINGS, {"lock_timeout": job.lock_timeout})
    _take_tenant_lock(conn, target.schema, job.busy_wait)
    return track.upgrade(conn, target.schema)


def _record_success(conn, result_id, target: Target, job: Job, revisions, started) -> int:
    """Inside the caller's control-plane transaction: the revision and the ``succeeded`` row."""
    from_revision, head = revisions
    _record_revision(conn, target, job, head)
    duration_ms = _elapsed_ms(started)
    conn.execute(
        update(FleetResult)
        .where(FleetResult.id == result_id)
        .values(
            status="succeeded",
            from_revision=from_revision,
            duration_ms=duration_ms,
            finished_at=func.now(),
        )
    )
    return duration_ms


def _take_tenant_lock(conn, schema: str, busy_wait: float) -> None:
    """Try the tenant's advisory lock until ``busy_wait`` runs out (never block on it)."""
    deadline = time.monotonic() + busy_wait
    while not try_tenant_lock(conn, schema):
        if time.monotonic() >= deadline:
            raise TenantBusy("the tenant's advisory lock is held by another operation")
        time.sleep(BUSY_POLL_SECONDS)


def _elapsed_ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)


def _record_revision(conn, target: Target, job: Job, head: str) -> None:
    if target.kind == "tenant":
        # Only while the row still points at the schema just migrated: a move that flipped the
        # tenant to another shard since the plan leaves the served copy behind (SPEC §2.6).
        recorded = conn.execute(
            update(Tenant)
            .where(
                Tenant.id == target.tenant_id,
                Tenant.shard == target.shard,
                Tenant.schema_name == target.schema,
            )
            .values(schema_revision=head)
            .returning(Tenant.shard)
        ).first()
        if recorded is None:
            raise TenantMoved(
                f"the tenant left shard {target.shard!r} during the run (moved or deleted);"
                " the next run migrates it where its row points"
            )
    elif job.pool_revision_column in POOL_REVISION_COLUMNS:
        conn.execute(
            text(
                f"UPDATE public.tenant_pool SET {job.pool_revision_column} = :head"
                " WHERE schema_name = :schema"
            ),
            {"head": head, "schema": target.schema},
        )


def _row(target: Target, job: Job, head: str, status: str = "running") -> dict:
    return {
        "run_id": job.run_id,
        "tenant_id": target.tenant_id,
        "schema_name": target.schema,
        "kind": target.kind,
        "from_revision": target.revision,
        "to_revision": head,
        "status": status,
    }


def _record_failure(conn, result_id, target, job, head, duration_ms: int, error: str) -> None:
    done = {"duration_ms": duration_ms, "error": error, "finished_at": func.now()}
    try:
        with conn.begin():
            if result_id is None:  # the running row itself could not be written
                conn.execute(
                    insert(FleetResult).values(**_row(target, job, head, "failed"), **done)
                )
            else:
                conn.execute(
                    update(FleetResult)
                    .where(FleetResult.id == result_id)
                    .values(status="failed", **done)
                )
    except Exception:  # the connection itself is gone: the next run marks the row abandoned
        log.exception("could not record a failed tenant migration")


def bump(runtime: Runtime, tenant_id: uuid.UUID) -> None:
    """Let every process see the new revision at once (the row is cached by version)."""
    try:
        runtime.tenants.bump(tenant_id)
    except Exception:  # the migration is committed; the cache catches up on the next bump
        log.exception("could not bump the tenant version after its migration")


# ---------------------------------------------------------------------------- parallel workers
_worker: dict = {}


def _die_with_parent() -> None:
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _init_worker(settings: Settings, location: str, job: Job) -> None:
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the coordinator's to handle
    runtime = Runtime(settings)
    _worker.update(runtime=runtime, track=tenant_track(location), job=job, done=0)
    Finalize(None, _close_worker, exitpriority=10)


def _close_worker() -> None:
    runtime = _worker.get("runtime")
    if runtime is not None:
        _dispose_owner_engines(runtime)
        runtime.redis.close()


def _dispose_owner_engines(runtime: Runtime) -> None:
    """Close the owner connections of every shard this worker has used."""
    runtime.owner_engine.dispose()
    for name in runtime.shards:
        if name != DEFAULT_SHARD:
            runtime.shard_owner_engine(name).dispose()


def _work(target: Target) -> Outcome:
    runtime = _worker["runtime"]
    outcome = migrate_schema(runtime, _worker["track"], target, _worker["job"])
    _worker["done"] += 1
    if _worker["done"] % runtime.settings.pool_max_tenants_per_conn == 0:
        _dispose_owner_engines(runtime)  # bound the backends' per-schema catalog caches
    return outcome


def run_targets(
    runtime: Runtime, track: TenantTrack, targets: Iterable[Target], job: Job, parallel: int
) -> Iterator[Outcome]:
    """Migrate ``targets``, yielding outcomes as they finish (in-process when ``parallel`` is 1)."""
    targets = list(targets)
    track.script.revision_map  # noqa: B018 - load once here; forked workers inherit it
    if parallel <= 1 or len(targets) <= 1:
        for target in targets:
            yield migrate_schema(runtime, track, target, job)
        return
    ctx = multiprocessing.get_context("fork")
    processes = min(parallel, len(targets))
    pool = ctx.Pool(
        processes, initializer=_init_worker, initargs=(runtime.settings, track.location, job)
    )
    try:
        yield from pool.imap_unordered(_work, targets, chunksize=1)
        pool.close()
    except BaseException:
        pool.terminate()
        raise
    finally:
        pool.join()
