"""Where a new tenant goes, and signup on a remote shard as a saga with compensation.

Placement (``SHARD_PLACEMENT``): ``fewest`` (default) picks the shard holding the fewest live
tenants, ties going to the shard listed first (``default`` before ``SHARDS`` order); a shard name
pins every new tenant there.

The default shard keeps the one-transaction path (warm pool or cold DDL, seed and control-plane rows
commit together). A remote shard is another database, so one transaction cannot span both:
1. **remote step** — on the shard's owner engine, create the schema at head and seed it; commit;
2. **control-plane step** — in the control plane, the tenant row (``shard`` = the shard), counters
   and the caller's rows; commit;
3. **compensation** — if step 2 fails, drop the schema made in step 1.
A failure in step 1 rolls back on its own. The warm pool is kept on the default shard only (its
rows live beside the control plane); remote shards use the cold path (~0.15 s).
"""

from __future__ import annotations

import logging
import uuid

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from controlplane.provisioning import service as provisioning
from controlplane.provisioning.service import NewTenant, ProvisioningError
from shared.migrations import create_tenant_schema
from shared.models.tenants import Tenant
from shared.runtime import Runtime
from shared.shards import DEFAULT_SHARD
from shared.tenancy import new_schema_name, quoted_schema

log = logging.getLogger("cleanplane.shards")

LIVE_STATUSES = ("provisioning", "provision_failed", "active", "suspended", "deleting")


def tenants_per_shard(conn: Connection) -> dict[str, int]:
    """How many tenants that hold (or will hold) a schema each shard carries."""
    rows = conn.execute(
        select(Tenant.shard, func.count())
        .where(Tenant.status.in_(LIVE_STATUSES))
        .group_by(Tenant.shard)
    ).all()
    return {shard: count for shard, count in rows}


def choose_shard(runtime: Runtime) -> str:
    """The shard a new tenant goes to under ``SHARD_PLACEMENT``."""
    policy = runtime.settings.shard_placement
    names = list(runtime.shards)
    if policy != "fewest":
        return policy
    if len(names) == 1:
        return DEFAULT_SHARD
    with runtime.engine.connect() as conn:
        counts = tenants_per_shard(conn)
    return pick_fewest(names, counts)


def pick_fewest(names: list[str], counts: dict[str, int]) -> str:
    """The shard with the fewest tenants; on a tie, the one listed first."""
    return min(names, key=lambda name: (counts.get(name, 0), names.index(name)))


def provision_placed(
    runtime: Runtime, spec: NewTenant, *, extra=None, shard: str | None = None
) -> tuple[uuid.UUID, str]:
    """Provision a tenant on ``shard`` (default: the placement policy's choice).

    Returns ``(tenant_id, shard)``. Raises ``ProvisioningError``; on a remote shard the schema made
    by the remote step is dropped again when the control-plane step fails.
    """
    shard = shard or choose_shard(runtime)
    runtime.shard(shard)  # unknown shard → UnknownShard before any work
    if shard == DEFAULT_SHARD:
        with runtime.owner_engine.begin() as conn:
            return provisioning.provision(conn, runtime, spec, extra=extra), shard
    schema = _remote_schema(runtime, shard, spec)
    try:
        with runtime.owner_engine.begin() as conn:
            tenant_id = provisioning.provision(
                conn, runtime, spec, extra=extra, shard=shard, remote_schema=schema
            )
    except BaseException:
        drop_remote_schema(runtime, shard, schema)
        raise
    return tenant_id, shard


def _remote_schema(runtime: Runtime, shard: str, spec: NewTenant) -> str:
    """Step 1: the schema at head, seeded, committed on ``shard``."""
    schema = new_schema_name()
    try:
        provisioning.checkpoint("remote_schema")
        with runtime.shard_owner_engine(shard).begin() as conn:
            create_tenant_schema(conn, schema, runtime.shard(shard).app_role)
            provisioning.checkpoint("remote_seed")
            provisioning.seed_schema(conn, schema, spec.seed)
    except Exception as exc:
        raise ProvisioningError("remote_schema", exc) from exc
    return schema


def drop_remote_schema(runtime: Runtime, shard: str, schema: str) -> None:
    """Compensation: drop a remote schema no tenant row points at. Logged if it fails too."""
    try:
        provisioning.checkpoint("compensate")
        with runtime.shard_owner_engine(shard).begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {quoted_schema(schema)} CASCADE")
    except Exception:
        log.exception(
            "compensation failed: orphan schema left on shard",
            extra={"shard": shard, "schema": schema},
        )
        return
    log.info("remote signup compensated", extra={"shard": shard, "schema": schema})
