"""What a fleet run would do: the options, the targets and their versions (read-only)."""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass, replace

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
from shared.shards import DEFAULT_SHARD
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
    """Every tenant (any status but ``deleted``) with its shard, then the pool's schemas.

    Whether a tenant's schema exists is checked afterwards, on its own shard (``_on_shards``).
    """
    stmt = (
        select(Tenant.id, Tenant.slug, Tenant.schema_name, Tenant.schema_revision, Tenant.shard)
        .where(Tenant.status != "deleted")
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
                shard=r.shard or DEFAULT_SHARD,
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


def _existing(conn: Connection, schemas: list[str]) -> set[str]:
    with conn.begin():
        return set(
            conn.execute(
                text("SELECT nspname FROM pg_catalog.pg_namespace WHERE nspname = ANY(:names)"),
                {"names": schemas},
            ).scalars()
        )


def _on_shards(runtime: Runtime, targets: list[Target]) -> tuple[list[Target], list[Target]]:
    """Group by shard; on each shard's owner engine keep the schemas that exist and read their
    versions (batched). Returns (found with ``revision`` set, targets on shards not configured
    here — kept so the run records them as failed instead of silently skipping them)."""
    by_shard: dict[str, list[Target]] = {}
    for t in targets:
        by_shard.setdefault(t.shard, []).append(t)
    found, unreachable = [], []
    for shard, group in by_shard.items():
        if shard != DEFAULT_SHARD and shard not in runtime.shards:
            log.warning(
                "%d tenants on shard %r, which this process has no URL for", len(group), shard
            )
            unreachable.extend(group)
            continue
        with runtime.shard_owner_engine(shard).connect() as conn:
            present = _existing(conn, [t.schema for t in group])
            versions = read_tenant_versions(conn, [t.schema for t in group if t.schema in present])
        found.extend(
            replace(t, revision=versions.get(t.schema)) for t in group if t.schema in present
        )
    return found, unreachable


def _interleave(targets: list[Target]) -> list[Target]:
    """Round-robin over shards (each shard's own order kept) so every shard starts at once."""
    by_shard: dict[str, list[Target]] = {}
    for t in targets:
        by_shard.setdefault(t.shard, []).append(t)
    queues = list(by_shard.values())
    out: list[Target] = []
    for i in range(max((len(q) for q in queues), default=0)):
        out.extend(q[i] for q in queues if i < len(q))
    return out


def plan(runtime: Runtime, options: MigrateOptions) -> Plan:
    """What a run would do: read-only (``--dry-run``)."""
    track = options.track
    with runtime.owner_engine.connect() as conn:
        current_public = public_revision(conn)
        conn.rollback()
        if current_public is None:  # a brand-new database: no tenants table yet
            return Plan(None, public_head(), track.head, [], [], None)
        targets, pool_column = _targets(conn, options.tenant_slug)
    found, unreachable = _on_shards(runtime, targets)
    if options.tenant_slug and not (found or unreachable):
        raise NotFound(f"No tenant {options.tenant_slug!r} with a schema.")
    todo, at_head = [], []
    for t in found:
        (at_head if t.revision == track.head else todo).append(t)
    todo = _interleave(todo + unreachable)
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
        out.write(f"-- {target.label} ({target.schema}) on shard {target.shard}\n")
        if target.shard not in runtime.shards:
            out.write("-- skipped: this process has no URL for that shard\n")
            continue
        out.write(options.track.render_sql(target.schema, target.revision))
    return out.getvalue()
