"""Request plumbing both Flask apps install: runtime, request ids, access logs, headers.

The page stack (templates, assets, CSP, messages) is in this package's modules: ``pages``,
``assets``, ``csp``, ``i18n``."""

from __future__ import annotations

import inspect
import logging
import os
import time
from types import MethodType

from flask import Flask, current_app, g, request

from shared import db
from shared.errors import BadRequest, register_error_handlers
from shared.input_limits import check_request_input
from shared.limits import warn_untrusted_forwarding
from shared.runtime import Runtime, reset_runtime, set_runtime
from shared.usage import count_api_request

access_log = logging.getLogger("cleanplane.access")


class App(Flask):
    """Flask, answering ``ensure_sync`` once per function.

    Flask asks it of every hook and view on every request (``inspect.iscoroutinefunction``, some
    fifteen times per request); whether a function is a coroutine never changes. Keyed by the
    underlying function, so per-request bound methods (``MethodView``) add no entries (tested by
    type, not ``getattr(func, "__func__", func)``: a missing attribute raises and formats an
    AttributeError inside ``getattr``, fifteen times per request).

    The request plumbing below reads ``request`` and ``g`` through their real objects
    (``_get_current_object()`` once per hook): every attribute read through a context-local proxy
    first fails a normal lookup, formatting an AttributeError, before the proxy forwards it —
    about a microsecond each, some fifty times per request on the public API's hot path.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._is_async: dict = {}

    def ensure_sync(self, func):
        key = func.__func__ if type(func) is MethodType else func
        is_async = self._is_async.get(key)
        if is_async is None:
            is_async = self._is_async[key] = inspect.iscoroutinefunction(func)
        return self.async_to_sync(func) if is_async else func


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def refuse_nul_characters(req=None) -> None:
    """Postgres text cannot hold NUL: such input is refused up front with a 400 instead of
    failing deep in the database driver with a 500."""
    req = req or request._get_current_object()
    if any(_has_nul(v) for v in req.args.values()) or _has_nul(req.view_args or {}):
        raise BadRequest("Text must not contain NUL characters.", code="nul_character")
    # UTF-8 JSON can only carry a NUL as the escape \u0000 (a raw control character fails to
    # parse); UTF-16/32 bodies hold zero bytes. Without either, no walk: one bytes search.
    body = req.get_data(cache=True) if req.is_json else b""
    if (b"\\u0000" in body or b"\x00" in body) and _has_nul(req.get_json(silent=True)):
        raise BadRequest("Text must not contain NUL characters.", code="nul_character")


def app_runtime() -> Runtime:
    """The runtime ``init_app`` attached to the current Flask app (CLI commands, health)."""
    return current_app.extensions["cleanplane"]


def init_app(app: Flask, runtime: Runtime) -> None:
    app.extensions["cleanplane"] = runtime
    app.config["MAX_CONTENT_LENGTH"] = runtime.settings.photo_max_bytes + 1024 * 1024
    app.json.sort_keys = False

    @app.before_request
    def _begin() -> None:
        req, ctx = request._get_current_object(), g._get_current_object()
        ctx.runtime_token = set_runtime(runtime)
        ctx.started = time.perf_counter()
        incoming = req.headers.get("X-Request-ID", "")
        ctx.request_id = incoming if 0 < len(incoming) <= 64 else os.urandom(16).hex()
        warn_untrusted_forwarding(runtime.settings)
        check_request_input(req)  # before the NUL check: it bounds what the JSON parser may see
        refuse_nul_characters(req)

    @app.after_request
    def _finish(resp):
        req, ctx = request._get_current_object(), g._get_current_object()
        resp.headers["X-Request-ID"] = ctx.get("request_id", "")
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        if not ctx.get("allow_framing"):  # pages framed by CSP frame-ancestors (shared.web.pages)
            resp.headers.setdefault("X-Frame-Options", "DENY")
        if runtime.settings.is_prod:
            resp.headers.setdefault(
                "Strict-Transport-Security", "max-age=63072000; includeSubDomains"
            )
        if resp.mimetype == "text/html":
            resp.headers.setdefault(
                "Content-Security-Policy",
                "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                "img-src 'self' data:; object-src 'none'; base-uri 'none'; "
                "frame-ancestors 'none'",
            )
        principal = ctx.get("principal")
        tenant = ctx.get("tenant") or ctx.get("staff_tenant")
        # The tenant app counts on its request's round trip already (``g.api_counted``).
        if tenant is not None and req.method != "OPTIONS" and not ctx.get("api_counted"):
            try:
                count_api_request(runtime.redis, tenant.id)
            except Exception:  # metering must never fail a response
                access_log.warning("api usage not counted", exc_info=True)
        if access_log.isEnabledFor(logging.INFO):  # the record's fields are not free to build
            access_log.info(
                "%s %s %s",
                req.method,
                req.path,
                resp.status_code,
                extra={
                    "request_id": ctx.get("request_id"),
                    "tenant_id": str(tenant.id) if tenant else None,
                    "user_id": getattr(principal, "user_id", None),
                    "route": req.url_rule.rule if req.url_rule else None,
                    "status": resp.status_code,
                    "latency_ms": round(
                        (time.perf_counter() - ctx.get("started", time.perf_counter())) * 1000, 2
                    ),
                },
            )
        return resp

    @app.teardown_request
    def _teardown(_exc) -> None:
        db.close_session()
        token = g._get_current_object().pop("runtime_token", None)
        if token is not None:
            reset_runtime(token)

    register_error_handlers(app)
