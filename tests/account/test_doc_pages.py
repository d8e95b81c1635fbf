"""The invoice page (same template as the PDF, stylesheets as assets, Pay and PDF) and the
feedback page (0–10 and a comment, stored once)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from tenantapp.invoices import links as invoice_links
from tenantapp.invoices import pdf
from tests.account.conftest import csrf_of, page_path, sign_in, unique_email
from tests.bookings.conftest import at, book, make_lead, monday
from tests.invoices.helpers import InTenant, booked, complete, invoice_of_booking, settings
from tests.sms.test_reviews import completed, feedback_urls, token_path


def _issued_invoice(client, runtime, tenant, email=None):
    settings(client, tenant, invoice_on_complete="issue")
    booking = booked(client, runtime, tenant, email=email or unique_email())
    complete(client, tenant, booking["id"])
    inv = invoice_of_booking(client, tenant, booking["id"])
    assert inv["status"] == "ISSUED", inv
    with InTenant(runtime, tenant):
        token = invoice_links.invoice_token(inv["id"])
    return inv, token


def test_invoice_page_is_the_pdf_template_under_the_strict_csp(client, runtime, tenant):
    inv, token = _issued_invoice(client, runtime, tenant)
    resp = client.get(page_path(tenant, f"/invoices/{inv['id']}?token={token}"))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    csp = resp.headers["Content-Security-Policy"]
    assert "style-src 'self'" in csp and "unsafe-inline" not in csp
    assert "<style" not in html and "style=" not in html and "<script>" not in html
    sheets = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)
    assert [s.rsplit("/", 1)[1] for s in sheets] == list(pdf.STYLESHEETS)
    for href in sheets:
        asset = client.get(href)
        assert asset.status_code == 200 and "immutable" in asset.headers["Cache-Control"]
    assert asset.get_data(as_text=True).startswith("/* The customer's invoice page")
    assert inv["number"] in html and "Amount due" in html
    api = f"/t/{tenant.slug}/v1/invoices/{inv['id']}"
    assert f'href="{api}/pdf?token={token}"' in html
    # No connected Stripe account: nothing can be paid online, so no Pay button.
    assert "/pay?token=" not in html and "How to pay" in html
    assert resp.headers["Referrer-Policy"] == "no-referrer"
    assert resp.headers["Cache-Control"] == "no-store"


def test_the_pdf_has_no_page_buttons_and_keeps_its_stylesheet(client, runtime, tenant):
    inv, _ = _issued_invoice(client, runtime, tenant)
    from tenantapp.invoices import documents

    with InTenant(runtime, tenant):
        html = documents.invoice_html(inv["id"])
        name, body = documents.invoice_pdf(inv["id"])
    assert "<link" not in html and "page-actions" not in html
    assert body.startswith(b"%PDF") and name == f"{inv['number']}.pdf"


def test_invoice_page_refuses_bad_tokens_drafts_and_other_workspaces(
    client, runtime, tenant, other_tenant
):
    inv, token = _issued_invoice(client, runtime, tenant)
    assert client.get(page_path(tenant, f"/invoices/{inv['id']}?token=x")).status_code == 404
    assert client.get(page_path(tenant, f"/invoices/{inv['id']}")).status_code == 404
    other = client.get(page_path(other_tenant, f"/invoices/{inv['id']}?token={token}"))
    assert other.status_code == 404
    draft = client.post(
        tenant.url("/admin/invoices"),
        json={
            "customer_id": inv["customer_id"],
            "lines": [
                {
                    "kind": "custom",
                    "description": "Extra",
                    "quantity": 1,
                    "unit_price_cents": 1000,
                    "taxable": True,
                }
            ],
        },
        headers={**tenant.headers, "Idempotency-Key": "draft-1"},
    ).get_json()
    with InTenant(runtime, tenant):
        draft_token = invoice_links.invoice_token(draft["id"])
    resp = client.get(page_path(tenant, f"/invoices/{draft['id']}?token={draft_token}"))
    assert resp.status_code == 404


def test_account_lists_issued_invoices_with_pay(client, runtime, tenant, smtp_server, mail_rt):
    email = unique_email()
    inv, _ = _issued_invoice(client, runtime, tenant, email=email)
    sign_in(client, tenant, email, smtp_server, mail_rt)
    html = client.get(page_path(tenant, "/account")).get_data(as_text=True)
    assert inv["number"] in html
    link = re.search(rf'href="([^"]*/invoices/{inv["id"]}\?token=[^"]+)"', html).group(1)
    parts = urlsplit(link.replace("&amp;", "&"))
    assert client.get(f"{parts.path}?{parts.query}").status_code == 200
    assert "Past visits" in html and "Book again" in html


def test_feedback_page_takes_a_score_once(client, rt, tenant):
    client.patch(
        tenant.url("/admin/settings"),
        json={"review_url": "https://g.page/r/our-company/review"},
        headers=tenant.headers,
    )
    b, _ = completed(client, tenant)
    path = page_path(tenant, token_path(feedback_urls(rt, tenant)[str(b["id"])]))
    page = client.get(path)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert html.count('name="score"') == 11
    for bad in ("11", "-1", "", "ten"):
        resp = client.post(path, data={"csrf": csrf_of(html), "score": bad})
        assert resp.status_code == 422, bad
    long = client.post(path, data={"csrf": csrf_of(html), "score": "9", "comment": "x" * 2001})
    assert long.status_code == 422
    assert client.post(path, data={"score": "9"}).status_code == 403  # no CSRF token
    done = client.post(path, data={"csrf": csrf_of(html), "score": "10", "comment": "Spotless!"})
    thanks = done.get_data(as_text=True)
    assert done.status_code == 200
    assert "Thank you!" in thanks and "https://g.page/r/our-company/review" in thanks
    again = client.get(path).get_data(as_text=True)
    assert "You rated this visit 10 out of 10." in again and "Spotless!" in again
    assert 'name="score"' not in again
    # A second answer changes nothing.
    client.post(path, data={"csrf": csrf_of(html), "score": "1"})
    assert "10 out of 10" in client.get(path).get_data(as_text=True)


def test_feedback_score_boundaries_0_and_10(client, rt, tenant):
    first, _ = completed(client, tenant)
    path = page_path(tenant, token_path(feedback_urls(rt, tenant)[str(first["id"])]))
    html = client.get(path).get_data(as_text=True)
    resp = client.post(path, data={"csrf": csrf_of(html), "score": "0"})
    assert resp.status_code == 200
    text = resp.get_data(as_text=True)
    assert "You rated this visit 0 out of 10." in text and "g.page" not in text


def test_bad_feedback_token_is_a_404_page(client, rt, tenant, other_tenant):
    b, _ = completed(client, tenant)
    token = token_path(feedback_urls(rt, tenant)[str(b["id"])])
    assert client.get(page_path(tenant, "/feedback/nope")).status_code == 404
    assert client.get(page_path(other_tenant, token)).status_code == 404
    assert client.get(page_path(tenant, "/feedback/" + "a" * 600)).status_code == 404


def test_account_shows_the_card_on_file(client, runtime, tenant, smtp_server, mail_rt):
    from tenantapp.payments.models import CardOnFile

    email = unique_email()
    booking = booked(client, runtime, tenant, email=email)
    sign_in(client, tenant, email, smtp_server, mail_rt)
    html = client.get(page_path(tenant, "/account")).get_data(as_text=True)
    assert "No card saved." in html
    assert "Save a card" not in html  # the company takes no cards online (no Stripe account)
    with InTenant(runtime, tenant) as sess:
        sess.add(
            CardOnFile(
                customer_id=booking["customer_id"],
                stripe_customer_id="cus_test_" + email[5:15],
                payment_method_id="pm_test_1",
                brand="visa",
                last4="4242",
                exp_month=4,
                exp_year=2030,
            )
        )
        sess.commit()
    html = client.get(page_path(tenant, "/account")).get_data(as_text=True)
    assert "Visa ending in 4242, expires 4/2030" in html


def test_past_visits_show_only_approved_photos(client, runtime, tenant, smtp_server, mail_rt):
    from tests.photos.conftest import png_bytes, upload

    email = unique_email()
    lead = make_lead(client, tenant, email=email, phone="+1 403 555 0163")
    made = book(client, tenant, lead["lead_id"], at(monday(), "09:00"), photo_consent=True)
    booking = made.get_json()
    client.post(tenant.url(f"/admin/bookings/{booking['id']}/confirm"), headers=tenant.headers)
    ids = []
    for phase in ("BEFORE", "AFTER"):
        resp = upload(client, tenant, booking["id"], png_bytes(), phase=phase)
        assert resp.status_code == 201, resp.get_json()
        ids.append(resp.get_json()["id"])
    approved = client.post(
        tenant.url(f"/admin/bookings/{booking['id']}/photos/{ids[1]}/review"),
        json={"status": "APPROVED"},
        headers=tenant.headers,
    )
    assert approved.status_code == 200, approved.get_json()
    complete(client, tenant, booking["id"])
    sign_in(client, tenant, email, smtp_server, mail_rt)
    html = client.get(page_path(tenant, "/account")).get_data(as_text=True)
    shown = re.findall(r'<img src="([^"]+/v1/photos/download\?token=[^"]+)"', html)
    assert len(shown) == 1 and "Photo of the visit (AFTER)" in html
    parts = urlsplit(shown[0].replace("&amp;", "&"))
    photo = client.get(f"{parts.path}?{parts.query}")
    assert photo.status_code == 200 and photo.headers["Content-Type"] == "image/png"
