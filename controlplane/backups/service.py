"""Per-tenant backup and restore (SPEC §2.7).

A backup directory holds ``schema.sql`` (pg_dump of the tenant schema, no owners or grants),
``control_plane.json`` (tenant row, lifecycle events, memberships, users, usage counters),
``storage/`` (the tenant's objects under ``tenants/<tenant_id>/`` of the local store) and
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
import shutil
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select, text

from controlplane.backups import rows
from controlplane.pgtools import (
    PgToolError,
    dump_schema,
    fingerprints,
    rename_schema_in_dump,
    restore_sql,
    server_major,
    table_fingerprints,
)
from shared.models.tenants import Tenant
from shared.runtime import Runtime
from shared.shards import DEFAULT_SHARD, UnknownShard
from shared.tenancy import check_schema_name, new_schema_name, quoted_schema, slug_problem

log = logging.getLogger("cleanplane.backups")
FORMAT = 1


class BackupError(PgToolError):
    """A backup or restore could not be done; nothing was changed by the failed step."""


# Tenant columns holding storage keys (``tenants/<tenant_id>/...``): features that store object
# keys register ``(table, column)`` here so a copy restored under a new id points at its own
# objects. Rewritten after the checksums are verified.
STORAGE_KEY_COLUMNS: list[tuple[str, str]] = []


@dataclass
class RestoreResult:
    tenant_id: uuid.UUID
    slug: str
    schema: str
    tables: int
    rows: int
    files: int
    shard: str = DEFAULT_SHARD


def _storage_root(runtime: Runtime) -> Path:
    return Path(runtime.settings.storage_dir) / "tenants"


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
        # Tables only: sequences are not transactional, so the snapshot cannot pin them.
        tables = table_fingerprints(fingerprints(schema_conn, schema))
        # pg_dump reads the same snapshot while this transaction stays open.
        owner_url = runtime.shard(shard).owner_url
        dump_schema(owner_url, major, schema, dest / "schema.sql", snapshot=snapshot)
    (dest / "schema.sql").chmod(0o600)
    _write_json(dest / "control_plane.json", control)
    files = _copy_tree(_storage_root(runtime) / str(tenant.id), dest / "storage")
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
        "storage_files": files,
        "tables": tables,
    }
    _write_json(dest / "manifest.json", manifest)
    log.info("tenant backed up", extra={"tenant_id": str(tenant.id), "tables": len(tables)})
    return manifest


def _copy_tree(src: Path, dest: Path) -> int:
    if not src.is_dir():
        return 0
    shutil.copytree(src, dest, dirs_exist_ok=True)
    return sum(1 for p in dest.rglob("*") if p.is_file())


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


@dataclass(frozen=True)
class _Target:
    """Where and as whom a backup is restored."""

    tenant_id: uuid.UUID
    slug: str
    schema: str  # the final name
    scratch: str  # loaded and verified here, renamed to ``schema`` when visible
    shard: str
    clone: bool

    @property
    def remote(self) -> bool:
        return self.shard != DEFAULT_SHARD


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
    target = _target(manifest, control, new_slug, shard)
    shard_engine = _shard_engine(
        runtime, target.shard, f"restore onto {target.shard!r} (pick one with --shard)"
    )
    major = _check_free(runtime, shard_engine, target)
    storage_dest = _storage_root(runtime) / str(target.tenant_id)
    done = {"storage": False, "schema": False}  # what to undo if a later step fails
    try:
        _load_scratch(runtime, src, manifest, target, major, say)
        restored = _verify_and_publish(
            runtime, shard_engine, src, manifest, control, target, actor, done, say
        )
    except BaseException:
        with shard_engine.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {quoted_schema(target.scratch)} CASCADE")
            if done["schema"]:  # compensate: the rows never made it
                conn.exec_driver_sql(
                    f"DROP SCHEMA IF EXISTS {quoted_schema(target.schema)} CASCADE"
                )
        if done["storage"] and target.clone:
            shutil.rmtree(storage_dest, ignore_errors=True)
        raise
    runtime.tenants.bump(target.tenant_id)
    log.info(
        "tenant restored",
        extra={"tenant_id": str(target.tenant_id), "schema": target.schema, "shard": target.shard},
    )
    return RestoreResult(
        tenant_id=target.tenant_id,
        slug=target.slug,
        schema=target.schema,
        tables=len(restored),
        rows=sum(t["rows"] for t in restored.values()),
        files=manifest.get("storage_files", 0),
        shard=target.shard,
    )


def _target(manifest: dict, control: dict, new_slug: str | None, shard: str | None) -> _Target:
    """The original identity, or a new one (id, slug, schema) for a copy under ``new_slug``."""
    clone = new_slug is not None
    if clone and slug_problem(new_slug):
        raise BackupError(f"slug {new_slug!r} {slug_problem(new_slug)}")
    return _Target(
        tenant_id=uuid.uuid4() if clone else uuid.UUID(manifest["tenant_id"]),
        slug=new_slug if clone else manifest["slug"],
        schema=new_schema_name() if clone else check_schema_name(manifest["schema"]),
        scratch=new_schema_name(),
        shard=shard or manifest.get("shard") or control["tenant"].get("shard") or DEFAULT_SHARD,
        clone=clone,
    )


def _check_free(runtime: Runtime, shard_engine, target: _Target) -> int:
    """Refuse an identity or schema that exists; returns the target shard's major version."""
    with runtime.owner_engine.connect() as conn:
        _check_identity(
            conn, target.tenant_id, target.slug, None if target.remote else target.schema
        )
    with shard_engine.connect() as conn:
        _check_schema_free(conn, target.schema)
        return server_major(conn)


def _load_scratch(runtime: Runtime, src: Path, manifest: dict, target: _Target, major, say):
    """Load the dump, renamed to the scratch schema, on the target shard (one transaction)."""
    with tempfile.TemporaryDirectory() as tmp:
        renamed = Path(tmp) / "schema.sql"
        rename_schema_in_dump(src / "schema.sql", renamed, manifest["schema"], target.scratch)
        say(f"loading the dump into scratch schema {target.scratch} on shard {target.shard}")
        restore_sql(runtime.shard(target.shard).owner_url, major, renamed)


def _verify_and_publish(
    runtime: Runtime, shard_engine, src, manifest, control, target: _Target, actor, done, say
) -> dict:
    """Check the scratch schema against the manifest, then make the tenant visible at once:
    rename the schema and write the control-plane rows (a saga step per database when the shard
    is remote). Marks in ``done`` what the caller must undo if this fails."""
    with contextlib.ExitStack() as stack:
        conn = stack.enter_context(runtime.owner_engine.begin())
        schema_conn, schema_tx = conn, None
        if target.remote:
            schema_conn = stack.enter_context(shard_engine.connect())
            schema_tx = schema_conn.begin()  # rolled back by closing unless committed
        restored = table_fingerprints(fingerprints(schema_conn, target.scratch))
        _verify(manifest["tables"], restored)
        say(f"verified {len(restored)} tables against the manifest")
        _rewrite_storage_keys(schema_conn, target.scratch, manifest["tenant_id"], target.tenant_id)
        if (src / "storage").is_dir():
            storage_dest = _storage_root(runtime) / str(target.tenant_id)
            storage_dest.parent.mkdir(parents=True, exist_ok=True)
            _copy_tree(src / "storage", storage_dest)
            done["storage"] = True
        # The identity checks again, now under the transaction that makes the tenant visible.
        _check_identity(
            conn, target.tenant_id, target.slug, None if target.remote else target.schema
        )
        _check_schema_free(schema_conn, target.schema)
        schema_conn.exec_driver_sql(
            f"ALTER SCHEMA {quoted_schema(target.scratch)} RENAME TO {quoted_schema(target.schema)}"
        )
        role = runtime.shard(target.shard).app_role
        if role:
            schema_conn.exec_driver_sql(
                f'GRANT USAGE ON SCHEMA {quoted_schema(target.schema)} TO "{role}"'
            )
        if schema_tx is not None:  # saga step 1: the schema is on the shard; 2: the rows
            schema_tx.commit()
            done["schema"] = True
        rows.insert_rows(
            conn,
            control,
            tenant_id=target.tenant_id,
            slug=target.slug,
            schema=target.schema,
            revision=manifest.get("revision"),
            clone=target.clone,
            actor=actor,
            shard=target.shard,
        )
    return restored


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
    for table, column in STORAGE_KEY_COLUMNS:
        col = '"' + column.replace('"', '""') + '"'
        tbl = '"' + table.replace('"', '""') + '"'
        conn.execute(
            text(
                f"UPDATE {quoted_schema(schema)}.{tbl} SET {col} = "  # noqa: S608
                f":new || substr({col}, length(:old) + 1) WHERE {col} LIKE :like"
            ),
            {"new": new_prefix, "old": old_prefix, "like": old_prefix + "%"},
        )
