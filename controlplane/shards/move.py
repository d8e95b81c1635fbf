"""``flask tenants move SLUG --to SHARD``: move one tenant's schema to another shard, resumably.

Steps, each recorded in ``tenant_moves.step`` when done:
1. ``copy``     — dump the schema on the source shard, restore it on the target (a stale partial
                   copy from an earlier attempt is dropped first); writes still flow to the source.
2. ``freeze``   — set the tenant's write freeze in Redis (non-GET → 503 + Retry-After).
3. ``verify``   — in one source transaction, ``LOCK`` every tenant table ``IN SHARE MODE`` (waits
                   for in-flight writers, blocks new ones, readers unaffected), then compare row
                   counts, row checksums and sequence values on both sides; if the source changed
                   since the copy, copy again under the lock and compare again.
4. ``flip``     — still under that lock: revoke the app role's USAGE on the source schema (a writer
                   queued on the lock fails instead of writing to the old copy), point the tenant
                   row at the target and commit, bump the tenant version, then commit the source
                   transaction (revoke visible, lock released).
5. ``unfreeze`` — delete the freeze key.
6. ``drop_source`` — ``DROP SCHEMA ... CASCADE`` on the source shard.

A failure at any step records ``failed`` with the error; running the same command again resumes.
Before the flip a resume always goes back to ``freeze`` (the freeze TTL may have lapsed and writes
resumed on the source), so a verified copy is never flipped to stale.
"""

from __future__ import annotations

import logging
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, insert, select, update

from controlplane import pgtools
from controlplane.shards.models import TenantMove
from shared import freeze
from shared.models.tenants import Tenant
from shared.runtime import Runtime
from shared.tenancy import quoted_schema

log = logging.getLogger("cleanplane.shards.move")

STEPS = ("copy", "freeze", "verify", "flip", "unfreeze", "drop_source")
FREEZE_TTL_SECONDS = 120
LOCK_TIMEOUT = "10s"
MOVABLE_STATUSES = ("active", "suspended")


def checkpoint(point: str) -> None:
    """A named point in a move (``<step>`` before its work, ``<step>:done`` after); tests replace
    it to inject a failure."""


class MoveError(RuntimeError):
    """The move cannot start or failed at ``step`` (recorded; run the command again to resume)."""

    def __init__(self, message: str, step: str | None = None):
        super().__init__(message)
        self.step = step


@dataclass(frozen=True)
class MoveResult:
    move_id: uuid.UUID
    slug: str
    source: str
    target: str
    tables: int
    rows: int
    frozen_ms: float | None = None  # freeze → unfreeze in this run (None when resumed past it)


def move_tenant(runtime: Runtime, slug: str, target: str, actor: str = "cli") -> MoveResult:
    """Move tenant ``slug`` to shard ``target``, or resume its unfinished move there.

    Refuses to start while Redis is unavailable: requests read the write freeze failing open,
    so a freeze that cannot be set would not stop writes (SPEC §8).
    """
    try:
        freeze.require_redis(runtime.redis)
    except freeze.FreezeUnavailable as exc:
        raise MoveError(f"cannot move {slug} now: {exc}; try again when Redis is back") from exc
    move_id = open_move(runtime, slug, target, actor)
    return run_move(runtime, move_id)


def open_move(runtime: Runtime, slug: str, target: str, actor: str) -> uuid.UUID:
    """The tenant's unfinished move to ``target``, or a new one; refuse anything else."""
    runtime.shard(target)
    with runtime.owner_engine.begin() as conn:
        tenant = conn.execute(select(Tenant).where(Tenant.slug == slug).with_for_update()).first()
        if tenant is None:
            raise MoveError(f"no tenant {slug!r}")
        current = conn.execute(
            select(TenantMove).where(TenantMove.tenant_id == tenant.id, TenantMove.status != "done")
        ).first()
        if current is not None:
            if current.target_shard != target:
                raise MoveError(
                    f"{slug} has an unfinished move to {current.target_shard!r}; finish it first"
                )
            return current.id
        if tenant.status not in MOVABLE_STATUSES:
            raise MoveError(f"{slug} is {tenant.status}; only active or suspended tenants move")
        if tenant.shard == target:
            raise MoveError(f"{slug} is already on shard {target!r}")
        runtime.shard(tenant.shard)
        return conn.scalar(
            insert(TenantMove)
            .values(
                tenant_id=tenant.id,
                schema_name=tenant.schema_name,
                source_shard=tenant.shard,
                target_shard=target,
                actor=actor,
                status="running",
            )
            .returning(TenantMove.id)
        )


def _load(runtime: Runtime, move_id: uuid.UUID):
    with runtime.engine.connect() as conn:
        return conn.execute(select(TenantMove).where(TenantMove.id == move_id)).one()


def _record(runtime: Runtime, move_id: uuid.UUID, conn=None, **values) -> None:
    stmt = (
        update(TenantMove).where(TenantMove.id == move_id).values(updated_at=func.now(), **values)
    )
    if conn is not None:
        conn.execute(stmt)
        return
    with runtime.owner_engine.begin() as own:
        own.execute(stmt)


def _resume_index(step: str | None) -> int:
    if step is None:
        return 0
    done = STEPS.index(step)
    if done < STEPS.index("flip") and done >= STEPS.index("copy"):
        return STEPS.index("freeze")
    return done + 1


def run_move(runtime: Runtime, move_id: uuid.UUID) -> MoveResult:
    """Run the move's remaining steps; on failure record it and raise ``MoveError``."""
    move = _load(runtime, move_id)
    if move.status == "done":
        return _result(runtime, move)
    _record(runtime, move_id, status="running", error=None)
    step = None
    frozen_at = frozen_ms = None
    try:
        index = _resume_index(move.step)
        while index < len(STEPS):
            step = STEPS[index]
            if step == "freeze":
                frozen_at = time.perf_counter()
            if step == "drop_source" and frozen_at is not None:
                frozen_ms = round((time.perf_counter() - frozen_at) * 1000, 1)
            if step == "verify":
                _verify_and_flip(runtime, move)
                index = STEPS.index("unfreeze")
                continue
            checkpoint(step)
            STEP_WORK[step](runtime, move)
            checkpoint(f"{step}:done")
            _record(runtime, move_id, step=step)
            index += 1
    except Exception as exc:
        _record(runtime, move_id, status="failed", error=f"{step}: {type(exc).__name__}: {exc}")
        log.warning("tenant move failed", extra={"move_id": str(move_id), "step": step})
        raise MoveError(f"move failed at {step}: {exc}", step=step) from exc
    _record(runtime, move_id, status="done", finished_at=func.now())
    log.info(
        "tenant moved",
        extra={"move_id": str(move_id), "to": move.target_shard, "frozen_ms": frozen_ms},
    )
    return _result(runtime, _load(runtime, move_id), frozen_ms)


def _result(runtime: Runtime, move, frozen_ms: float | None = None) -> MoveResult:
    with runtime.engine.connect() as conn:
        slug = conn.scalar(select(Tenant.slug).where(Tenant.id == move.tenant_id))
    verified = move.verified or {}
    tables = pgtools.table_fingerprints(verified)
    return MoveResult(
        move.id,
        slug,
        move.source_shard,
        move.target_shard,
        len(tables),
        sum(v["rows"] for v in tables.values()),
        frozen_ms,
    )


# ------------------------------------------------------------------ steps
def _copy(runtime: Runtime, move) -> None:
    with runtime.engine.connect() as conn:
        shard = conn.scalar(select(Tenant.shard).where(Tenant.id == move.tenant_id))
    if shard != move.source_shard:
        raise MoveError(f"tenant is on {shard!r}, not the move's source {move.source_shard!r}")
    _copy_schema(runtime, move)


def _copy_schema(runtime: Runtime, move) -> None:
    """Replace the target's copy of the schema with a fresh dump of the source."""
    source = runtime.shard(move.source_shard)
    target = runtime.shard(move.target_shard)
    source_engine = runtime.shard_owner_engine(source.name)
    target_engine = runtime.shard_owner_engine(target.name)
    q = quoted_schema(move.schema_name)
    with target_engine.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {q} CASCADE")
    with tempfile.TemporaryDirectory(prefix="cleanplane-move-") as tmp:
        archive = Path(tmp) / f"{move.schema_name}.dump"
        with source_engine.connect() as conn:
            major = pgtools.server_major(conn)
        pgtools.dump_schema(source.owner_url, major, move.schema_name, archive, fmt="custom")
        checkpoint("copy:dumped")
        with target_engine.connect() as conn:
            major = pgtools.server_major(conn)
        pgtools.restore_archive(target.owner_url, major, archive)
    with target_engine.begin() as conn:
        pgtools.grant_app_role(conn, move.schema_name, target.app_role)


def _freeze(runtime: Runtime, move) -> None:
    freeze.freeze(runtime.redis, move.tenant_id, FREEZE_TTL_SECONDS)


def _verify_and_flip(runtime: Runtime, move) -> None:
    """Steps ``verify`` and ``flip`` under one SHARE lock on the source tables (module docs)."""
    source = runtime.shard(move.source_shard)
    schema = move.schema_name
    q = quoted_schema(schema)
    with runtime.shard_owner_engine(source.name).connect() as src, src.begin():
        checkpoint("verify")
        # Abort (the run records it; a rerun resumes at freeze) when Redis went away or the
        # freeze lapsed: requests would then be writing, the freeze failing open.
        freeze.require_frozen(runtime.redis, move.tenant_id)
        src.exec_driver_sql(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
        names = pgtools.tables(src, schema)
        if names:
            locked = ", ".join(f'{q}."{name}"' for name in names)
            src.exec_driver_sql(f"LOCK TABLE {locked} IN SHARE MODE")
        expected = pgtools.fingerprints(src, schema)
        if _target_fingerprints(runtime, move) != expected:
            log.info("source changed since the copy; copying again under the lock")
            _copy_schema(runtime, move)
            actual = _target_fingerprints(runtime, move)
            if actual != expected:
                diff = sorted(k for k in expected if expected[k] != actual.get(k))
                raise MoveError(f"copy does not match the source: {diff}", step="verify")
        checkpoint("verify:done")
        _record(runtime, move.id, step="verify", verified=expected)
        checkpoint("flip")
        freeze.require_frozen(runtime.redis, move.tenant_id)
        src.exec_driver_sql(f'REVOKE USAGE ON SCHEMA {q} FROM "{source.app_role}"')
        with runtime.owner_engine.begin() as cp:
            cp.execute(
                update(Tenant)
                .where(Tenant.id == move.tenant_id, Tenant.shard == move.source_shard)
                .values(shard=move.target_shard, updated_at=func.now())
            )
            _record(runtime, move.id, conn=cp, step="flip")
            checkpoint("flip:done")
        # Bump before the source commit makes the revoke visible: from here every new request
        # reads the new row (new shard), and the old copy is still readable until the commit.
        runtime.tenants.bump(move.tenant_id)


def _target_fingerprints(runtime: Runtime, move) -> dict:
    with runtime.shard_owner_engine(move.target_shard).connect() as conn:
        return pgtools.fingerprints(conn, move.schema_name)


def _unfreeze(runtime: Runtime, move) -> None:
    runtime.tenants.bump(move.tenant_id)
    freeze.unfreeze(runtime.redis, move.tenant_id)


def _drop_source(runtime: Runtime, move) -> None:
    with runtime.shard_owner_engine(move.source_shard).begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {quoted_schema(move.schema_name)} CASCADE")


STEP_WORK = {
    "copy": _copy,
    "freeze": _freeze,
    "unfreeze": _unfreeze,
    "drop_source": _drop_source,
}
