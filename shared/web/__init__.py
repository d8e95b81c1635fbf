"""Request plumbing both Flask apps install: runtime, request ids, access logs, headers.

The page stack (templates, assets, CSP, messages) is in this package's modules: ``pages``,
``assets``, ``csp``, ``i18n``."""

from __future__ import annotations

import logging
import time
import uuid

from flask import Flask, current_app, g, request

from shared import db
from shared.errors import BadRequest, register_error_handlers
from shared.input_limits import check_request_input
from shared.limits import warn_untrusted_forwarding
from shared.runtime import Runtime, reset_runtime, set_runtime
from shared.usage import count_api_request

access_log = logging.getLogger("cleanplane.access")


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def refuse_nul_characters() -> None:
    """Postgres text cannot hold NUL: such input is refused up front with a 400 instead of
    failing deep in the database driver with a 500."""
    if any(_has_nul(v) for v in request.args.values()) or _has_nul(request.view_args or {}):
        raise BadRequest("Text must not contain NUL characters.", code="nul_character")
    # UTF-8 JSON can only carry a NUL as the escape \u0000 (a raw control character fails to
    # parse); UTF-16/32 bodies hold zero bytes. Without either, no walk: one bytes search.
    body = request.get_data(cache=True) if request.is_json else b""
    if (b"\\u0000" in body or b"\x00" in body) and _has_nul(request.get_json(silent=True)):
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
        g.runtime_token = set_runtime(runtime)
        g.started = time.perf_counter()
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if 0 < len(incoming) <= 64 else uuid.uuid4().hex
        warn_untrusted_forwarding(runtime.settings)
        check_request_input()  # before the NUL check: it bounds what the JSON parser may see
        refuse_nul_characters()

    @app.after_request
    def _finish(resp):
        resp.headers["X-Request-ID"] = g.get("request_id", "")
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        if not g.get("allow_framing"):  # pages framed by CSP frame-ancestors (shared.web.pages)
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
        principal = g.get("principal")
        tenant = g.get("tenant") or g.get("staff_tenant")
        # The tenant app counts on its request's round trip already (``g.api_counted``).
        if tenant is not None and request.method != "OPTIONS" and not g.get("api_counted"):
            try:
                count_api_request(runtime.redis, tenant.id)
            except Exception:  # metering must never fail a response
                access_log.warning("api usage not counted", exc_info=True)
        access_log.info(
            "%s %s %s",
            request.method,
            request.path,
            resp.status_code,
            extra={
                "request_id": g.get("request_id"),
                "tenant_id": str(tenant.id) if tenant else None,
                "user_id": getattr(principal, "user_id", None),
                "route": request.url_rule.rule if request.url_rule else None,
                "status": resp.status_code,
                "latency_ms": round(
                    (time.perf_counter() - g.get("started", time.perf_counter())) * 1000, 2
                ),
            },
        )
        return resp

    @app.teardown_request
    def _teardown(_exc) -> None:
        db.close_session()
        token = g.pop("runtime_token", None)
        if token is not None:
            reset_runtime(token)

    register_error_handlers(app)
