"""The bottom layer: engines, pool hygiene, the two MetaData objects and the context's session.

Control-plane tables live on ``CPBase`` (schema ``public``, always qualified). Tenant tables live on
``TenantBase`` at ``schema=None`` and reach a tenant's schema only through ``schema_translate_map``
installed by ``tenant_context`` — outside it they resolve against the app role's empty ``cp_guard``
search path and fail loudly.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache

from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class CPBase(DeclarativeBase):
    """Control-plane tables (schema ``public``)."""

    metadata = MetaData(schema="public", naming_convention=NAMING)


class TenantBase(DeclarativeBase):
    """Tenant tables: unqualified, translated to the tenant's schema at execution time."""

    metadata = MetaData(naming_convention=NAMING)


def sqlalchemy_url(url: str) -> str:
    """Normalise ``postgres://``/``postgresql://`` URLs to the psycopg 3 driver."""
    parsed = make_url(url)
    if parsed.drivername in {"postgres", "postgresql"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str, *, pool_size: int = 5, recycle: int = 1800, **kw) -> Engine:
    """An engine with prepared statements off (PgBouncer- and many-schema-safe)."""
    engine = create_engine(
        sqlalchemy_url(url),
        connect_args={"prepare_threshold": None},
        pool_size=pool_size,
        max_overflow=pool_size * 2,
        pool_pre_ping=True,
        pool_recycle=recycle,
        hide_parameters=True,  # SQL parameters (tokens, e-mails) never reach exception logs
        **kw,
    )
    return engine


def install_tenant_recycling(engine: Engine, max_tenants: int) -> None:
    """Invalidate a pooled connection once it has served ``max_tenants`` distinct tenants.

    A backend keeps the catalog cache of every schema it touched; recycling bounds its memory.
    Tenants are noted in ``connection.info`` (the pool record's dict, which lives as long as the
    DBAPI connection) by ``note_tenant`` when a tenant session begins a transaction. Raising
    ``DisconnectionError`` from a checkout listener makes the pool discard this DBAPI connection
    and check out a fresh one in its place (SQLAlchemy's pessimistic-disconnect hook), so the
    caller never sees the error. ``tests/scale/test_recycling.py`` checks it by backend pid.
    """

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_conn, record, proxy):  # noqa: ARG001
        seen = record.info.get("tenants")
        if seen is not None and len(seen) >= max_tenants:
            record.info["tenants"] = set()
            record.invalidate()
            raise DisconnectionError("connection served its tenant budget")


@lru_cache(maxsize=8192)
def _translated(engine: Engine, schema: str) -> Engine:
    return engine.execution_options(schema_translate_map={None: schema})


def tenant_bind(engine: Engine, schema: str) -> Engine:
    """An option-engine on the same pool whose statements run in ``schema``."""
    return _translated(engine, schema)


# The unit of work of the current context. Which engine a new session binds to is not db's
# business: the layer that sets up the context (``shared.runtime`` for the control plane,
# ``shared.tenancy.tenant_context`` for a tenant) installs an opener, so db never imports upward.
SessionOpener = Callable[[], Session]

_session: contextvars.ContextVar[Session | None] = contextvars.ContextVar(
    "cleanplane_session", default=None
)
_opener: contextvars.ContextVar[SessionOpener | None] = contextvars.ContextVar(
    "cleanplane_session_opener", default=None
)


def session() -> Session:
    """The session of the current context (request, job, CLI command or tenant_context)."""
    current = _session.get()
    if current is None:
        opener = _opener.get()
        if opener is None:
            raise RuntimeError("no Cleanplane runtime is active in this context")
        current = opener()
        _session.set(current)
    return current


def set_opener(opener: SessionOpener | None) -> contextvars.Token:
    """Make ``opener`` open this context's session from now on (reset with ``reset_opener``)."""
    return _opener.set(opener)


def reset_opener(token: contextvars.Token) -> None:
    _opener.reset(token)


def note_tenant(sess: Session, schema: str) -> None:
    """Count ``schema`` on each pooled connection ``sess`` uses (see ``install_tenant_recycling``)."""

    @event.listens_for(sess, "after_begin")
    def _after_begin(_session, _transaction, connection):
        seen = connection.info.setdefault("tenants", set())
        seen.add(schema)


@contextmanager
def transaction() -> Iterator[Session]:
    """Run a unit of work in the current session; commit on success, roll back on error."""
    sess = session()
    try:
        yield sess
        sess.commit()
    except BaseException:
        sess.rollback()
        raise


@contextmanager
def isolated_session_scope(opener: SessionOpener | None = None) -> Iterator[None]:
    """Give the enclosed block its own session, closed on exit, restoring the previous one.

    With ``opener`` the block's session is opened by it; without, by the current opener.
    """
    token = _session.set(None)
    opener_token = _opener.set(opener) if opener is not None else None
    try:
        yield
    finally:
        inner = _session.get()
        if inner is not None:
            _close_quietly(inner)
        if opener_token is not None:
            _opener.reset(opener_token)
        _session.reset(token)


def _close_quietly(sess: Session) -> None:
    """Close ``sess``; if the database went away mid-request, the ROLLBACK that closing sends
    fails too: drop the connection instead of raising from a request's teardown (SPEC §8, the
    request already answered 503 or will)."""
    try:
        sess.close()
    except DBAPIError:
        sess.invalidate()


def close_session() -> None:
    """Close the current context's session (end of a request, job or CLI command)."""
    current = _session.get()
    if current is not None:
        _session.set(None)
        _close_quietly(current)
