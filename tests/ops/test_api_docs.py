"""Swagger UI is served by the app (vendored swagger-ui-bundle), no CDN, under a CSP that allows it.

Offline means: every asset the docs page names is same-origin and served by the app itself.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest


class _Refs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs: list[str] = []
        self.inline_scripts = 0
        self.spec_url: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in ("src", "href"):
            if attrs.get(name):
                self.refs.append(attrs[name])
        if tag == "script" and not attrs.get("src"):
            self.inline_scripts += 1
        if attrs.get("data-spec-url"):
            self.spec_url = attrs["data-spec-url"]


def _parse(html: str) -> _Refs:
    parser = _Refs()
    parser.feed(html)
    return parser


CONTENT_TYPES = {
    ".css": "text/css",
    ".js": "text/javascript",
    ".png": "image/png",
}


@pytest.fixture(params=["control plane", "tenant"])
def docs_url(request, tenant):
    return "/v1/docs" if request.param == "control plane" else f"/t/{tenant.slug}/v1/docs"


def test_docs_page_references_only_same_origin_assets_that_are_served(client, docs_url):
    resp = client.get(docs_url)
    assert resp.status_code == 200
    assert resp.mimetype == "text/html"
    html = resp.get_data(as_text=True)
    page = _parse(html)
    assert page.inline_scripts == 0
    assert "http://" not in html and "https://" not in html and "//cdn" not in html
    prefix = docs_url.removesuffix("/docs")
    assert len(page.refs) >= 5
    for ref in page.refs:
        assert ref.startswith(prefix + "/docs/assets/"), ref  # same origin, this app's prefix
        asset = client.get(ref)
        assert asset.status_code == 200, ref
        suffix = ref[ref.rindex(".") :]
        assert asset.mimetype == CONTENT_TYPES[suffix], (ref, asset.mimetype)
        assert len(asset.get_data()) > 100
        assert "max-age=86400" in asset.headers["Cache-Control"]
    scripts = [r for r in page.refs if r.endswith(".js")]
    assert [s.rsplit("/", 1)[1] for s in scripts] == [
        "swagger-ui-bundle.js",
        "swagger-ui-standalone-preset.js",
        "init.js",
    ]
    assert page.spec_url == prefix + "/openapi.json"
    spec = client.get(page.spec_url)
    assert spec.status_code == 200 and spec.get_json()["openapi"].startswith("3.")


def test_docs_csp_allows_the_page_and_nothing_from_elsewhere(client, docs_url):
    csp = client.get(docs_url).headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if d.strip())
    assert directives["script-src"] == "'self'"  # no inline script, no CDN
    assert directives["default-src"] == "'self'"
    assert directives["connect-src"] == "'self'"  # fetching openapi.json
    assert "data:" in directives["img-src"]  # swagger-ui's inline SVG icons
    assert directives["frame-ancestors"] == "'none'"
    assert not re.search(r"https?:", csp)


def test_init_script_takes_the_spec_url_from_the_page_and_skips_the_online_validator(client):
    js = client.get("/v1/docs/assets/init.js").get_data(as_text=True)
    assert 'getAttribute("data-spec-url")' in js
    assert "validatorUrl: null" in js


@pytest.mark.parametrize(
    "name",
    ["index.html", "swagger-ui.js.map", "..%2F__init__.py", "nope.js", "swagger-initializer.js"],
)
def test_only_the_listed_assets_are_served(client, name):
    assert client.get(f"/v1/docs/assets/{name}").status_code == 404


def test_default_html_csp_names_no_cdn_and_no_inline_script(runtime):
    """Any HTML page without a CSP of its own gets the house default: scripts from self only."""
    from flask import Flask

    from shared import web

    app = Flask("probe")
    web.init_app(app, runtime)

    @app.get("/page")
    def page():
        return "<!doctype html><p>hi</p>"

    csp = app.test_client().get("/page").headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if d.strip())
    assert directives["script-src"] == "'self'"
    assert "cdn" not in csp and not re.search(r"https?:", csp)
