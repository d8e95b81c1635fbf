"""The booking pages over HTTP: headers, CSP, framing, labels, escaping, sms_opt_in."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from shared import db
from shared.tenancy import tenant_context
from tenantapp.customers.models import Customer
from tests.bookings.conftest import at, book, make_lead, monday
from tests.support import signup

LABELS = (
    "Bedrooms",
    "Bathrooms",
    "Service",
    "How often",
    "Date",
    "Other times",
    "Name",
    "Phone",
    "Email",
    "Address",
    "Postal code",
    "Notes",
    "Text me about my booking",
    "Book",
)


def test_booking_page_has_the_spec_labels_defaults_and_a_strict_csp(client):
    tenant = signup(client)
    resp = client.get(f"/t/{tenant.slug}/book")
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    html = resp.get_data(as_text=True)
    for label in LABELS:
        assert f">{label}<" in html, label
    assert re.search(r'<option value="standard" selected>Standard</option>', html)
    assert re.search(r'<option value="one_time" selected>One time</option>', html)
    assert '<output id="price" aria-live="polite">105.00</output>' in html
    csp = resp.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self';" in csp
    assert "unsafe-inline" not in csp and "challenges.cloudflare.com" not in csp
    assert "frame-ancestors 'none'" in csp
    assert "X-Frame-Options" not in resp.headers  # framing is CSP's business on this page
    assert "<script>" not in html and "style=" not in html


def test_booking_page_is_framed_only_by_the_tenants_booking_site_origins(client):
    tenant = signup(client)
    client.patch(
        tenant.url("/admin/settings"),
        json={"booking_origins": ["https://acme.example/book", "http://localhost:8080"]},
        headers=tenant.headers,
    )
    csp = client.get(f"/t/{tenant.slug}/book").headers["Content-Security-Policy"]
    assert csp.endswith("frame-ancestors https://acme.example http://localhost:8080")


def test_captcha_on_adds_turnstile_host_and_widget(client, runtime):
    tenant = signup(client)
    client.patch(
        tenant.url("/admin/settings"), json={"captcha_mode": "turnstile"}, headers=tenant.headers
    )
    resp = client.get(f"/t/{tenant.slug}/book")
    assert (
        "script-src 'self' https://challenges.cloudflare.com"
        in resp.headers["Content-Security-Policy"]
    )
    assert 'class="cf-turnstile"' in resp.get_data(as_text=True)


def test_company_name_and_intro_are_escaped(client):
    tenant = signup(client)
    client.patch(
        tenant.url("/admin/settings"),
        json={"company_name": "<script>alert(1)</script>", "booking_intro": '"><img src=x>'},
        headers=tenant.headers,
    )
    html = client.get(f"/t/{tenant.slug}/book").get_data(as_text=True)
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html
    assert "<img src=x>" not in html


def test_embed_script_is_cacheable_cross_origin_and_carries_the_label(client):
    tenant = signup(client)
    resp = client.get(f"/t/{tenant.slug}/embed.js")
    assert resp.status_code == 200 and resp.mimetype == "text/javascript"
    assert resp.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert "X-Frame-Options" not in resp.headers
    body = resp.get_data(as_text=True)
    assert '"label": "Book a cleaning"' in body and f"/t/{tenant.slug}/book?embed=1" in body


def test_brand_css_carries_the_colour_and_is_versioned(client):
    tenant = signup(client)
    client.patch(
        tenant.url("/admin/settings"), json={"brand_color": "#ffd500"}, headers=tenant.headers
    )
    html = client.get(f"/t/{tenant.slug}/book").get_data(as_text=True)
    href = re.search(r'href="([^"]*brand\.css\?v=[0-9a-f]{12})"', html).group(1)
    css = client.get(href)
    assert css.get_data(as_text=True) == ":root{--brand:#ffd500;--brand-text:#000000}\n"
    assert css.headers["Cache-Control"].endswith("immutable")
    assert client.get(f"/t/{tenant.slug}/brand.css?v=old").headers["Cache-Control"] == "no-cache"


def test_confirmation_with_a_bad_or_foreign_token_is_404_and_sends_no_referrer(client):
    tenant, other = signup(client), signup(client)
    for query in (
        "",
        "?booking=1",
        "?booking=1&token=forged",
        "?booking=abc&token=x",
        "?booking=99999999999999999999&token=x",
    ):
        resp = client.get(f"/t/{tenant.slug}/book/done{query}")
        assert resp.status_code == 404, query
        assert resp.headers["Referrer-Policy"] == "no-referrer"
        assert resp.headers["Cache-Control"] == "no-store"
        assert "This link is not valid" in resp.get_data(as_text=True)
    # A real link of another tenant's booking opens nothing here, and its own page works.
    lead = make_lead(client, other)
    booking = book(client, other, lead["lead_id"], at(monday(), "10:00")).get_json()
    token = parse_qs(urlsplit(booking["manage_url"]).query)["token"][0]
    query = f"?booking={booking['id']}&token={token}"
    assert client.get(f"/t/{tenant.slug}/book/done{query}").status_code == 404
    own = client.get(f"/t/{other.slug}/book/done{query}")
    assert own.status_code == 200 and "Request received" in own.get_data(as_text=True)


def _customer(rt, tenant, customer_id):
    with tenant_context(rt.tenants.by_slug(tenant.slug)):
        c = db.session().get(Customer, customer_id)
        return c.sms_opt_in, c.sms_opt_in_source, c.sms_opt_in_at


def test_sms_opt_in_is_recorded_on_the_lead_and_as_the_customers_consent(client, rt):
    tenant = signup(client)
    body = {"name": "A", "phone": "+14035550100", "estimate_request": {"beds": 1, "baths": 1}}
    resp = client.post(tenant.url("/leads"), json={**body, "sms_opt_in": True})
    assert resp.status_code == 201
    lead = client.get(
        tenant.url(f"/admin/leads/{resp.get_json()['lead_id']}"), headers=tenant.headers
    ).get_json()["lead"]
    assert lead["sms_opt_in"] is True
    opted, source, since = _customer(rt, tenant, lead["customer_id"])
    assert opted is True and source == "booking_form" and since is not None
    # The same customer later leaves the box unticked: the lead says so, consent stays.
    resp = client.post(tenant.url("/leads"), json=body)
    lead = client.get(
        tenant.url(f"/admin/leads/{resp.get_json()['lead_id']}"), headers=tenant.headers
    ).get_json()["lead"]
    assert lead["sms_opt_in"] is False
    assert _customer(rt, tenant, lead["customer_id"]) == (True, "booking_form", since)
    other = client.post(tenant.url("/leads"), json={**body, "phone": "+14035550111"}).get_json()
    lead = client.get(tenant.url(f"/admin/leads/{other['lead_id']}"), headers=tenant.headers)
    assert _customer(rt, tenant, lead.get_json()["lead"]["customer_id"])[0] is False
    bad = client.post(tenant.url("/leads"), json={**body, "sms_opt_in": "yes"})
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == "sms_opt_in"


def test_a_suspended_workspace_has_no_booking_page(client, operator_headers):
    tenant = signup(client)
    assert client.get(f"/t/{tenant.slug}/book").status_code == 200
    resp = client.post(
        f"/v1/ops/tenants/{tenant.id}/suspend", json={"reason": "unpaid"}, headers=operator_headers
    )
    assert resp.status_code == 200, resp.get_json()
    for path in ("/book", "/embed.js", "/brand.css", "/book/done?booking=1&token=x"):
        assert client.get(f"/t/{tenant.slug}{path}").status_code == 404, path
