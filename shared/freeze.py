"""A per-tenant write freeze in Redis, set while a tenant's schema moves between shards.

During a freeze the tenant app answers non-safe requests (anything but GET/HEAD/OPTIONS) with 503
``tenant_moving`` and ``Retry-After``; reads keep working. The key has a TTL so a crashed move cannot
freeze a tenant for ever; a resumed move sets it again before it verifies and flips.
"""

from __future__ import annotations

import uuid

import redis

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
RETRY_AFTER_SECONDS = 5


def freeze_key(tenant_id: uuid.UUID | str) -> str:
    return f"cp:tenant:{tenant_id}:write_freeze"


def freeze(client: redis.Redis, tenant_id: uuid.UUID | str, ttl_seconds: int) -> None:
    client.set(freeze_key(tenant_id), "1", ex=ttl_seconds)


def unfreeze(client: redis.Redis, tenant_id: uuid.UUID | str) -> None:
    client.delete(freeze_key(tenant_id))


def is_frozen(client: redis.Redis, tenant_id: uuid.UUID | str) -> bool:
    return bool(client.exists(freeze_key(tenant_id)))
