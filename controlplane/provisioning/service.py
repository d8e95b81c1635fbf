"""Tenant provisioning: a schema at the tenant head, seeded, with its control-plane rows.

Two ways to get the schema, one way to seed it:
- **warm**: claim a pool schema built ahead of time at head (``pool.claim_pool_schema``);
- **cold** (pool empty): apply the cached head DDL in one round trip (``create_tenant_schema``).
Either way ``seed_tenant`` writes the starting rows, and the schema, the seed, the tenant row and
the caller's rows commit in one owner-role transaction — a failure at any step leaves nothing
behind (a claimed pool row is released untouched by the rollback).
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass

from sqlalchemy import insert, update
from sqlalchemy.engine import Connection

from controlplane.provisioning.pool import app_role, claim_pool_schema, mark_claimed
from shared import metrics
from shared.entitlements import ensure_counters
from shared.migrations import create_tenant_schema, tenant_head, upgrade_tenant
from shared.models.tenants import Tenant, TenantEvent
from shared.runtime import Runtime
from shared.shards import DEFAULT_SHARD
from shared.tenancy import new_schema_name, quoted_schema
from tenantapp.seed import TenantSeed, seed_tenant

log = logging.getLogger("cleanplane.provisioning")

# The checkpoints each path passes, in order (failure-injection tests walk these).
WARM_STEPS = ("claim", "tenant_row", "seed", "control_rows", "commit")
COLD_STEPS = ("claim", "tenant_row", "schema", "seed", "control_rows", "commit")
STEPS = tuple(dict.fromkeys(WARM_STEPS + COLD_STEPS))

__all__ = [
    "COLD_STEPS",
    "STEPS",
    "WARM_STEPS",
    "NewTenant",
    "ProvisioningError",
    "app_role",
    "checkpoint",
    "migrate_schema",
    "provision",
    "seed_schema",
]


def checkpoint(step: str) -> None:
    """A named point in provisioning; tests replace it to inject a failure at ``step``."""


class ProvisioningError(RuntimeError):
    """Provisioning failed at ``step``; the transaction was rolled back."""

    def __init__(self, step: str, cause: BaseException):
        super().__init__(f"{step}: {type(cause).__name__}: {cause}")
        self.step = step
        self.cause = cause


@dataclass
class NewTenant:
    company_name: str
    slug: str
    time_zone: str
    contact_email: str | None
    actor: str
    reason: str = "signup"

    @property
    def seed(self) -> TenantSeed:
        return TenantSeed(self.company_name, self.time_zone, self.contact_email)


def seed_schema(conn: Connection, schema: str, seed: TenantSeed) -> None:
    """Run ``seed_tenant`` inside ``schema`` on ``conn`` (the caller's transaction)."""
    conn.exec_driver_sql(f"SET LOCAL search_path TO {quoted_schema(schema)}")
    seed_tenant(conn, seed)
    conn.exec_driver_sql("SET LOCAL search_path TO public")


def migrate_schema(conn: Connection, schema: str, role: str | None) -> None:
    """Create ``schema`` and bring it to head by running ``alembic_tenant`` from zero.

    The slow reference path (fleet tooling, restores, the equivalence test); ``conn`` must be a
    fresh connection with no translate map (SPEC §12).
    """
    q = quoted_schema(schema)
    conn.exec_driver_sql(f"CREATE SCHEMA {q}")
    if role:
        conn.exec_driver_sql(f'GRANT USAGE ON SCHEMA {q} TO "{role}"')
    upgrade_tenant(conn, schema)
    conn.exec_driver_sql("SET LOCAL search_path TO public")


def provision(
    conn: Connection,
    runtime: Runtime,
    spec: NewTenant,
    *,
    extra=None,
    tenant_id: uuid.UUID | None = None,
    shard: str = DEFAULT_SHARD,
    remote_schema: str | None = None,
) -> uuid.UUID:
    """Create or claim a tenant schema at head, seed it and write the tenant's rows in ``conn``.

    With ``tenant_id`` the tenant row exists already (an operator-created tenant in
    ``provisioning``) and is activated; otherwise a new active row is inserted. ``extra(conn,
    tenant_id)`` writes the caller's rows (the signup's owner account) in the same transaction.
    With ``remote_schema`` the schema was already created and seeded on ``shard`` (another
    database, see ``controlplane.shards.placement``): only the control-plane rows are written.
    Raises ``ProvisioningError`` naming the failed step; the caller commits on success.
    """
    started = time.perf_counter()
    step = "claim"

    def at(name: str) -> None:
        nonlocal step
        step = name
        checkpoint(name)

    try:
        head = tenant_head()
        at("claim")
        if remote_schema is not None:
            schema, path = remote_schema, "remote"
        else:
            schema = claim_pool_schema(conn, head)
            path = "warm" if schema else "cold"
            schema = schema or new_schema_name()
        at("tenant_row")
        tenant_id = _tenant_row(conn, spec, tenant_id, schema, head, shard)
        if path == "cold":
            at("schema")
            create_tenant_schema(conn, schema, app_role(runtime))
        if path != "remote":
            at("seed")
            seed_schema(conn, schema, spec.seed)
        at("control_rows")
        if path == "warm":
            mark_claimed(conn, schema)
        ensure_counters(conn, tenant_id)
        if extra is not None:
            extra(conn, tenant_id)
        at("commit")
    except ProvisioningError:
        raise
    except Exception as exc:
        raise ProvisioningError(step, exc) from exc
    metrics.observe_provisioning(time.perf_counter() - started, path=path)
    log.info(
        "tenant provisioned",
        extra={
            "tenant_id": str(tenant_id),
            "path": path,
            "ms": round((time.perf_counter() - started) * 1000, 1),
        },
    )
    return tenant_id


def _tenant_row(
    conn: Connection,
    spec: NewTenant,
    tenant_id: uuid.UUID | None,
    schema: str,
    head: str,
    shard: str = DEFAULT_SHARD,
) -> uuid.UUID:
    """Insert the active tenant row, or activate the operator's ``provisioning`` row."""
    if tenant_id is None:
        tenant_id = uuid.uuid4()
        conn.execute(
            insert(Tenant).values(
                id=tenant_id,
                slug=spec.slug,
                company_name=spec.company_name,
                schema_name=schema,
                status="active",
                plan_code="free",
                time_zone=spec.time_zone,
                schema_revision=head,
                shard=shard,
            )
        )
        from_status = None
    else:
        activated = conn.scalar(
            update(Tenant)
            .where(Tenant.id == tenant_id, Tenant.status == "provisioning")
            .values(
                schema_name=schema,
                status="active",
                status_reason=None,
                company_name=spec.company_name,
                time_zone=spec.time_zone,
                schema_revision=head,
                shard=shard,
            )
            .returning(Tenant.id)
        )
        if activated is None:
            raise RuntimeError(f"tenant {tenant_id} is not in provisioning")
        from_status = "provisioning"
    conn.execute(
        insert(TenantEvent).values(
            tenant_id=tenant_id,
            from_status=from_status,
            to_status="active",
            actor=spec.actor,
            reason=spec.reason,
        )
    )
    return tenant_id
