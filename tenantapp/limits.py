"""The tenant app's one Redis round trip per request: public rate limits, write freeze, usage meter.

Public operations (``@public``) are limited per client IP within a tenant and per tenant (SPEC §8),
keyed by tenant id, never the slug. Their fixed-window counters, the tenant's write-freeze flag, the
``api_requests`` meter and the tenant's availability version (the key of the public slot cache,
``tenantapp.bookings.slot_cache``) ride on the same script as the tenant-version read that resolves
the tenant (``TenantDirectory.by_slug(..., piggyback=RequestTrip)``): one round trip per request
instead of five (version, freeze, two flask-limiter counters, meter), SPEC §10.

The counters use the ``limits`` library's limit strings (``10/second;100/minute``) and, when Redis
cannot be reached, its in-memory fixed windows: requests keep being served and still limited per
process, like flask-limiter's memory fallback.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
import weakref
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache

import redis
from flask import Flask, current_app, request
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter
from redis.exceptions import NoScriptError

from shared.auth.guards import is_public_operation
from shared.errors import AppError
from shared.freeze import SAFE_METHODS, freeze_key
from shared.limits import client_ip
from shared.runtime import current_runtime
from shared.tenancy import SERVED_STATUSES, TenantRef, availability_key
from shared.usage import BUCKET_PREFIX, BUCKET_TTL_SECONDS, PENDING_KEY, minute_bucket

log = logging.getLogger("cleanplane.limits")
KEY_PREFIX = "tenant-limits"


class RateLimited(AppError):
    status, code, title = 429, "rate_limited", "Too many requests"


@lru_cache(maxsize=64)
def _items(limit: str) -> tuple[RateLimitItem, ...]:
    return tuple(parse_many(limit))


def _counter_key(scope: str, identity: str, item: RateLimitItem) -> str:
    # The limit is part of the key, so a changed setting starts fresh counters.
    return f"{KEY_PREFIX}/{scope}/{identity}/{item.amount}/{item.multiples}/{item.GRANULARITY.name}"


# One script, so the whole trip is one command: packing and parsing a dozen pipelined commands cost
# more client CPU than the request's own work. Atomic, so a counter never outlives its window.
# KEYS: tenant version, write freeze, availability version, usage bucket, usage pending set, then
# the counters. ARGV: check freeze (0/1), meter (0/1), tenant id, usage bucket name, usage TTL,
# then the counters' windows.
TRIP_SCRIPT = """
local out = {redis.call('GET', KEYS[1]) or false, 0, redis.call('GET', KEYS[3]) or false}
if ARGV[1] == '1' then out[2] = redis.call('EXISTS', KEYS[2]) end
if ARGV[2] == '1' then
  redis.call('HINCRBY', KEYS[4], ARGV[3], 1)
  redis.call('EXPIRE', KEYS[4], ARGV[5])
  redis.call('SADD', KEYS[5], ARGV[4])
end
for j = 6, #KEYS do
  local n = redis.call('INCR', KEYS[j])
  local ttl = redis.call('TTL', KEYS[j])
  if ttl < 0 then
    ttl = tonumber(ARGV[j])
    redis.call('EXPIRE', KEYS[j], ttl)
  end
  out[#out + 1] = n
  out[#out + 1] = ttl
end
return out
"""


@dataclass
class RequestTrip:
    """What one request sends along with its tenant-version read, and what came back.

    For a tenant that is (as far as this process knows) served, it adds the write-freeze check on
    non-safe methods, the public budgets on public operations and the usage count. The 404s of a
    tenant this process knows is not served (deleting, deleted) spend no budget and are not metered.
    """

    public: bool
    write: bool
    metered: bool
    ip: str
    settings: object
    memory: FixedWindowRateLimiter
    counters: list[tuple[RateLimitItem, str, str]] = field(default_factory=list)
    frozen: bool = False
    counted: bool = False
    retry_after: int | None = None
    # The tenant's availability version (``tenantapp.bookings.slot_cache``); None until read.
    availability: int | None = None

    def budgets(self, tenant_id: uuid.UUID) -> list[tuple[RateLimitItem, str, str]]:
        tid = str(tenant_id)
        return [
            *(
                (i, "public-ip", f"{tid}:{self.ip}")
                for i in _items(self.settings.rate_limit_public)
            ),
            *((i, "public-tenant", tid) for i in _items(self.settings.rate_limit_public_tenant)),
        ]

    def fetch(self, client, key: str, tenant_id: uuid.UUID, cached: TenantRef | None):
        """Read the tenant version ``key`` and do the rest of the trip: one round trip."""
        served = cached is None or cached.status in SERVED_STATUSES
        self.counters = self.budgets(tenant_id) if self.public and served else []
        meter = self.metered and served
        bucket = minute_bucket(datetime.now(UTC))
        keys = [
            key,
            freeze_key(tenant_id),
            availability_key(tenant_id),
            BUCKET_PREFIX + bucket,
            PENDING_KEY,
            *(_counter_key(scope, identity, item) for item, scope, identity in self.counters),
        ]
        args = [
            int(self.write),
            int(meter),
            str(tenant_id),
            bucket,
            BUCKET_TTL_SECONDS,
            *(item.get_expiry() for item, _, _ in self.counters),
        ]
        version, frozen, availability, *counts = run_trip(client, keys, args)
        self.frozen, self.counted = bool(frozen), meter
        self.availability = int(availability or 0)
        over = [
            ttl
            for (item, _, _), n, ttl in zip(self.counters, counts[::2], counts[1::2], strict=True)
            if n > item.amount
        ]
        self.retry_after = max(over) if over else None
        return version

    def failed(self) -> None:
        """Redis is down: serve (no freeze, nothing metered, no cached slots) and limit in this
        app's memory."""
        self.frozen = self.counted = False
        self.availability = None
        over = None
        for item, scope, identity in self.counters:
            if not self.memory.hit(item, KEY_PREFIX, scope, identity):
                stats = self.memory.get_window_stats(item, KEY_PREFIX, scope, identity)
                over = max(over or 0, int(stats.reset_time - time.time()) + 1)
        self.retry_after = over

    def enforce(self) -> None:
        """429 ``rate_limited`` with Retry-After (the longest breached window's rest)."""
        if self.retry_after is not None:
            raise RateLimited(
                "Rate limit exceeded; retry later.",
                headers={"Retry-After": str(max(1, self.retry_after))},
            )


_scripts: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _script(client):
    """The trip script registered on ``client`` (its SHA is computed locally, nothing is sent)."""
    script = _scripts.get(client)
    if script is None:
        script = _scripts[client] = client.register_script(TRIP_SCRIPT)
    return script


class _Pinned(threading.local):
    """Each thread's own trip connection per pool (weakly keyed: a disposed runtime's pool takes
    its connections with it), with the process id it was opened in."""

    def __init__(self):
        self.conns: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


_pinned = _Pinned()


def _connection(pool):
    """This thread's connection to ``pool``'s server, opened on first use (and again after a
    fork: a child never writes on its parent's socket).

    Kept out of the pool: checking a connection out and back in costs a lock, a readiness probe
    (a non-blocking read, one more system call) and observability events per request, on the
    tenant app's hottest path. One connection per serving thread is what the pool held anyway.
    """
    pid = os.getpid()
    held = _pinned.conns.get(pool)
    if held is not None and held[0] == pid:
        return held[1]
    conn = pool.connection_class(**pool.connection_kwargs)
    _pinned.conns[pool] = (pid, conn)
    return conn


def _drop(pool, conn) -> None:
    """Forget and close ``conn``: whatever failed may have left a reply unread on it."""
    _pinned.conns.pop(pool, None)
    conn.disconnect()


def run_trip(client, keys: list, args: list) -> list:
    """EVALSHA the trip script on this thread's connection to ``client``'s server.

    Straight on a connection rather than through ``Redis.execute_command``, whose per-command
    machinery (retry wrapper, observability hooks, HIMPORT dispatch) cost a third of the trip's
    client CPU on the hottest path of the tenant app; and on a connection this thread keeps
    (``_connection``) rather than one checked out of the pool per request. The same guarantees,
    kept here: a connection that broke mid-command is dropped and the call made once more on a
    fresh one (Redis restarted), and NOSCRIPT (restarted or flushed) loads the script and runs it
    again. Anything else drops the connection and is raised; the caller serves on without Redis.
    """
    script, pool = _script(client), client.connection_pool
    reconnected = reloaded = False
    while True:
        conn = _connection(pool)
        try:
            conn.send_command("EVALSHA", script.sha, len(keys), *keys, *args)
            return conn.read_response()
        except NoScriptError:  # a whole reply was read: the connection is in step
            if reloaded:
                raise
            reloaded = True
            client.script_load(TRIP_SCRIPT)
        except (redis.ConnectionError, redis.TimeoutError):
            _drop(pool, conn)
            if reconnected:
                raise
            reconnected = True
        except BaseException:
            _drop(pool, conn)
            raise


def _is_public(req) -> bool:
    """``is_public_operation()``, remembered per endpoint and method (a view's mark is fixed)."""
    rule = req.url_rule
    if rule is None:
        return False
    known = current_app.extensions["tenant_public_operations"]
    key = (rule.endpoint, req.method)
    public = known.get(key)
    if public is None:
        public = known[key] = is_public_operation()
    return public


def request_trip(req=None) -> RequestTrip:
    """The current request's trip; build it after URL matching (it needs the operation)."""
    req = req or request._get_current_object()
    return RequestTrip(
        public=_is_public(req),
        write=req.method not in SAFE_METHODS,
        metered=req.method != "OPTIONS",
        ip=client_ip(req),
        settings=current_runtime().settings,
        memory=current_app.extensions["tenant_limits_memory"],
    )


def init_app(app: Flask) -> None:
    """Give ``app`` its own in-memory fallback (state per app, not per process)."""
    app.extensions["tenant_limits_memory"] = FixedWindowRateLimiter(MemoryStorage())
    app.extensions["tenant_public_operations"] = {}
