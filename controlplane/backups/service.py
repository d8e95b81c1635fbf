"""Per-tenant backup and restore (SPEC §2.7).

A backup directory holds ``schema.sql`` (pg_dump of the tenant schema, no owners or grants),
``control_plane.json`` (tenant row, lifecycle events, memberships, users, usage counters),
``storage/`` with ``storage.json`` (the tenant's objects under ``tenants/<tenant_id>/`` of the
configured store, local disk or S3/R2: ``controlplane/backups/storage.py``) and
``manifest.json`` (versions, and every table's row count and checksum). The dump, the rows and the
fingerprints come from one exported snapshot, so they agree even while the tenant keeps working.
For a tenant on another shard (``tenants.shard``) the schema side (dump, fingerprints, revision)
comes from one snapshot of that shard, taken while the control-plane snapshot is open: each side is
consistent in itself, and the two databases share no rows to disagree on.

Restoring is ``controlplane.backups.restore``.
"""

from __future__ import annotations

import contextlib
import json
import logging
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select, text

from controlplane.backups import rows
from controlplane.backups import storage as objects
from controlplane.backups.errors import BackupError
from controlplane.pgtools import (
    dump_schema,
    fingerprints,
    server_major,
    table_fingerprints,
)
from shared.models.tenants import Tenant
from shared.runtime import Runtime
from shared.shards import DEFAULT_SHARD, UnknownShard
from shared.tenancy import check_schema_name, quoted_schema

log = logging.getLogger("cleanplane.backups")
FORMAT = 1


def _write_json(path: Path, data) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=True, default=str), encoding="utf-8")
    path.chmod(0o600)


def backup_tenant(runtime: Runtime, slug: str, dest: Path) -> dict:
    """Write the tenant ``slug``'s backup into ``dest`` (created; must be empty). Returns the
    manifest. The directory holds password hashes: it is created readable by its owner only."""
    dest = Path(dest)
    if dest.exists() and any(dest.iterdir()):
        raise BackupError(f"{dest} is not empty")
    dest.mkdir(mode=0o700, parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:
        conn = stack.enter_context(runtime.owner_engine.connect())
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        stack.enter_context(conn.begin())
        tenant = conn.execute(select(Tenant).where(Tenant.slug == slug)).first()
        if tenant is None:
            raise BackupError(f"no tenant {slug!r}")
        schema = check_schema_name(tenant.schema_name)
        shard = tenant.shard or DEFAULT_SHARD
        control = rows.export_rows(conn, tenant.id)
        if shard == DEFAULT_SHARD:
            schema_conn = conn  # one snapshot for the rows and the schema
        else:
            schema_conn = stack.enter_context(shard_owner_engine(runtime, shard, slug).connect())
            schema_conn = schema_conn.execution_options(isolation_level="REPEATABLE READ")
            stack.enter_context(schema_conn.begin())
        present = schema_conn.execute(
            text("SELECT 1 FROM pg_namespace WHERE nspname = :s"), {"s": schema}
        ).first()
        if not present:
            raise BackupError(
                f"tenant {slug!r} has no schema {schema} on shard {shard} (status {tenant.status})"
            )
        snapshot = schema_conn.execute(text("SELECT pg_export_snapshot()")).scalar()
        major = server_major(schema_conn)
        version_num = int(schema_conn.execute(text("SHOW server_version_num")).scalar())
        revision = schema_conn.execute(
            text(f"SELECT version_num FROM {quoted_schema(schema)}.alembic_version")  # noqa: S608
        ).scalar()
        # Tables only: sequences are not transactional, so the snapshot cannot pin them.
        tables = table_fingerprints(fingerprints(schema_conn, schema))
        # pg_dump reads the same snapshot while this transaction stays open.
        owner_url = runtime.shard(shard).owner_url
        dump_schema(owner_url, major, schema, dest / "schema.sql", snapshot=snapshot)
    (dest / "schema.sql").chmod(0o600)
    _write_json(dest / "control_plane.json", control)
    stored = objects.backup_objects(runtime, tenant.id, dest)
    manifest = {
        "format": FORMAT,
        "created_at": datetime.now(UTC).isoformat(),
        "tenant_id": str(tenant.id),
        "slug": tenant.slug,
        "schema": schema,
        "shard": shard,
        "revision": revision,
        "server_version_num": version_num,
        "storage_backend": runtime.settings.storage_backend,
        **stored,
        "tables": tables,
    }
    _write_json(dest / "manifest.json", manifest)
    log.info("tenant backed up", extra={"tenant_id": str(tenant.id), "tables": len(tables)})
    return manifest


def read_backup(src: Path) -> tuple[dict, dict]:
    """The manifest and control-plane rows of the backup in ``src``; ``BackupError`` if it is not one."""
    src = Path(src)
    try:
        manifest = json.loads((src / "manifest.json").read_text(encoding="utf-8"))
        control = json.loads((src / "control_plane.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(f"{src} is not a readable tenant backup: {exc}") from exc
    if manifest.get("format") != FORMAT or not (src / "schema.sql").is_file():
        raise BackupError(f"{src} is not a tenant backup of format {FORMAT}")
    return manifest, control


def shard_owner_engine(runtime: Runtime, shard: str, what: str):
    """The owner engine of ``shard``; ``BackupError`` naming ``what`` if it is not configured."""
    try:
        return runtime.shard_owner_engine(shard)
    except UnknownShard as exc:
        raise BackupError(f"{what}: shard {shard!r} is not configured in this process") from exc
