"""rq-dashboard at ``/ops/rq/``: a separate small Flask app the dispatcher mounts (SPEC §4.1).

- Operators only: Basic (``OPERATOR_BASIC_AUTH``) or an operator API token, checked before every
  request, static files included (401 with a Basic challenge otherwise, 403 for tenant tokens).
- State-changing requests (everything but GET/HEAD/OPTIONS: requeue, delete, empty) must come from
  the dashboard's own pages: their ``Origin`` (or, without one, ``Referer``) host must equal the
  request host, else 403. Hosts are compared without the scheme, as TLS ends at the proxy.
- Its own CSP: scripts only from the app itself plus its inline bootstrap script, which gets a
  per-response nonce; ``'unsafe-eval'`` is needed because the dashboard compiles underscore.js
  templates at run time. Framing is refused.
"""

from __future__ import annotations

import re
import secrets
from urllib.parse import urlsplit

import rq_dashboard
from flask import Flask, g, request
from rq_dashboard.web import setup_rq_connection

from shared.auth.guards import authenticate_operator
from shared.errors import Forbidden, register_error_handlers
from shared.runtime import Runtime, reset_runtime, set_runtime

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)")
CSP = (
    "default-src 'none'; script-src 'self' 'nonce-{nonce}' 'unsafe-eval'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def _same_origin() -> bool:
    source = request.headers.get("Origin") or request.headers.get("Referer")
    if not source or source == "null":
        return False
    return urlsplit(source).netloc.lower() == request.host.lower()


def create_rq_app(runtime: Runtime) -> Flask:
    app = Flask("cleanplane.rqdash")
    app.config.from_object(rq_dashboard.default_settings)
    app.config["RQ_DASHBOARD_REDIS_URL"] = runtime.settings.redis_url
    app.register_blueprint(rq_dashboard.blueprint)
    register_error_handlers(app)
    setup_rq_connection(app)
    app.redis_conn = runtime.redis  # the process's own client (same URL, shared pool)

    @app.before_request
    def guard():
        g.runtime_token = set_runtime(runtime)
        if request.method not in SAFE_METHODS and not _same_origin():
            raise Forbidden("Cross-origin requests to the dashboard are refused.")
        g.principal = authenticate_operator()

    @app.teardown_request
    def release(_exc=None):
        token = g.pop("runtime_token", None)
        if token is not None:
            reset_runtime(token)

    @app.after_request
    def headers(resp):
        nonce = secrets.token_urlsafe(16)
        if resp.mimetype == "text/html" and not resp.direct_passthrough:
            body = resp.get_data()
            resp.set_data(INLINE_SCRIPT.sub(f'<script nonce="{nonce}"'.encode(), body))
        resp.headers["Content-Security-Policy"] = CSP.format(nonce=nonce)
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.headers["X-Frame-Options"] = "DENY"
        resp.headers["Referrer-Policy"] = "same-origin"
        resp.headers["Cache-Control"] = "no-store"
        return resp

    return app
