"""What every server-rendered page of both apps shares: templates, assets, messages, CSP.

``init_app(app)`` (called by each app factory) adds the shared templates (``web/base.html``) to
the app's Jinja2 environment — Flask's, which autoescapes every ``.html`` template — registers the
fingerprinted assets (``web/app.css``) and the template helpers:

- ``asset(name)``: the versioned URL of a registered asset;
- ``t(key, **params)``: a message from the catalogue in the page's language;
- ``lang``: that language (``<html lang>``).

A view answers with ``render_page(template, csp=..., **context)``: the HTML plus the page's CSP,
``nosniff`` and, unless the CSP lets other origins frame it, the ``X-Frame-Options: DENY`` the
request hooks add to every response.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, Response, g, render_template, request
from jinja2 import ChoiceLoader, FileSystemLoader

from shared.web import assets as assets_mod
from shared.web import i18n
from shared.web.csp import PAGE, Csp

HERE = Path(__file__).resolve().parent


def page_language() -> str:
    """The best of our catalogues for the browser's Accept-Language (English by default)."""
    return request.accept_languages.best_match(i18n.languages(), default=i18n.DEFAULT)


def _t(key: str, **params) -> str:
    return i18n.message(key, g.get("page_lang") or page_language(), **params)


def init_app(app: Flask) -> assets_mod.Assets:
    """Give ``app`` the page stack; returns its asset registry for the app's own files."""
    app.jinja_loader = ChoiceLoader(
        [loader for loader in (app.jinja_loader, FileSystemLoader(HERE / "templates")) if loader]
    )
    registry = assets_mod.init_app(app)
    registry.add_dir("web", HERE / "static")
    app.jinja_env.globals.update(asset=registry.url, t=_t)

    @app.get("/favicon.ico")
    def favicon():
        # Browsers ask the origin's root for it; a 404 there is a console error on every page.
        icon = registry.get("web/favicon.svg")
        resp = Response(icon.body, mimetype=icon.mimetype)
        resp.headers["Cache-Control"] = "public, max-age=86400"
        return resp

    @app.context_processor
    def _page_context():
        return {"lang": g.get("page_lang") or page_language()}

    return registry


def render_page(
    template: str,
    *,
    status: int = 200,
    csp: Csp = PAGE,
    headers: dict | None = None,
    **context,
) -> Response:
    """Render ``template`` as a page response with ``csp`` (and extra ``headers``)."""
    g.page_lang = page_language()
    resp = Response(render_template(template, **context), status=status, mimetype="text/html")
    resp.headers["Content-Security-Policy"] = csp.header()
    if csp.frameable:
        # The request hooks add X-Frame-Options: DENY to every response without this flag;
        # frame-ancestors in the CSP is what governs framing of this page.
        g.allow_framing = True
    for name, value in (headers or {}).items():
        resp.headers[name] = value
    return resp
