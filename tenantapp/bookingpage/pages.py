"""Customer pages of the booking flow (SPEC §5.13): ``/book``, ``/book/done``, ``/embed.js``,
the tenant's brand stylesheet and logo.

The booking page may be framed by the tenant's booking-site origins (CSP ``frame-ancestors``,
``'none'`` when it has none; never ``X-Frame-Options``); the confirmation carries the manage token
in its URL, so it is ``no-store`` and sends no Referer. Every route is ``@public``: a suspended
workspace's pages are 404 and the public rate limits apply, like the API they call.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, g, render_template, request, url_for

from shared.auth.guards import public
from shared.web import i18n
from shared.web.csp import Csp
from shared.web.pages import page_language, render_page
from tenantapp.bookingpage import view
from tenantapp.settings import branding
from tenantapp.settings.service import get_settings

blp = Blueprint("booking_pages", __name__, template_folder="templates")

IMMUTABLE = "public, max-age=31536000, immutable"
TOKEN_PAGE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
EMBED_MAX_AGE = 300  # embed.js has a fixed URL (pasted into sites): short cache


def _brand_css_url(brand: view.Brand) -> str:
    return url_for("booking_pages.brand_css", v=brand.css_digest)


@blp.get("/book")
@public
def book():
    settings = get_settings()
    model = view.booking_page(page_language(), view.prefill(request.args))
    g.allow_framing = True  # framing is governed by CSP frame-ancestors (booking-site origins)
    return render_page(
        "bookingpage/book.html",
        csp=view.page_csp(settings),
        headers={"Cache-Control": "no-cache"},
        brand_css=_brand_css_url(model["brand"]),
        embedded=request.args.get("embed") == "1",
        **model,
    )


@blp.get("/book/done")
@public
def done():
    booking_id = request.args.get("booking", "")
    model = None
    if booking_id.isdigit() and len(booking_id) < 19:
        model = view.done_page(int(booking_id), request.args.get("token"))
    model = model or {}
    brand = model.pop("brand", None) or view.brand()
    g.allow_framing = True  # the booking page navigates here inside the company's overlay
    return render_page(
        "bookingpage/done.html",
        status=200 if model else 404,
        csp=Csp().framed_by(get_settings().booking_origins or []),
        headers=TOKEN_PAGE,
        brand=brand,
        brand_css=_brand_css_url(brand),
        refresh=model.get("state") == "pending_deposit",
        **model,
    )


@blp.get("/brand.css")
@public
def brand_css():
    brand = view.brand()
    resp = Response(brand.css, mimetype="text/css")
    fresh = request.args.get("v") == brand.css_digest
    resp.headers["Cache-Control"] = IMMUTABLE if fresh else "no-cache"
    return resp


@blp.get("/logo/<digest>")
@public
def logo(digest: str):
    if len(digest) != 16 or not digest.isalnum():
        abort(404)
    data = branding.logo_bytes(digest)
    if data is None:
        abort(404)
    resp = Response(data, mimetype="image/webp")
    resp.headers["Cache-Control"] = IMMUTABLE
    resp.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return resp


@blp.get("/embed.js")
@public
def embed_js():
    brand = view.brand()
    lang = page_language()
    config = {
        "path": url_for("booking_pages.book", embed="1"),
        "label": i18n.message("embed.button", lang),
        "close": i18n.message("embed.close", lang),
        "title": i18n.message("embed.dialog", lang, company=brand.company),
        "color": brand.color,
        "text": brand.text_color,
    }
    body = render_template("bookingpage/embed.js", config=config)
    resp = Response(body, mimetype="text/javascript")
    resp.headers["Cache-Control"] = f"public, max-age={EMBED_MAX_AGE}"
    # Loaded by <script src> from the company's own site.
    resp.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    g.allow_framing = True
    return resp
