"""Rate limits on the tenant app's public operations, per client IP and per tenant (SPEC §8), and
per-tenant operation limits (``enforce``: e.g. 5 replays a minute).

Applied to every operation marked ``@public`` without per-route decorators: two application-wide
limits that exempt every other operation. Keys use the tenant id, never the slug. Storage is Redis;
when Redis is down flask-limiter falls back to memory and requests keep being served.
"""

from __future__ import annotations

import logging
import math
import time
from functools import lru_cache

from flask import Flask, g
from flask_limiter import ApplicationLimit, Limiter
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from shared.auth.guards import is_public_operation
from shared.errors import AppError
from shared.limits import client_ip, init_limiter, make_limiter, setting
from shared.runtime import current_runtime


def _not_public() -> bool:
    return not is_public_operation()


def _tenant_id() -> str:
    tenant = g.get("tenant")
    return str(tenant.id) if tenant is not None else "-"


def per_ip_key() -> str:
    """A client IP's budget within one tenant: a busy tenant never throttles another's visitors."""
    return f"{_tenant_id()}:{client_ip()}"


def per_tenant_key() -> str:
    return _tenant_id()


def init_app(app: Flask, redis_url: str) -> Limiter:
    """Give ``app`` its own limiter (storage and fallback state are per app, not per process).

    Install it after the tenant is resolved: the keys need ``g.tenant``.
    """
    limiter = make_limiter(
        key_prefix="tenant-limits",
        application_limits=[
            ApplicationLimit(
                setting("rate_limit_public"),
                key_function=per_ip_key,
                scope="public-ip",
                exempt_when=_not_public,
            ),
            ApplicationLimit(
                setting("rate_limit_public_tenant"),
                key_function=per_tenant_key,
                scope="public-tenant",
                exempt_when=_not_public,
            ),
        ],
    )
    init_limiter(limiter, app, redis_url)
    return limiter


# ------------------------------------------------------------ per-tenant operation limits
# Fail open when Redis is unreachable, like the request limiter: availability over throttling.
log = logging.getLogger("cleanplane.limits")


class RateLimited(AppError):
    status, code, title = 429, "rate_limited", "Too many requests"


@lru_cache(maxsize=4)
def _limiter(redis_url: str) -> FixedWindowRateLimiter:
    storage = storage_from_string(redis_url, socket_connect_timeout=1, socket_timeout=1)
    return FixedWindowRateLimiter(storage)


def enforce(limit: str, *identifiers: str) -> None:
    """Count one hit on ``identifiers``; over ``limit`` → 429 ``rate_limited`` + Retry-After."""
    item = parse(limit)
    limiter = _limiter(current_runtime().settings.redis_url)
    try:
        allowed = limiter.hit(item, "tenant-op", *identifiers)
        if allowed:
            return
        stats = limiter.get_window_stats(item, "tenant-op", *identifiers)
    except Exception:  # Redis down: serve rather than refuse
        log.warning("operation limiter unavailable; allowing %s", identifiers)
        return
    retry_after = max(1, math.ceil(stats.reset_time - time.time()))
    raise RateLimited(
        f"At most {limit.replace('/', ' per ')}; retry later.",
        headers={"Retry-After": str(retry_after)},
    )
