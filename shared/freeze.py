"""A per-tenant write freeze in Redis, set while a tenant's schema moves between shards.

During a freeze the tenant app answers non-safe requests (anything but GET/HEAD/OPTIONS) with 503
``tenant_moving`` and ``Retry-After``; reads keep working. The key has a TTL so a crashed move cannot
freeze a tenant for ever; a resumed move sets it again before it verifies and flips.

Redis outages (SPEC §8): the request-side read fails open (a tenant keeps taking writes while
Redis is away), so the move side must not rely on a freeze it cannot see: ``require_frozen``
raises when Redis is unreachable or the key is gone, and a move refuses to start or aborts.
"""

from __future__ import annotations

import logging
import uuid

import redis

log = logging.getLogger("cleanplane.freeze")

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
RETRY_AFTER_SECONDS = 5


def freeze_key(tenant_id: uuid.UUID | str) -> str:
    return f"cp:tenant:{tenant_id}:write_freeze"


def freeze(client: redis.Redis, tenant_id: uuid.UUID | str, ttl_seconds: int) -> None:
    client.set(freeze_key(tenant_id), "1", ex=ttl_seconds)


def unfreeze(client: redis.Redis, tenant_id: uuid.UUID | str) -> None:
    client.delete(freeze_key(tenant_id))


class FreezeUnavailable(RuntimeError):
    """The write freeze cannot be set or confirmed (Redis unreachable, or the key lapsed)."""


def is_frozen(client: redis.Redis, tenant_id: uuid.UUID | str) -> bool:
    """Whether writes are frozen; False when Redis cannot be reached (fail open)."""
    try:
        return bool(client.exists(freeze_key(tenant_id)))
    except redis.RedisError as exc:
        log.warning(
            "write freeze unknown, Redis unavailable: serving writes (%s)",
            type(exc).__name__,
            extra={"tenant_id": str(tenant_id)},
        )
        return False


def require_redis(client: redis.Redis) -> None:
    """Raise ``FreezeUnavailable`` unless Redis answers (a move must be able to freeze)."""
    try:
        client.ping()
    except redis.RedisError as exc:
        raise FreezeUnavailable(f"Redis is unavailable ({type(exc).__name__})") from exc


def require_frozen(client: redis.Redis, tenant_id: uuid.UUID | str) -> None:
    """Raise ``FreezeUnavailable`` unless the freeze is visibly in place right now."""
    try:
        frozen = bool(client.exists(freeze_key(tenant_id)))
    except redis.RedisError as exc:
        raise FreezeUnavailable(f"Redis is unavailable ({type(exc).__name__})") from exc
    if not frozen:
        raise FreezeUnavailable("the write freeze lapsed")
