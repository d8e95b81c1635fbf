"""Rate limits on the tenant app's public operations, per client IP and per tenant (SPEC §8).

Applied to every operation marked ``@public`` without per-route decorators: two application-wide
limits that exempt every other operation. Keys use the tenant id, never the slug. Storage is Redis;
when Redis is down flask-limiter falls back to memory and requests keep being served.
"""

from __future__ import annotations

from flask import Flask, g
from flask_limiter import ApplicationLimit, Limiter

from shared.auth.guards import is_public_operation
from shared.limits import client_ip, init_limiter, make_limiter, setting


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
