"""The page stack (shared/web) in a real browser: assets, CSP, messages, framing."""

from __future__ import annotations

import re

from tests.browser.conftest import horizontal_overflow
from tests.support import signup


def test_live_server_serves_the_real_stack_to_chromium(page, live, watch):
    tenant = signup(live.client())
    page.goto(f"{live.url}/t/{tenant.slug}/work/accept-invite?token=x")
    assert page.get_by_label("New password").is_visible()
    page.set_viewport_size({"width": 360, "height": 740})
    assert horizontal_overflow(page) <= 0
    watch.clean()


def test_an_inline_script_is_refused_by_the_page_csp(page, live, watch):
    """A page rendered by render_page keeps inline script out: the browser blocks it and says so."""
    tenant = signup(live.client())
    page.goto(f"{live.url}/t/{tenant.slug}/work/accept-invite?token=x")
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.pwned = 1';"
        " document.body.appendChild(s); }"
    )
    assert page.evaluate("() => window.pwned") is None
    assert any(re.search(r"Content Security Policy", e) for e in watch.console_errors)
