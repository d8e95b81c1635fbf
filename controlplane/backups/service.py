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

Restore loads the dump into a scratch schema, checks every table against the manifest, then in one
transaction renames the scratch schema to its final name and writes the control-plane rows, so a
half-restored tenant is never visible. ``--as NEWSLUG`` makes an independent copy (new id, slug and
schema); without it the original identity comes back, refused while it still exists.

The schema goes back to the shard the backup came from (``--shard`` picks another). On a shard
other than ``default`` the restore is a saga like a remote signup: the schema is loaded, verified
and renamed on the shard and committed there, then the control-plane rows are committed; if that
fails, the schema is dropped from the shard again, so no half-restored tenant is ever visible.
"""

from __future__ import annotations

import contextlib
import json
import logging
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select, text

from controlplane.backups import rows
from controlplane.backups import storage as objects
from controlplane.backups.pgtools import (
    BackupError,
    dump_schema,
    fingerprints,
    rename_schema_in_dump,
    restore_sql,
    server_major,
)
from shared.models.tenants import Tenant
from shared.runtime import Runtime
from shared.shards import DEFAULT_SHARD, UnknownShard
from shared.tenancy import check_schema_name, new_schema_name, quoted_schema, slug_problem

log = logging.getLogger("cleanplane.backups")
FORMAT = 1


@dataclass
class RestoreResult:
    tenant_id: uuid.UUID
    slug: str
    schema: str
    tables: int
    rows: int
    files: int
    shard: str = DEFAULT_SHARD


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
            schema_conn = stack.enter_context(_shard_engine(runtime, shard, slug).connect())
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
        tables = fingerprints(schema_conn, schema)
        # pg_dump reads the same snapshot while this transaction stays open.
        owner_url = runtime.shard(shard).owner_url
        dump_schema(owner_url, major, schema, dest / "schema.sql", snapshot)
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
    src = Path(src)
    try:
        manifest = json.loads((src / "manifest.json").read_text(encoding="utf-8"))
        control = json.loads((src / "control_plane.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(f"{src} is not a readable tenant backup: {exc}") from exc
    if manifest.get("format") != FORMAT or not (src / "schema.sql").is_file():
        raise BackupError(f"{src} is not a tenant backup of format {FORMAT}")
    return manifest, control


def _shard_engine(runtime: Runtime, shard: str, what: str):
    try:
        return runtime.shard_owner_engine(shard)
    except UnknownShard as exc:
        raise BackupError(f"{what}: shard {shard!r} is not configured in this process") from exc


def _check_identity(conn, tenant_id: uuid.UUID, slug: str, schema: str | None = None) -> None:
    """Control-plane identity (``conn`` on ``public``); the schema too when it is on this DB."""
    if conn.scalar(select(Tenant.id).where(Tenant.slug == slug)) is not None:
        raise BackupError(f"a tenant {slug!r} already exists; restore with --as NEWSLUG")
    if conn.scalar(select(Tenant.id).where(Tenant.id == tenant_id)) is not None:
        raise BackupError(f"tenant {tenant_id} already exists; restore with --as NEWSLUG")
    if schema is not None:
        _check_schema_free(conn, schema)


def _check_schema_free(conn, schema: str) -> None:
    taken = conn.execute(
        text("SELECT 1 FROM pg_namespace WHERE nspname = :s"), {"s": schema}
    ).first()
    if taken:
        raise BackupError(f"schema {schema} already exists; restore with --as NEWSLUG")


def restore_tenant(
    runtime: Runtime,
    src: Path,
    new_slug: str | None = None,
    *,
    shard: str | None = None,
    actor: str = "cli",
    progress: Callable[[str], None] | None = None,
) -> RestoreResult:
    """Restore the backup in ``src``; under ``new_slug`` as an independent copy when given; on
    ``shard`` (default: the shard the backup was taken from)."""
    say = progress or (lambda _msg: None)
    src = Path(src)
    manifest, control = read_backup(src)
    clone = new_slug is not None
    if clone and slug_problem(new_slug):
        raise BackupError(f"slug {new_slug!r} {slug_problem(new_slug)}")
    tenant_id = uuid.uuid4() if clone else uuid.UUID(manifest["tenant_id"])
    slug = new_slug if clone else manifest["slug"]
    final = new_schema_name() if clone else check_schema_name(manifest["schema"])
    scratch = new_schema_name()
    shard = shard or manifest.get("shard") or control["tenant"].get("shard") or DEFAULT_SHARD
    engine = runtime.owner_engine
    shard_engine = _shard_engine(runtime, shard, f"restore onto {shard!r} (pick one with --shard)")
    remote = shard != DEFAULT_SHARD
    with engine.connect() as conn:
        _check_identity(conn, tenant_id, slug, None if remote else final)
    with shard_engine.connect() as conn:
        _check_schema_free(conn, final)
        major = server_major(conn)
    copied_storage = False
    schema_committed = False
    try:
        with tempfile.TemporaryDirectory() as tmp:
            renamed = Path(tmp) / "schema.sql"
            rename_schema_in_dump(src / "schema.sql", renamed, manifest["schema"], scratch)
            say(f"loading the dump into scratch schema {scratch} on shard {shard}")
            restore_sql(runtime.shard(shard).owner_url, major, renamed)
        with contextlib.ExitStack() as stack:
            conn = stack.enter_context(engine.begin())
            schema_conn, schema_tx = conn, None
            if remote:
                schema_conn = stack.enter_context(shard_engine.connect())
                schema_tx = schema_conn.begin()  # rolled back by closing unless committed
            restored = fingerprints(schema_conn, scratch)
            _verify(manifest["tables"], restored)
            say(f"verified {len(restored)} tables against the manifest")
            _rewrite_storage_keys(schema_conn, scratch, manifest["tenant_id"], tenant_id)
            copied_storage = True  # from here a failed copy is cleaned up
            files = objects.restore_objects(runtime, src, tenant_id)
            say(f"restored {files} stored objects")
            # The identity checks again, now under the transaction that makes the tenant visible.
            _check_identity(conn, tenant_id, slug, None if remote else final)
            _check_schema_free(schema_conn, final)
            schema_conn.exec_driver_sql(
                f"ALTER SCHEMA {quoted_schema(scratch)} RENAME TO {quoted_schema(final)}"
            )
            role = runtime.shard(shard).app_role
            if role:
                schema_conn.exec_driver_sql(
                    f'GRANT USAGE ON SCHEMA {quoted_schema(final)} TO "{role}"'
                )
            if schema_tx is not None:  # saga step 1: the schema is on the shard; 2: the rows
                schema_tx.commit()
                schema_committed = True
            rows.insert_rows(
                conn,
                control,
                tenant_id=tenant_id,
                slug=slug,
                schema=final,
                revision=manifest.get("revision"),
                clone=clone,
                actor=actor,
                shard=shard,
            )
    except BaseException:
        with shard_engine.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {quoted_schema(scratch)} CASCADE")
            if schema_committed:  # compensate: the rows never made it
                conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {quoted_schema(final)} CASCADE")
        if copied_storage and clone:
            objects.drop_objects(runtime, tenant_id)
        raise
    runtime.tenants.bump(tenant_id)
    log.info(
        "tenant restored", extra={"tenant_id": str(tenant_id), "schema": final, "shard": shard}
    )
    return RestoreResult(
        tenant_id=tenant_id,
        slug=slug,
        schema=final,
        tables=len(restored),
        rows=sum(t["rows"] for t in restored.values()),
        files=files,
        shard=shard,
    )


def _verify(expected: dict, restored: dict) -> None:
    problems = []
    for table in sorted(set(expected) | set(restored)):
        want, got = expected.get(table), restored.get(table)
        if want != got:
            problems.append(f"{table}: expected {want}, restored {got}")
    if problems:
        raise BackupError("restored data does not match the backup: " + "; ".join(problems))


def _rewrite_storage_keys(conn, schema: str, old_id: str, new_id: uuid.UUID) -> None:
    if str(new_id) == old_id:
        return
    old_prefix, new_prefix = f"tenants/{old_id}/", f"tenants/{new_id}/"
    present = set(
        conn.execute(
            text(
                "SELECT table_name, column_name FROM information_schema.columns"
                " WHERE table_schema = :s"
            ),
            {"s": schema},
        ).all()
    )
    for table, column in objects.STORAGE_KEY_COLUMNS:
        if (table, column) not in present:  # a backup from before that feature's migration
            continue
        col = '"' + column.replace('"', '""') + '"'
        tbl = '"' + table.replace('"', '""') + '"'
        conn.execute(
            text(
                f"UPDATE {quoted_schema(schema)}.{tbl} SET {col} = "  # noqa: S608
                f":new || substr({col}, length(:old) + 1) WHERE {col} LIKE :like"
            ),
            {"new": new_prefix, "old": old_prefix, "like": old_prefix + "%"},
        )
