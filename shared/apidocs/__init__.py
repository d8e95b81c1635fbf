"""Swagger UI served by the app itself (``/v1/docs`` and ``/t/<slug>/v1/docs``), no CDN.

The UI files come from the pinned ``swagger-ui-bundle`` wheel (vendored swagger-ui); only the few
files the page needs are served, from ``/v1/docs/assets/``. The page has no inline script: a small
script of ours reads the spec URL from a ``data-`` attribute, so the page's CSP is
``script-src 'self'`` and the docs work offline.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask, abort, render_template, send_from_directory, url_for
from swagger_ui_bundle import swagger_ui_path

HERE = Path(__file__).resolve().parent
VENDOR = Path(str(swagger_ui_path))
VENDORED = frozenset(
    {
        "swagger-ui.css",
        "swagger-ui-bundle.js",
        "swagger-ui-standalone-preset.js",
        "favicon-32x32.png",
        "favicon-16x16.png",
    }
)
OURS = frozenset({"init.js"})
ASSET_MAX_AGE = 24 * 3600
# Swagger UI sets style attributes on its elements, so styles need 'unsafe-inline'; scripts do not.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def init_app(app: Flask, title: str) -> None:
    """Register ``/v1/docs`` and its assets on ``app`` (the flask-smorest Api serves the JSON)."""
    blp = Blueprint("apidocs", __name__, url_prefix="/v1", template_folder="templates")

    @blp.get("/docs")
    def swagger_ui():
        html = render_template(
            "apidocs/swagger_ui.html",
            title=title,
            spec_url=url_for("api-docs.openapi_json"),
            asset=lambda name: url_for("apidocs.asset", filename=name),
        )
        return html, 200, {"Content-Security-Policy": CSP}

    @blp.get("/docs/assets/<filename>")
    def asset(filename: str):
        if filename in OURS:
            return send_from_directory(HERE / "static", filename, max_age=ASSET_MAX_AGE)
        if filename in VENDORED:
            return send_from_directory(VENDOR, filename, max_age=ASSET_MAX_AGE)
        abort(404)

    app.register_blueprint(blp)
