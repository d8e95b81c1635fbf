"""The operator console in Chromium: find a tenant, suspend it, resume it (issue 32)."""

from __future__ import annotations

from tests.browser.conftest import horizontal_overflow, run_axe
from tests.browser.ops_screens import sign_in_as_operator
from tests.support import signup


def axe_violations(browser, url: str) -> list[dict]:
    """axe-core on ``url`` as the operator, in a context that lets axe's own inline script run
    (our CSP refuses it everywhere else, as it should)."""
    context = browser.new_context(bypass_csp=True)
    try:
        page = context.new_page()
        sign_in_as_operator(page)
        page.goto(url)
        return run_axe(page)
    finally:
        context.close()


def test_operator_finds_suspends_and_resumes_a_tenant(page, live, watch, browser):
    client = live.client()
    tenant = signup(client)
    sign_in_as_operator(page)
    page.goto(f"{live.url}/ops/")
    page.get_by_label("Search").fill(tenant.slug)
    page.get_by_role("button", name="Apply").click()
    page.get_by_role("link", name=tenant.slug, exact=True).click()
    assert page.get_by_role("heading", level=1).inner_text().startswith(f"{tenant.slug} Cleaning")
    assert axe_violations(browser, page.url) == []

    page.get_by_role("link", name="Suspend…").click()
    assert axe_violations(browser, page.url) == []
    page.get_by_label("Reason").fill("chargeback under review")
    page.get_by_role("button", name=f"Suspend {tenant.slug}").click()
    assert page.get_by_role("status").inner_text().startswith("Suspended.")
    staff = client.get(tenant.url("/admin/settings"), headers=tenant.headers)
    assert staff.status_code == 403 and staff.get_json()["code"] == "tenant_suspended"

    page.get_by_role("link", name="Resume…").click()
    page.get_by_label("Reason").fill("settled")
    page.get_by_role("button", name=f"Resume {tenant.slug}").click()
    assert page.get_by_role("status").inner_text().startswith("Resumed.")
    assert client.get(tenant.url("/admin/settings"), headers=tenant.headers).status_code == 200
    assert "chargeback under review" in page.content()  # the lifecycle history
    page.set_viewport_size({"width": 390, "height": 844})
    assert horizontal_overflow(page) <= 0
    watch.clean()


def test_a_tenant_session_gets_nothing_from_ops(page, live):
    tenant = signup(live.client())
    page.set_extra_http_headers({"Authorization": f"Bearer {tenant.access_token}"})
    resp = page.goto(f"{live.url}/ops/")
    assert resp.status == 403
    page.set_extra_http_headers({})
    resp = page.context.request.get(f"{live.url}/ops/", headers={})
    assert resp.status == 401 and resp.headers["www-authenticate"].startswith("Basic")


def test_every_console_page_renders_cleanly_and_is_accessible(page, live, watch, browser):
    sign_in_as_operator(page)
    for path in ("/ops/", "/ops/charts", "/ops/migrations", "/ops/jobs", "/ops/dlq", "/ops/audit"):
        page.goto(f"{live.url}{path}")
        assert axe_violations(browser, page.url) == [], path
    assert page.locator("svg[role=img]").count() == 0  # the audit page has no chart
    page.goto(f"{live.url}/ops/charts")
    assert page.locator("svg[role=img]").count() == 5
    watch.clean()
