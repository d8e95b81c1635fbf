"""Tenant provisioning: a new schema at the tenant head, seeded, with its control-plane rows.

Everything happens in one owner-role transaction: the schema DDL, the seed and the control-plane
rows commit together or not at all, so a failure at any step leaves nothing behind.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass

from sqlalchemy import insert
from sqlalchemy.engine import Connection, make_url

from shared import metrics
from shared.entitlements import ensure_counters
from shared.migrations import create_tenant_schema, tenant_head
from shared.models.tenants import Tenant, TenantEvent
from shared.runtime import Runtime
from shared.tenancy import new_schema_name
from tenantapp.seed import TenantSeed, seed_tenant

log = logging.getLogger("cleanplane.provisioning")

STEPS = ("tenant_row", "schema", "seed", "control_rows", "commit")


def checkpoint(step: str) -> None:
    """A named point in provisioning; tests replace it to inject a failure at ``step``."""


@dataclass
class NewTenant:
    company_name: str
    slug: str
    time_zone: str
    contact_email: str | None
    actor: str


def app_role(runtime: Runtime) -> str:
    return make_url(runtime.settings.database_url).username


def provision(conn: Connection, runtime: Runtime, spec: NewTenant, *, extra=None) -> uuid.UUID:
    """Create and seed a tenant schema plus its tenant row inside ``conn``'s transaction.

    ``extra(conn, tenant_id)`` writes the caller's rows (the signup's owner account) in the same
    transaction. Returns the tenant id; the caller commits.
    """
    started = time.perf_counter()
    tenant_id = uuid.uuid4()
    schema = new_schema_name()
    checkpoint("tenant_row")
    conn.execute(
        insert(Tenant).values(
            id=tenant_id,
            slug=spec.slug,
            company_name=spec.company_name,
            schema_name=schema,
            status="active",
            plan_code="free",
            time_zone=spec.time_zone,
            schema_revision=tenant_head(),
        )
    )
    checkpoint("schema")
    create_tenant_schema(conn, schema, app_role(runtime))
    checkpoint("seed")
    conn.exec_driver_sql(f'SET LOCAL search_path TO "{schema}"')
    seed_tenant(conn, TenantSeed(spec.company_name, spec.time_zone, spec.contact_email))
    conn.exec_driver_sql("SET LOCAL search_path TO public")
    checkpoint("control_rows")
    conn.execute(
        insert(TenantEvent).values(
            tenant_id=tenant_id,
            from_status=None,
            to_status="active",
            actor=spec.actor,
            reason="signup",
        )
    )
    ensure_counters(conn, tenant_id)
    if extra is not None:
        extra(conn, tenant_id)
    checkpoint("commit")
    metrics.observe_provisioning(time.perf_counter() - started, path="cold")
    log.info(
        "tenant provisioned",
        extra={"tenant_id": str(tenant_id), "ms": round((time.perf_counter() - started) * 1000)},
    )
    return tenant_id
