"""Customers in the console: list, filter, pages, a new customer, properties, search (SPEC §5.14)."""

from __future__ import annotations

from sqlalchemy import text

from tests.bookings.conftest import monday
from tests.console.helpers import add_member, console, post_form, signed_in
from tests.customers.helpers import customer_with_property, make_customer, staff_book
from tests.support import ApiClient


def test_create_a_customer_by_phone_and_see_their_page(client, tenant):
    token = signed_in(client, tenant)
    page = client.get(console(tenant, "/customers/new"))
    assert page.status_code == 200 and 'for="f-name">Name</label>' in page.text
    resp = post_form(
        client,
        console(tenant, "/customers/new"),
        {"name": "Ann Example", "phone": "(780) 555-0142", "email": "Ann@Example.com"},
        token=token,
    )
    assert resp.status_code == 303
    customer = client.get(resp.headers["Location"])
    assert customer.status_code == 200
    assert "Ann Example" in customer.text and "+17805550142" in customer.text
    assert "ann@example.com" in customer.text
    # The API sees the same row: one service.
    api = client.get(tenant.url("/admin/customers?q=ann"), headers=tenant.headers).get_json()
    assert [c["name"] for c in api["items"]] == ["Ann Example"]


def test_validation_errors_sit_beside_their_fields(client, tenant):
    token = signed_in(client, tenant)
    resp = post_form(
        client,
        console(tenant, "/customers/new"),
        {"name": "", "email": "not-an-email", "phone": ""},
        token=token,
    )
    assert resp.status_code == 422
    assert 'id="f-name" name="name"' in resp.text
    assert 'id="f-email-error" aria-live="polite">Not a valid email address.' in resp.text
    assert 'aria-invalid="true"' in resp.text
    assert 'value="not-an-email"' in resp.text  # what was typed is kept


def test_a_known_email_is_a_409_message_not_a_500(client, tenant):
    make_customer(client, tenant, email="dup@example.com")
    token = signed_in(client, tenant)
    resp = post_form(
        client,
        console(tenant, "/customers/new"),
        {"name": "Dup", "email": "dup@example.com"},
        token=token,
    )
    assert resp.status_code == 409 and "already has this e-mail address" in resp.text


def test_the_list_paginates_and_filters(client, tenant, rt):
    from shared.tenancy import tenant_context

    ref = rt.tenants.by_slug(tenant.slug)
    with tenant_context(ref) as _, rt.engine.begin() as conn:
        conn.execute(text(f'SET LOCAL search_path = "{ref.schema_name}"'))
        conn.execute(
            text(
                "INSERT INTO customers (name, phone) SELECT 'Bulk ' || g, '+1780555' || "
                "lpad(g::text, 4, '0') FROM generate_series(1, 60) g"
            )
        )
    signed_in(client, tenant)
    first = client.get(console(tenant, "/customers"))
    assert first.status_code == 200
    assert first.text.count('data-label="Name"><a') == 50
    assert "Next page" in first.text
    import re

    nxt = re.search(r'href="([^"]+cursor=[^"]+)" rel="next"', first.text).group(1)
    second = client.get(nxt.replace("&amp;", "&"))
    assert second.text.count('data-label="Name"><a') == 10
    assert "Next page" not in second.text and "Back to the first page" in second.text
    filtered = client.get(console(tenant, "/customers?q=Bulk 7"))
    assert filtered.text.count('data-label="Name"><a') == 1
    damaged = client.get(console(tenant, "/customers?cursor=%%%bad"))
    assert damaged.status_code == 200


def test_add_a_property_with_errors_beside_fields(client, tenant):
    customer = make_customer(client, tenant)
    token = signed_in(client, tenant)
    url = console(tenant, f"/customers/{customer['id']}/properties")
    bad = post_form(client, url, {"address": "", "beds": "two", "baths": "1.25"}, token=token)
    assert bad.status_code == 422
    assert 'id="f-address-error" aria-live="polite">' in bad.text
    assert "Missing data for required field." in bad.text
    assert "Must be between 0 and" in bad.text or "Not a valid integer." in bad.text
    ok = post_form(
        client,
        url,
        {"address": "10230 Jasper Ave", "postal_code": "T5J 1A1", "beds": "3", "baths": "1.5"},
        token=token,
    )
    assert ok.status_code == 303
    page = client.get(ok.headers["Location"])
    assert "10230 Jasper Ave" in page.text and "3 bedrooms, 1.5 bathrooms" in page.text


def test_the_customer_page_lists_visits(client, tenant):
    customer, prop = customer_with_property(client, tenant)
    booked = staff_book(client, tenant, customer, prop, monday())
    assert booked.status_code == 201
    signed_in(client, tenant)
    page = client.get(console(tenant, f"/customers/{customer['id']}"))
    assert page.status_code == 200
    assert f"/console/bookings/{booked.get_json()['id']}" in page.text
    status = booked.get_json()["status"].capitalize()
    assert "Standard" in page.text and f">{status}</span>" in page.text


def test_another_workspaces_customer_is_a_404_page(client, tenant, other_tenant):
    theirs = make_customer(client, other_tenant)
    token = signed_in(client, tenant)
    page = client.get(console(tenant, f"/customers/{theirs['id'] + 100000}"))
    assert page.status_code == 404 and "text/html" in page.headers["Content-Type"]
    # Ids are per workspace: the other tenant's customer id is not visible here.
    mine = client.get(tenant.url("/admin/customers"), headers=tenant.headers).get_json()["items"]
    if theirs["id"] not in {c["id"] for c in mine}:
        assert client.get(console(tenant, f"/customers/{theirs['id']}")).status_code == 404
    resp = post_form(
        client,
        console(tenant, f"/customers/{theirs['id'] + 100000}/properties"),
        {"address": "x"},
        token=token,
    )
    assert resp.status_code == 404


def test_search_box_finds_a_customer(client, tenant):
    make_customer(client, tenant, name="Jasper Whitfield")
    signed_in(client, tenant)
    page = client.get(console(tenant, "/search?q=Whitfield"))
    assert page.status_code == 200
    assert "Jasper Whitfield" in page.text and "/console/customers/" in page.text
    empty = client.get(console(tenant, "/search?q=zzzqqq"))
    assert "Nothing matches" in empty.text
    assert client.get(console(tenant, "/search?q=")).status_code == 200
    assert client.get(console(tenant, "/search?q=" + "x" * 500)).status_code == 200


def test_a_viewer_reads_but_cannot_create(client, runtime, tenant):
    email = add_member(runtime, tenant, "viewer")
    token = signed_in(client, tenant, email)
    assert client.get(console(tenant, "/customers")).status_code == 200
    assert client.get(console(tenant, "/customers/new")).status_code == 403
    resp = post_form(client, console(tenant, "/customers/new"), {"name": "X"}, token=token)
    assert resp.status_code == 403 and "dispatch permission" in resp.text


def test_other_modules_can_show_banners_on_every_console_page(client, tenant, wsgi_app):
    """The owner's "verify your e-mail" banner comes from another module's context processor."""
    app = wsgi_app.tenant_app
    app.template_context_processors[None].append(
        lambda: {
            "console_banners": [
                {
                    "kind": "",
                    "text": "Verify <b>your</b> e-mail.",
                    "link_url": "/v1/x",
                    "link_text": "Resend",
                }
            ]
        }
    )
    try:
        signed_in(client, tenant)
        page = client.get(console(tenant, "/customers"))
        assert "Verify &lt;b&gt;your&lt;/b&gt; e-mail." in page.text
        assert '<a href="/v1/x">Resend</a>' in page.text
    finally:
        app.template_context_processors[None].pop()


def test_the_customer_page_lists_invoices_and_plans(client, tenant):
    customer, prop = customer_with_property(client, tenant)
    booked = staff_book(client, tenant, customer, prop, monday(), skip_deposit=True).get_json()
    done = client.post(
        tenant.url(f"/admin/bookings/{booked['id']}/complete"), headers=tenant.headers
    )
    assert done.status_code == 200
    invoices = client.get(
        tenant.url(f"/admin/invoices?customer_id={customer['id']}"), headers=tenant.headers
    ).get_json()["items"]
    assert invoices
    signed_in(client, tenant)
    page = client.get(console(tenant, f"/customers/{customer['id']}"))
    assert page.status_code == 200
    label = invoices[0]["number"] or "Draft"
    assert f"<strong>{label}</strong>" in page.text
    assert "No recurring plan." in page.text


def test_the_customer_page_links_new_plan_and_new_invoice_by_permission(
    client, runtime, tenant, wsgi_app
):
    cid = make_customer(client, tenant, name="Link Example")["id"]
    plan_link = f'href="/t/{tenant.slug}/console/plans/new?customer_id={cid}"'
    invoice_link = f'href="/t/{tenant.slug}/console/invoices/new?customer_id={cid}"'

    def page_as(role: str | None) -> str:
        browser = ApiClient(wsgi_app)  # its own cookies: one person each
        signed_in(browser, tenant, add_member(runtime, tenant, role) if role else None)
        return browser.get(console(tenant, f"/customers/{cid}")).text

    owner, dispatcher, viewer = page_as(None), page_as("dispatcher"), page_as("viewer")
    assert plan_link in owner and invoice_link in owner
    assert plan_link in dispatcher and invoice_link not in dispatcher
    assert plan_link not in viewer and invoice_link not in viewer
