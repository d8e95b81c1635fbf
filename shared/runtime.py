"""The process's live resources: settings, database engines, Redis and the tenant directory.

Created once per process (by ``create_app`` or a worker) and made current for a request or job
through a context variable, so nothing connects at import time.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property

import redis
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from shared import db
from shared.db import install_tenant_recycling, make_engine, tenant_bind
from shared.directory import TenantDirectory
from shared.settings import Settings
from shared.shards import DEFAULT_SHARD, Shard, UnknownShard


class Runtime:
    def __init__(self, settings: Settings):
        self.settings = settings
        self._shard_engines: dict[str, Engine] = {}
        self._shard_owner_engines: dict[str, Engine] = {}

    @classmethod
    def from_env(cls) -> Runtime:
        return cls(Settings.from_env())

    @cached_property
    def engine(self) -> Engine:
        s = self.settings
        engine = make_engine(s.database_url, pool_size=s.pool_size, recycle=s.pool_recycle_seconds)
        install_tenant_recycling(engine, s.pool_max_tenants_per_conn)
        return engine

    @cached_property
    def owner_engine(self) -> Engine:
        s = self.settings
        return make_engine(s.owner_url, pool_size=2, recycle=s.pool_recycle_seconds)

    @cached_property
    def redis(self) -> redis.Redis:
        return redis.Redis.from_url(
            self.settings.redis_url, socket_timeout=5, socket_connect_timeout=2
        )

    @cached_property
    def tenants(self) -> TenantDirectory:
        return TenantDirectory(self)

    @cached_property
    def shards(self) -> dict[str, Shard]:
        return self.settings.shard_map

    def shard(self, name: str) -> Shard:
        try:
            return self.shards[name]
        except KeyError:
            raise UnknownShard(name) from None

    def shard_engine(self, name: str = DEFAULT_SHARD) -> Engine:
        """The app-role engine of shard ``name`` (the default shard's is ``self.engine``)."""
        if name == DEFAULT_SHARD:
            return self.engine
        engine = self._shard_engines.get(name)
        if engine is None:
            s = self.settings
            engine = make_engine(
                self.shard(name).url, pool_size=s.pool_size, recycle=s.pool_recycle_seconds
            )
            install_tenant_recycling(engine, s.pool_max_tenants_per_conn)
            engine = self._shard_engines.setdefault(name, engine)
        return engine

    def shard_owner_engine(self, name: str = DEFAULT_SHARD) -> Engine:
        """The owner-role engine of shard ``name`` (DDL: provisioning, moves)."""
        if name == DEFAULT_SHARD:
            return self.owner_engine
        engine = self._shard_owner_engines.get(name)
        if engine is None:
            engine = make_engine(
                self.shard(name).owner_url, pool_size=2, recycle=self.settings.pool_recycle_seconds
            )
            engine = self._shard_owner_engines.setdefault(name, engine)
        return engine

    def tenant_engine(self, schema: str, shard: str = DEFAULT_SHARD) -> Engine:
        """An engine on ``shard``'s pool whose statements run in tenant ``schema``."""
        return tenant_bind(self.shard_engine(shard), schema)

    def open_session(self) -> Session:
        """A control-plane session (``db.session()`` outside a tenant context opens this)."""
        return Session(bind=self.engine, expire_on_commit=False)

    def dispose(self) -> None:
        """Drop pooled connections (after fork, or at shutdown)."""
        for name in ("engine", "owner_engine"):
            if name in self.__dict__:
                self.__dict__[name].dispose(close=False)
        for engine in (*self._shard_engines.values(), *self._shard_owner_engines.values()):
            engine.dispose(close=False)


_current: contextvars.ContextVar[Runtime | None] = contextvars.ContextVar(
    "cleanplane_runtime", default=None
)


def current_runtime() -> Runtime:
    rt = _current.get()
    if rt is None:
        raise RuntimeError("no Cleanplane runtime is active in this context")
    return rt


def set_runtime(rt: Runtime) -> tuple[contextvars.Token, contextvars.Token]:
    """Make ``rt`` current; ``db.session()`` then opens control-plane sessions on its engine."""
    return _current.set(rt), db.set_opener(rt.open_session)


def reset_runtime(token: tuple[contextvars.Token, contextvars.Token]) -> None:
    runtime_token, opener_token = token
    db.reset_opener(opener_token)
    _current.reset(runtime_token)


@contextmanager
def use_runtime(rt: Runtime) -> Iterator[Runtime]:
    token = set_runtime(rt)
    try:
        yield rt
    finally:
        reset_runtime(token)
