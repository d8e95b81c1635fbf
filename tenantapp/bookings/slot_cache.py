"""The public slot finder's answers, cached per process: a repeated ``GET /slots`` costs no SQL.

An answer depends on four things; the cache key or the answer's deadline covers each:

- the **calendar** (teams, hours, blackouts, zone): the tenant's directory version, which every
  calendar or settings write bumps after committing;
- the **PENDING/CONFIRMED bookings** near the day: the tenant's *availability version*, a Redis
  counter bumped after every transaction that wrote a booking commits (``booking_written``, a
  mapper event declared with the model, so services, jobs and the CLI alike move it);
- the **question**: day, minutes and preferred window;
- the **clock**: a start closer than the lead time drops out, so an answer is kept only until its
  first offered start would (``stable_until``), and never longer than ``ANSWER_SECONDS`` (should a
  bump be lost while Redis was down).

Both versions arrive with the request's one Redis round trip (``tenantapp.limits``), so a hit is
the serialised body straight from memory. A request that could not read the availability version
(Redis down) neither reads nor fills the cache. Bulk ``UPDATE``/``DELETE`` statements on bookings
bypass mapper events: write bookings through the ORM (every writer does today).
"""

from __future__ import annotations

import logging
import time
import weakref
from collections.abc import Callable
from datetime import UTC, datetime

import redis
from sqlalchemy.orm import object_session

from shared.aftercommit import on_commit
from shared.runtime import current_runtime
from shared.tenancy import current_tenant, current_tenant_or_none
from shared.tenant_names import availability_key

log = logging.getLogger("cleanplane.slots")
ANSWER_SECONDS = 60.0
MAX_ANSWERS = 10000
_BUMPING = "cleanplane.availability_bumps"  # session.info: transactions with a bump registered

# key → (monotonic deadline, wall-clock deadline, body)
_answers: dict[tuple, tuple[float, datetime, bytes]] = {}


def booking_written(_mapper, _connection, booking) -> None:
    """After a booking row is inserted, updated or deleted: bump the tenant's availability
    version once the transaction commits (once per transaction; nothing on rollback)."""
    sess = object_session(booking)
    tenant = current_tenant_or_none()
    if sess is None or tenant is None:
        return  # a tenant's rows are only written inside tenant_context
    current = sess.get_nested_transaction() or sess.get_transaction()
    bumping = sess.info.setdefault(_BUMPING, weakref.WeakSet())
    if current is None or current in bumping:
        return
    bumping.add(current)
    client = current_runtime().redis

    def bump() -> None:
        try:
            client.incr(availability_key(tenant.id))
        except redis.RedisError:
            # Committed already: never an error. While Redis is down no request uses the cache,
            # and what was cached before goes within ANSWER_SECONDS.
            log.warning("availability bump failed", extra={"tenant_id": str(tenant.id)})

    on_commit(bump, sess)


def key(availability: int | None, *question) -> tuple | None:
    """The cache key of ``question`` for the current tenant, or None when the request could not
    read the availability version (the cache is bypassed)."""
    if availability is None:
        return None
    tenant = current_tenant()
    return (tenant.id, tenant.version, availability, *question)


def answer(key: tuple | None, compute: Callable[[], tuple[bytes, datetime]]) -> bytes:
    """The body cached under ``key`` while it holds, else ``compute()``'s (then remembered).

    ``compute`` returns the body and the wall-clock time until which it stays right; ``key`` None
    bypasses the cache.
    """
    now = time.monotonic()
    if key is not None:
        hit = _answers.get(key)
        if hit is not None and hit[0] > now and datetime.now(UTC) <= hit[1]:
            return hit[2]
    body, stable_until = compute()
    if key is not None:
        if len(_answers) >= MAX_ANSWERS:
            _answers.clear()
        _answers[key] = (now + ANSWER_SECONDS, stable_until, body)
    return body
