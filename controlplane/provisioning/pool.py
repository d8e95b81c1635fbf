"""The warm pool: tenant schemas built at the current head ahead of time, so signup is O(1).

A pool schema is the head DDL without seed rows (the seed needs the tenant's name and zone). Signup
claims one with ``FOR UPDATE SKIP LOCKED`` (concurrent signups never wait on each other) and seeds it
in its own transaction; ``refill_pool`` tops the pool up one schema per transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Connection, make_url

from controlplane.provisioning.models import PoolSchema
from shared.migrations import create_tenant_schema, script_directory, tenant_head
from shared.runtime import Runtime, current_runtime
from shared.tenancy import new_schema_name, quoted_schema

log = logging.getLogger("cleanplane.provisioning.pool")

# Serialises refills across processes so two schedulers never overfill the pool.
REFILL_LOCK = 0x7E_9001


def app_role(runtime: Runtime) -> str:
    """The role that serves requests: every tenant schema grants it USAGE."""
    return make_url(runtime.settings.database_url).username


def claim_pool_schema(conn: Connection, head: str) -> str | None:
    """Lock an unclaimed pool schema at ``head`` (never one below it) in ``conn``'s transaction.

    Returns its name, or None when the pool has none ready. The row stays locked until the caller's
    transaction ends; a rollback releases it untouched for the next signup.
    """
    stmt = (
        select(PoolSchema.schema_name)
        .where(PoolSchema.revision == head, PoolSchema.claimed_at.is_(None))
        .order_by(PoolSchema.created_at)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    return conn.scalar(stmt)


def mark_claimed(conn: Connection, schema: str) -> None:
    """Record that pooled ``schema`` now belongs to a tenant (in the caller's transaction)."""
    conn.execute(
        update(PoolSchema).where(PoolSchema.schema_name == schema).values(claimed_at=func.now())
    )


def _ready(conn: Connection, head: str) -> int:
    return conn.scalar(
        select(func.count())
        .select_from(PoolSchema)
        .where(PoolSchema.revision == head, PoolSchema.claimed_at.is_(None))
    )


def _stale_revisions(head: str) -> list[str]:
    """Revisions strictly below ``head``: pool schemas there can never be claimed by this code.

    A revision this code does not know (a newer deploy's head) is not stale here.
    """
    revs = script_directory("tenant").iterate_revisions(head, "base")
    return [rev.revision for rev in revs if rev.revision != head]


def _drop_one(runtime: Runtime, *where) -> str | None:
    """Drop one unclaimed pool schema matching ``where``; None when there is none left."""
    with runtime.owner_engine.begin() as conn:
        schema = conn.scalar(
            select(PoolSchema.schema_name)
            .where(PoolSchema.claimed_at.is_(None), *where)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        if schema is None:
            return None
        conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {quoted_schema(schema)} CASCADE")
        conn.execute(delete(PoolSchema).where(PoolSchema.schema_name == schema))
    return schema


def refill_pool(runtime: Runtime, target: int | None = None) -> int:
    """Top the pool up to ``target`` ready schemas at head (default ``TENANT_POOL_SIZE``).

    Unclaimed schemas below head are dropped first (empty by construction, so nothing is lost).
    One schema per transaction, under a transaction-level advisory lock so concurrent refills
    never overshoot. Returns how many schemas were created.
    """
    target = runtime.settings.tenant_pool_size if target is None else target
    head = tenant_head()
    stale = _stale_revisions(head)
    while stale and _drop_one(runtime, PoolSchema.revision.in_(stale)):
        pass
    created = 0
    while True:
        schema = new_schema_name()
        with runtime.owner_engine.begin() as conn:
            conn.execute(select(func.pg_advisory_xact_lock(REFILL_LOCK)))
            if _ready(conn, head) >= target:
                break
            create_tenant_schema(conn, schema, app_role(runtime))
            conn.execute(insert(PoolSchema).values(schema_name=schema, revision=head))
        created += 1
    if created:
        log.info("warm pool refilled", extra={"pool_created": created, "target": target})
    return created


def drain_pool(runtime: Runtime) -> int:
    """Drop every unclaimed pool schema (any revision); claimed rows stay as history."""
    dropped = 0
    while _drop_one(runtime):
        dropped += 1
    return dropped


@dataclass(frozen=True)
class PoolStatus:
    head: str
    target: int
    ready: int
    by_revision: dict[str, int]
    claimed: int


def pool_status(runtime: Runtime) -> PoolStatus:
    """Ready schemas at head, unclaimed schemas per revision and how many were ever claimed."""
    head = tenant_head()
    with runtime.engine.connect() as conn:
        rows = conn.execute(
            select(PoolSchema.revision, func.count())
            .where(PoolSchema.claimed_at.is_(None))
            .group_by(PoolSchema.revision)
        ).all()
        claimed = conn.scalar(
            select(func.count()).select_from(PoolSchema).where(PoolSchema.claimed_at.is_not(None))
        )
    by_revision = {rev: count for rev, count in rows}
    return PoolStatus(
        head=head,
        target=runtime.settings.tenant_pool_size,
        ready=by_revision.get(head, 0),
        by_revision=by_revision,
        claimed=claimed,
    )


def refill_pool_job() -> int:
    """Scheduled job (every minute): top the warm pool up to ``TENANT_POOL_SIZE``."""
    return refill_pool(current_runtime())
