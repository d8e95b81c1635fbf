"""The per-process tenant directory: tenant rows cached by ``(tenant_id, version)``."""

from __future__ import annotations

import logging
import time
import uuid
from collections import OrderedDict
from typing import Any, Protocol

import redis
from sqlalchemy import select
from sqlalchemy.engine import Engine

from shared.models.tenants import Tenant
from shared.tenant_names import SERVED_STATUSES, TenantRef, version_key

log = logging.getLogger("cleanplane.tenancy")
OUTAGE_TTL = 1.0


class Resources(Protocol):
    """What the directory reads from: the runtime's control-plane engine and Redis."""

    engine: Engine
    redis: redis.Redis


class Piggyback(Protocol):
    """A request's other Redis commands, sent in one round trip with its tenant-version read."""

    def fetch(self, client: Any, key: str, tenant_id: uuid.UUID, cached: TenantRef | None) -> Any:
        """Read ``key`` (the tenant version) and run the rest in the same round trip."""

    def failed(self) -> None:
        """Redis could not be reached."""


class TenantDirectory:
    """Per-process cache of tenant rows keyed by ``(tenant_id, version)``.

    The version lives in Redis and is bumped on every lifecycle, plan or role change, so one Redis
    GET per request tells whether the cached row is current; the database is read only on change.
    """

    def __init__(self, runtime: Resources, max_entries: int = 20000):
        self.runtime = runtime
        self.max_entries = max_entries
        self._rows: OrderedDict[uuid.UUID, TenantRef] = OrderedDict()
        self._slugs: dict[str, uuid.UUID] = {}
        self._outage_loaded: dict[uuid.UUID, float] = {}
        self._redis_down = False

    def _version(self, tenant_id: uuid.UUID, piggyback: Piggyback | None = None) -> int | None:
        """The tenant's version from Redis, or None when Redis cannot be reached.

        ``piggyback`` reads it in the same round trip as its own commands (a request's rate-limit
        counters, write freeze and usage meter).
        """
        try:
            if piggyback is None:
                raw = self.runtime.redis.get(version_key(tenant_id))
            else:
                cached = self._rows.get(tenant_id)
                raw = piggyback.fetch(self.runtime.redis, version_key(tenant_id), tenant_id, cached)
        except redis.RedisError:
            if piggyback is not None:
                piggyback.failed()
            if not self._redis_down:
                log.warning(
                    "tenant directory: Redis unavailable, rows re-read every %ss", OUTAGE_TTL
                )
            self._redis_down = True
            return None
        if self._redis_down:
            log.warning("tenant directory: Redis is back")
            self._redis_down = False
        return int(raw) if raw else 0

    def _remember(self, ref: TenantRef) -> TenantRef:
        self._rows[ref.id] = ref
        self._rows.move_to_end(ref.id)
        self._slugs[ref.slug] = ref.id
        while len(self._rows) > self.max_entries:
            _, old = self._rows.popitem(last=False)
            self._slugs.pop(old.slug, None)
        return ref

    def _load(self, **where: Any) -> TenantRef | None:
        stmt = select(Tenant).filter_by(**where)
        with self.runtime.engine.connect() as conn:
            row = conn.execute(stmt).first()
        if row is None:
            return None
        return TenantRef.from_row(row)

    def by_slug(self, slug: str, piggyback: Piggyback | None = None) -> TenantRef | None:
        tenant_id = self._slugs.get(slug)
        if tenant_id is not None:
            ref = self.by_id(tenant_id, piggyback)
            if ref is not None and ref.slug == slug:
                return ref
        loaded = self._load(slug=slug)
        if loaded is None:
            return None
        return self.by_id(loaded.id, piggyback)

    def by_id(
        self, tenant_id: uuid.UUID | str, piggyback: Piggyback | None = None
    ) -> TenantRef | None:
        if not isinstance(tenant_id, uuid.UUID):
            try:
                tenant_id = uuid.UUID(str(tenant_id))
            except ValueError:
                return None
        version = self._version(tenant_id, piggyback)
        cached = self._rows.get(tenant_id)
        if version is None:
            # Redis is down: keep serving, trusting a row for at most OUTAGE_TTL seconds so a
            # change still takes effect within about a second.
            fresh = time.monotonic() - self._outage_loaded.get(tenant_id, -OUTAGE_TTL) < OUTAGE_TTL
            if cached is not None and fresh:
                return cached
        elif cached is not None and cached.version == version:
            return cached
        loaded = self._load(id=tenant_id)
        if loaded is None:
            return None
        if version is None:
            self._outage_loaded[tenant_id] = time.monotonic()
            version = -1  # never equal to a real version once Redis is back
        return self._remember(TenantRef(**{**loaded.__dict__, "version": version}))

    def preload(self, statuses=SERVED_STATUSES, batch: int = 500) -> int:
        """Cache every tenant in ``statuses`` (versions read before rows, so a change made in
        between leaves a row that the next lookup sees as stale and re-reads).

        A forking job worker calls this before it starts: its work horses inherit the cache and
        skip a Postgres connection per tenant job.
        """
        loaded, after = 0, None
        with self.runtime.engine.connect() as conn:
            while loaded < self.max_entries:
                stmt = select(Tenant.id).where(Tenant.status.in_(tuple(statuses)))
                if after is not None:
                    stmt = stmt.where(Tenant.id > after)
                ids = list(conn.scalars(stmt.order_by(Tenant.id).limit(batch)))
                if not ids:
                    break
                try:
                    raw = self.runtime.redis.mget([version_key(i) for i in ids])
                except redis.RedisError:
                    return loaded  # without versions the cache cannot be trusted
                versions = {i: int(v) if v else 0 for i, v in zip(ids, raw, strict=True)}
                for row in conn.execute(select(Tenant).where(Tenant.id.in_(ids))):
                    self._remember(TenantRef.from_row(row, versions[row.id]))
                loaded += len(ids)
                after = ids[-1]
        return loaded

    def bump(self, tenant_id: uuid.UUID | str) -> None:
        """Invalidate every process's cached row (call after the change is committed).

        The change is already committed when this runs, so a Redis outage must not turn it
        into an error: while Redis is down every process re-reads rows from Postgres at most
        once a second anyway, so the change still spreads.
        """
        try:
            self.runtime.redis.incr(version_key(tenant_id))
        except redis.RedisError:
            log.warning(
                "tenant version bump failed; Redis unavailable", extra={"tenant_id": str(tenant_id)}
            )
