"""What a fleet run would do: the options, the targets and their versions (read-only)."""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.engine import Connection

from alembic import command
from controlplane.fleet.worker import POOL_REVISION_COLUMNS, Target
from shared.errors import NotFound
from shared.migrations import (
    TenantTrack,
    alembic_config,
    public_head,
    public_revision,
    read_tenant_versions,
    tenant_track,
)
from shared.models.tenants import Tenant
from shared.runtime import Runtime
from shared.tenancy import SCHEMA_RE

log = logging.getLogger("cleanplane.fleet")

LOCK_TIMEOUT_RE = re.compile(r"^([1-9][0-9]{0,6})(ms|s|min)$")
DEFAULT_LOCK_TIMEOUT = "5s"


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
