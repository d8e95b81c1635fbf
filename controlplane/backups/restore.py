"""Restore a per-tenant backup (SPEC §2.7); the backup format is described in ``service``.

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
import logging
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select, text

from controlplane.backups import rows
from controlplane.backups import storage as objects
from controlplane.backups.service import (
    BackupError,
    read_backup,
    shard_owner_engine,
)
from controlplane.pgtools import (
    fingerprints,
    rename_schema_in_dump,
    restore_sql,
    server_major,
    table_fingerprints,
)
from shared.models.tenants import Tenant
from shared.runtime import Runtime
from shared.shards import DEFAULT_SHARD
from shared.tenancy import check_schema_name, new_schema_name, quoted_schema, slug_problem

log = logging.getLogger("cleanplane.backups")


@dataclass
class RestoreResult:
    tenant_id: uuid.UUID
    slug: str
    schema: str
    tables: int
    rows: int
    files: int
    shard: str = DEFAULT_SHARD


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
    shard_engine = shard_owner_engine(
        runtime, target.shard, f"restore onto {target.shard!r} (pick one with --shard)"
    )
    major = _check_free(runtime, shard_engine, target)
    done = {"storage": False, "schema": False}  # what to undo if a later step fails
    try:
        _load_scratch(runtime, src, manifest, target, major, say)
        restored, files = _verify_and_publish(
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
            objects.drop_objects(runtime, target.tenant_id)
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
        files=files,
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
) -> tuple[dict, int]:
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
        done["storage"] = True  # from here a failed copy is cleaned up
        files = objects.restore_objects(runtime, src, target.tenant_id)
        say(f"restored {files} stored objects")
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
    return restored, files


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
