"""Object storage: one interface (``Storage``), four backends chosen by ``STORAGE_BACKEND``.

``current_storage()`` gives the backend of the current runtime, built once per runtime. Tests and
benches may install another with ``set_storage(runtime, backend)``.
"""

from __future__ import annotations

import weakref

from shared.runtime import Runtime, current_runtime
from shared.settings import Settings
from shared.storage.base import (
    MAX_URL_SECONDS,
    InvalidKey,
    ObjectNotFound,
    Storage,
    StorageError,
    check_key,
    check_prefix,
    iter_chunks,
)

__all__ = [
    "MAX_URL_SECONDS",
    "InvalidKey",
    "ObjectNotFound",
    "Storage",
    "StorageError",
    "build_storage",
    "check_key",
    "check_prefix",
    "current_storage",
    "iter_chunks",
    "set_storage",
]

_by_runtime: weakref.WeakKeyDictionary[Runtime, Storage] = weakref.WeakKeyDictionary()


def build_storage(settings: Settings) -> Storage:
    """The backend ``settings.storage_backend`` names, configured from the settings."""
    backend = settings.storage_backend
    # Backends are imported on choice, not to break a cycle: each pulls its own client library
    # (boto3 for S3/R2, an HTTP client for Cloudflare) that a process using another never loads.
    if backend == "local":
        from shared.storage.local import LocalStorage

        return LocalStorage(settings.storage_dir)
    if backend in {"s3", "r2"}:
        from shared.storage.s3 import S3Storage

        prefix = "s3" if backend == "s3" else "r2"
        return S3Storage(
            name=backend,
            bucket=getattr(settings, f"{prefix}_bucket"),
            endpoint_url=getattr(settings, f"{prefix}_endpoint_url"),
            region=settings.s3_region if backend == "s3" else "auto",
            access_key_id=getattr(settings, f"{prefix}_access_key_id"),
            secret_access_key=getattr(settings, f"{prefix}_secret_access_key"),
        )
    if backend == "cloudflare_images":
        from shared.storage.cloudflare import CloudflareImagesStorage

        return CloudflareImagesStorage(
            account_id=settings.cf_images_account_id,
            api_token=settings.cf_images_api_token,
            api_base=settings.cf_images_api_base,
            delivery_url=settings.cf_images_delivery_url,
            signing_key=settings.cf_images_signing_key,
        )
    raise ValueError(f"unknown storage backend {backend!r}")


def current_storage() -> Storage:
    rt = current_runtime()
    storage = _by_runtime.get(rt)
    if storage is None:
        storage = _by_runtime.setdefault(rt, build_storage(rt.settings))
    return storage


def set_storage(runtime: Runtime, storage: Storage | None) -> None:
    """Install ``storage`` for ``runtime`` (None: rebuild from settings on next use)."""
    if storage is None:
        _by_runtime.pop(runtime, None)
    else:
        _by_runtime[runtime] = storage
