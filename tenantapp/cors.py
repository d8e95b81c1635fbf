"""A tenant's booking-site origins, allowed on that tenant's public operations only (SPEC §8).

The origins live in the tenant's settings row (``booking_origins``). They are cached per process by
``(tenant_id, tenant version)``: the settings service bumps the tenant's version after a change, so
the common case costs no SQL and a change applies on the next request everywhere.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from flask import Flask, g, request
from sqlalchemy import select

from shared import cors
from shared.auth.guards import is_public_operation
from shared.runtime import Runtime
from shared.tenancy import TenantRef
from tenantapp.settings.models import TenantSettings

PUBLIC_ALLOW_HEADERS = "Content-Type, Idempotency-Key, X-Request-ID"


class BookingOrigins:
    """Per-process cache of each tenant's booking-site origins keyed by (tenant id, version)."""

    def __init__(self, runtime: Runtime, max_entries: int = 20000):
        self.runtime = runtime
        self.max_entries = max_entries
        self._cache: OrderedDict[tuple, frozenset[str]] = OrderedDict()
        self._lock = threading.Lock()

    def for_tenant(self, tenant: TenantRef) -> frozenset[str]:
        key = (tenant.id, tenant.version)
        with self._lock:
            hit = self._cache.get(key)
        if hit is not None:
            return hit
        origins = frozenset(cors.normalise_origin(o) for o in self._load(tenant) if o)
        if tenant.version < 0:
            return origins  # read while Redis was down: no version to cache it under
        with self._lock:
            self._cache[key] = origins
            while len(self._cache) > self.max_entries:
                self._cache.popitem(last=False)
        return origins

    def _load(self, tenant: TenantRef) -> list[str]:
        # Its own connection: the request's session may be mid-transaction or failed.
        engine = self.runtime.tenant_engine(tenant.schema_name, tenant.shard)
        with engine.connect() as conn:
            value = conn.execute(
                select(TenantSettings.booking_origins).where(TenantSettings.id == 1)
            ).scalar()
        return [o for o in (value or []) if isinstance(o, str)]


def init_app(app: Flask, runtime: Runtime) -> None:
    """Platform CORS on every endpoint plus booking-site origins on public operations."""
    booking = BookingOrigins(runtime)
    app.extensions["booking_origins"] = booking

    # Registered before flask-cors's hook, so it runs after it (Flask runs after_request
    # functions in reverse): a platform origin flask-cors allowed is left alone.
    @app.after_request
    def allow_booking_site(resp):
        origin = request._get_current_object().headers.get("Origin")
        if not origin:  # not a cross-origin request: nothing to allow (most requests)
            return resp
        tenant = g.get("tenant")
        if tenant is None or "Access-Control-Allow-Origin" in resp.headers:
            return resp
        preflight = request.method == "OPTIONS" and "Access-Control-Request-Method" in (
            request.headers
        )
        method = request.headers["Access-Control-Request-Method"] if preflight else request.method
        if not is_public_operation(method):
            return resp
        if cors.normalise_origin(origin) not in booking.for_tenant(tenant):
            return resp
        resp.headers["Access-Control-Allow-Origin"] = origin
        resp.vary.add("Origin")
        if preflight:
            resp.headers["Access-Control-Allow-Methods"] = method.upper()
            resp.headers["Access-Control-Allow-Headers"] = PUBLIC_ALLOW_HEADERS
            resp.headers["Access-Control-Max-Age"] = str(cors.MAX_AGE)
        else:
            resp.headers["Access-Control-Expose-Headers"] = ", ".join(cors.EXPOSE_HEADERS)
        return resp

    cors.init_app(app, runtime.settings)
