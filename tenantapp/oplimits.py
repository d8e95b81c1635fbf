"""Per-tenant operation limits (e.g. 5 replays a minute) with the ``limits`` library on Redis.

Fails open when Redis is unreachable, like the request limiter: availability over throttling.
A module of the app, not of a feature: the outbox and messaging both limit their operations, and
neither may import the other's package (no cycles between features).
"""

from __future__ import annotations

import logging
import math
import time
from functools import lru_cache

from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from shared.runtime import current_runtime
from tenantapp.limits import RateLimited

log = logging.getLogger("cleanplane.limits")


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
