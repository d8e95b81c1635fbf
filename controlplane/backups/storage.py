"""The storage half of a tenant backup: the tenant's objects under ``tenants/<tenant_id>/``.

Objects are copied by key through the configured backend (``local``, ``s3`` or ``r2``), so a tenant
whose photos live in S3/R2 gets them into its backup as well as one on local disk. The backup holds
them as files under ``storage/`` (the key minus the tenant prefix) plus ``storage.json`` with each
object's key, size, SHA-256 and Content-Type; restore puts them back under the restored tenant's
prefix (a new one for ``--as``) and checks each against its size and digest.

Cloudflare Images names objects by its own ids, not keys, so such a backup records that its objects
were not copied (``storage_skipped``) instead of failing the whole backup.
"""

from __future__ import annotations

import hashlib
import json
import logging
import mimetypes
from pathlib import Path

from controlplane.backups.errors import BackupError
from shared.runtime import Runtime, use_runtime
from shared.storage import current_storage
from shared.storage.base import Storage

log = logging.getLogger("cleanplane.backups")
INDEX = "storage.json"
FALLBACK_TYPE = "application/octet-stream"

# Tenant columns holding storage keys or key-shaped refs: a copy restored under a new id gets them
# rewritten to its own prefix (``service._rewrite_storage_keys``, after the checksums are verified).
STORAGE_KEY_COLUMNS: list[tuple[str, str]] = [
    ("photos", "storage_key"),
    ("photos", "storage_ref"),
    ("storage_tombstones", "storage_key"),
    ("storage_tombstones", "storage_ref"),
]


def storage_of(runtime: Runtime) -> Storage:
    with use_runtime(runtime):
        return current_storage()


def prefix_of(tenant_id) -> str:
    return f"tenants/{tenant_id}/"


def backup_objects(runtime: Runtime, tenant_id, dest: Path) -> dict:
    """Copy every object of the tenant into ``dest`` (the backup directory). Returns the
    manifest entries: ``storage_files`` and, when the backend cannot list, ``storage_skipped``."""
    storage = storage_of(runtime)
    prefix = prefix_of(tenant_id)
    try:
        keys = storage.list_keys(prefix)
    except NotImplementedError:
        log.warning("backup: %s objects are not copied (no key listing)", storage.name)
        return {
            "storage_backend": storage.name,
            "storage_files": 0,
            "storage_skipped": storage.name,
        }
    objects = []
    for key in keys:
        relative = key[len(prefix) :]
        target = dest / "storage" / relative
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        digest, size = hashlib.sha256(), 0
        stream = storage.open(key)
        try:
            with open(target, "wb") as out:
                while chunk := stream.read(64 * 1024):
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
        finally:
            stream.close()
        objects.append(
            {
                "key": relative,
                "size": size,
                "sha256": digest.hexdigest(),
                "content_type": _content_type(storage, key),
            }
        )
    index = dest / INDEX
    index.write_text(json.dumps(objects, indent=2), encoding="utf-8")
    index.chmod(0o600)
    return {"storage_backend": storage.name, "storage_files": len(objects)}


def _content_type(storage: Storage, key: str) -> str:
    reader = getattr(storage, "content_type", None)
    found = reader(key) if reader is not None else None
    return found or mimetypes.guess_type(key)[0] or FALLBACK_TYPE


def read_index(src: Path) -> list[dict]:
    """The objects of a backup; backups made before ``storage.json`` list their files."""
    index = src / INDEX
    if index.is_file():
        return json.loads(index.read_text(encoding="utf-8"))
    folder = src / "storage"
    if not folder.is_dir():
        return []
    return [
        {
            "key": p.relative_to(folder).as_posix(),
            "size": None,
            "sha256": None,
            "content_type": None,
        }
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    ]


def restore_objects(runtime: Runtime, src: Path, tenant_id) -> int:
    """Put the backup's objects under ``tenants/<tenant_id>/`` of the configured backend, each
    checked against its recorded size and digest first. Returns how many were written."""
    storage = storage_of(runtime)
    prefix = prefix_of(tenant_id)
    written = 0
    for obj in read_index(src):
        path = src / "storage" / obj["key"]
        data = path.read_bytes()
        if obj.get("sha256") and hashlib.sha256(data).hexdigest() != obj["sha256"]:
            raise BackupError(f"stored object {obj['key']} does not match its digest")
        content_type = obj.get("content_type") or mimetypes.guess_type(path.name)[0]
        storage.put(prefix + obj["key"], data, content_type or FALLBACK_TYPE)
        written += 1
    return written


def drop_objects(runtime: Runtime, tenant_id) -> None:
    """Undo ``restore_objects`` for a copy whose restore failed (best effort)."""
    try:
        storage_of(runtime).delete_prefix(prefix_of(tenant_id))
    except Exception:  # noqa: BLE001 - the restore's own error is the one to report
        log.warning("restore: could not remove the copied objects of %s", tenant_id)
