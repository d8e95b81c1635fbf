"""shared/web: CSP builder, fingerprinted assets, the message catalogue, framing headers."""

from __future__ import annotations

import hashlib

import pytest
from flask import Flask

from shared.web import i18n, pages
from shared.web.csp import PAGE, Csp, origin_of


def test_default_page_csp_is_self_only_without_inline_and_not_frameable():
    header = PAGE.header()
    assert header.startswith("default-src 'self'")
    assert "script-src 'self';" in header and "style-src 'self';" in header
    assert "unsafe-inline" not in header and "nonce" not in header
    assert "frame-ancestors 'none'" in header and "object-src 'none'" in header
    assert not PAGE.frameable


def test_turnstile_hosts_are_added_only_when_asked():
    assert "challenges.cloudflare.com" not in PAGE.header()
    header = Csp().with_turnstile().header()
    assert "script-src 'self' https://challenges.cloudflare.com" in header
    assert "frame-src https://challenges.cloudflare.com" in header


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://Acme.example/book?x=1", "https://acme.example"),
        ("http://localhost:8080/", "http://localhost:8080"),
        ("https://a.example:443", "https://a.example:443"),
        ("javascript:alert(1)", None),
        ("https://a.example; script-src *", None),
        ("ftp://a.example", None),
        ("https://", None),
        ("https://a.example:99999", None),
    ],
)
def test_frame_ancestor_origins_are_normalised_and_unsafe_ones_dropped(url, origin):
    assert origin_of(url) == origin
    csp = Csp().framed_by([url])
    expected = origin or "'none'"
    assert csp.header().endswith(f"frame-ancestors {expected}")


def test_catalogue_falls_back_to_english_and_fails_loudly_on_unknown_keys(monkeypatch):
    assert i18n.message("common.skip_to_content") == "Skip to content"
    assert i18n.catalogue("fr")["common.skip_to_content"]  # no fr.toml yet: English
    with pytest.raises(KeyError):
        i18n.message("common.no_such_key")


def _app() -> Flask:
    app = Flask("t")
    registry = pages.init_app(app)

    @app.get("/page")
    def page():
        return pages.render_page("web/base.html")

    @app.get("/framed")
    def framed():
        return pages.render_page("web/base.html", csp=Csp().framed_by(["https://acme.example"]))

    @app.after_request
    def deny(resp):  # what shared.web's request hook does for every response
        from flask import g

        if not g.get("allow_framing"):
            resp.headers.setdefault("X-Frame-Options", "DENY")
        return resp

    app.registry = registry
    return app


def test_assets_are_served_by_content_hash_with_immutable_caching():
    app = _app()
    client = app.test_client()
    with app.test_request_context():
        url = app.registry.url("web/app.css")
    body = (pages.HERE / "static" / "app.css").read_bytes()
    assert hashlib.sha256(body).hexdigest()[:12] in url
    resp = client.get(url)
    assert resp.status_code == 200 and resp.data == body
    assert resp.mimetype == "text/css"
    assert resp.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    stale = client.get(url.replace(url.split("/")[-3], "0" * 12))
    assert stale.status_code == 200 and stale.headers["Cache-Control"] == "no-cache"
    assert client.get("/assets/abc/web/nope.css").status_code == 404


def test_pages_carry_their_csp_and_deny_framing_unless_the_csp_allows_it():
    client = _app().test_client()
    resp = client.get("/page")
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]
    assert 'href="/assets/' in resp.get_data(as_text=True)
    framed = client.get("/framed")
    assert "X-Frame-Options" not in framed.headers
    assert "frame-ancestors https://acme.example" in framed.headers["Content-Security-Policy"]
