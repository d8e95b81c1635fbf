"""Cross-origin access for the platform's own front ends (``CORS_ORIGINS``), via flask-cors.

Strict mode (``STRICT_CORS``, forced in prod where ``*`` is refused at start-up) allows exactly the
listed origins. Outside it, the listed origins or, when none are listed, any origin (local tools).
Tokens travel in the Authorization header, never in cookies, so credentials are never allowed.
A tenant's own booking-site origins are handled by ``tenantapp/cors.py``, on public operations only.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask
from flask_cors import CORS

from shared.settings import Settings

ALLOW_HEADERS = ["Authorization", "Content-Type", "Idempotency-Key", "X-Request-ID"]
EXPOSE_HEADERS = [
    "Retry-After",
    "X-Request-ID",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
]
MAX_AGE = 600


def normalise_origin(origin: str) -> str:
    """``scheme://host[:port]`` in lower case (a stored ``https://Book.Example/`` matches)."""
    parts = urlsplit(origin.strip())
    if not parts.scheme or not parts.netloc:
        return origin.strip().rstrip("/").lower()
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def platform_origins(settings: Settings) -> list[str] | str:
    """The origins allowed on every endpoint: a list, ``"*"`` (dev/test only) or ``[]`` (none)."""
    listed = [normalise_origin(o) for o in settings.cors_origins if o.strip() and o != "*"]
    if settings.strict_cors or settings.is_prod:
        return listed
    return listed or "*"


def init_app(app: Flask, settings: Settings) -> None:
    @app.after_request
    def _vary_on_origin(resp):
        # Answers differ by Origin (flask-cors leaves Vary out when one origin is configured),
        # so shared caches must key on it. Plain header text: ``resp.vary`` parses and rebuilds
        # the header on every response.
        vary = resp.headers.get("Vary")
        if not vary:
            resp.headers["Vary"] = "Origin"
        elif "origin" not in (v.strip().lower() for v in vary.split(",")):
            resp.headers["Vary"] = f"{vary}, Origin"
        return resp

    origins = platform_origins(settings)
    if not origins:
        return  # no platform front end: no cross-origin access beyond tenants' booking sites
    CORS(
        app,
        origins=origins,
        allow_headers=ALLOW_HEADERS,
        expose_headers=EXPOSE_HEADERS,
        max_age=MAX_AGE,
        supports_credentials=False,
        vary_header=True,
    )
