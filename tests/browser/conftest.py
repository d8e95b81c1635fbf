"""Browser tests: pytest-playwright driving Chromium headless against the real stack on a port.

- ``chromium``: Debian's ``/usr/bin/chromium`` (installed by ``devstack.browser`` when missing and
  we are root; else Playwright's own build). A missing browser fails the tests with the command
  to run, never skips them.
- ``live``: the whole WSGI dispatcher (control plane + tenant app) served by a threaded werkzeug
  server on 127.0.0.1, with its own runtime: the Stripe stand-in as ``STRIPE_API_BASE`` (its
  Checkout pages served by the stand-in itself) and ``PUBLIC_BASE_URL`` = the server's URL, so
  links in pages and e-mails point back at it.
- ``page`` (pytest-playwright) records console errors and CSP violations; ``assert_clean(page)``
  fails on any, and on any request that left the origin.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from devstack.browser import chromium_or_fail
from shared.runtime import Runtime, use_runtime
from tests.stripe_fixtures import CONNECT_SECRET, WEBHOOK_SECRET
from tests.stripe_stub import start_stub, stop_stub
from tests.support import ApiClient

VENDOR = Path(__file__).resolve().parent / "vendor"


@pytest.fixture(scope="session")
def chromium() -> str | None:
    try:
        return chromium_or_fail()
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args, chromium):
    args = dict(browser_type_launch_args)
    if chromium:
        args["executable_path"] = chromium
    # Chromium's sandbox refuses to run as root (CI runs as root).
    extra = ["--no-sandbox"] if os.geteuid() == 0 else []
    args["args"] = [*args.get("args", []), *extra]
    return args


@dataclass
class Live:
    url: str
    runtime: Runtime
    app: object
    stripe: object

    def client(self) -> ApiClient:
        """A werkzeug client over the same app, for set-up calls that need no browser."""
        return ApiClient(self.app)


@pytest.fixture(scope="session")
def live_stripe():
    stub = start_stub(hosted_pages=True)
    yield stub
    stop_stub(stub)


@pytest.fixture(scope="session")
def live(settings, migrated, live_stripe):
    from wsgi import create_wsgi

    server = make_server("127.0.0.1", 0, lambda env, start: [], threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    rt = Runtime(
        settings.replace(
            public_base_url=url,
            stripe_api_base=live_stripe.url,
            stripe_webhook_secret=WEBHOOK_SECRET,
            stripe_connect_webhook_secret=CONNECT_SECRET,
        )
    )
    app = create_wsgi(rt.settings, runtime=rt)
    server.app = app
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Live(url=url, runtime=rt, app=app, stripe=live_stripe)
    server.shutdown()
    server.server_close()
    rt.dispose()


@pytest.fixture()
def live_rt(live):
    with use_runtime(live.runtime):
        yield live.runtime


@dataclass
class PageWatch:
    origin: str
    console_errors: list[str] = field(default_factory=list)
    http_errors: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)
    allowed_hosts: set[str] = field(default_factory=set)

    def clean(self, http_errors_ok: bool = False) -> None:
        """No console error or CSP violation, no request to another origin and (unless the test
        provoked API errors on purpose) no 4xx/5xx response."""
        assert not self.console_errors, f"console errors / CSP violations: {self.console_errors}"
        if not http_errors_ok:
            assert not self.http_errors, f"failed requests: {self.http_errors}"
        assert not self.foreign_requests, f"requests left the origin: {self.foreign_requests}"


@pytest.fixture()
def watch(page, live) -> PageWatch:
    """Console errors (CSP violations show there) and requests to other origins of ``page``."""
    w = PageWatch(origin=live.url)

    def on_console(msg):
        if msg.type != "error":
            return
        # The browser logs every 4xx/5xx response; a test that provokes API errors allows them.
        failed = msg.text.startswith("Failed to load resource: the server responded")
        (w.http_errors if failed else w.console_errors).append(msg.text)

    def on_request(req):
        url = req.url
        if url.startswith(("data:", "blob:", "about:")) or url.startswith(w.origin):
            return
        if any(url.startswith(h) for h in w.allowed_hosts):
            return
        w.foreign_requests.append(url)

    page.on("console", on_console)
    page.on("pageerror", lambda exc: w.console_errors.append(f"page error: {exc}"))
    page.on("request", on_request)
    return w


def run_axe(page) -> list[dict]:
    """Serious and critical axe-core violations of the page (axe vendored from npm, tests only)."""
    # Evaluated over the DevTools protocol: our CSP (rightly) refuses an injected <script>.
    page.evaluate((VENDOR / "axe.min.js").read_text("utf-8") + "\n;0")
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
        if v["impact"] in {"serious", "critical"}
    ]


def horizontal_overflow(page) -> int:
    """How many CSS pixels the page is wider than the viewport (0 = no horizontal scrolling)."""
    return page.evaluate(
        "() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
        " - window.innerWidth"
    )
