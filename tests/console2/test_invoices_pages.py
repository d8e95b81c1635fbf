"""Invoices in the console (SPEC §5.14, §5.11): list and filters, one invoice, issue, payments,
refunds (cash here; card through Stripe), credit notes, void, PDF, the card-setup link, AR aging,
permissions (finance only) and other workspaces' ids."""

from __future__ import annotations

import re

import pytest

from tests.console.helpers import add_member, console, csrf_of, post_form, signed_in
from tests.invoices.helpers import customer_id, get, line, manual_invoice
from tests.payments.invoice_helpers import completed, issued, pay, session_id


def _draft(client, tenant, cents=10000, **kw):
    return manual_invoice(client, tenant, [line(cents)], **kw)


def _page(client, tenant, inv_id):
    page = client.get(console(tenant, f"/invoices/{inv_id}"))
    assert page.status_code == 200, page.text[:500]
    return page


def _form_key(html: str, action: str) -> str:
    form = html[html.index(f'action="{action}"') :]
    return re.search(r'name="form_key" value="([0-9a-f]+)"', form).group(1)


def _post(client, tenant, inv_id, tail, data):
    page = _page(client, tenant, inv_id)
    url = console(tenant, f"/invoices/{inv_id}{tail}")
    body = dict(data)
    if 'name="form_key"' in page.text and tail in ("/payments", "/refunds", "/credit-notes"):
        body["form_key"] = _form_key(page.text, url)
    return post_form(client, url, body, token=csrf_of(page.text))


def test_the_list_filters_by_status_overdue_and_customer(client, tenant):
    draft = _draft(client, tenant, 5000)
    sent = issued(client, tenant, 7000, due_date=None)
    signed_in(client, tenant)
    page = client.get(console(tenant, "/invoices"))
    assert page.status_code == 200
    assert sent["number"] in page.text and f"Draft #{draft['id']}" in page.text
    only_drafts = client.get(console(tenant, "/invoices?status=DRAFT"))
    assert f"Draft #{draft['id']}" in only_drafts.text and sent["number"] not in only_drafts.text
    not_late = client.get(console(tenant, "/invoices?overdue=no"))
    assert sent["number"] in not_late.text
    late = client.get(console(tenant, "/invoices?overdue=yes"))
    assert sent["number"] not in late.text and "No invoices match." in late.text
    mine = client.get(console(tenant, f"/invoices?customer_id={sent['customer_id']}"))
    assert sent["number"] in mine.text
    bad = client.get(console(tenant, "/invoices?status=LOST&from=2026-13-01"))
    assert bad.status_code == 422
    assert 'id="filter-status-error" aria-live="polite">Must be one of' in bad.text
    assert 'id="filter-from-error" aria-live="polite">Not a valid date' in bad.text


def test_the_list_paginates_by_fifty(client, tenant):
    cid = customer_id(client, tenant)
    for _ in range(51):
        _draft(client, tenant, 1000, cid=cid)
    signed_in(client, tenant)
    first = client.get(console(tenant, "/invoices"))
    assert (
        first.text.count("/console/invoices/") - first.text.count("/console/invoices/aging") >= 50
    )
    nxt = re.search(r'href="([^"]+cursor=[^"]+)" rel="next"', first.text)
    assert nxt, "a page of 50 links to the next one"
    second = client.get(nxt.group(1).replace("&amp;", "&"))
    assert second.status_code == 200 and "Back to the first page" in second.text
    assert 'rel="next"' not in second.text


def test_issue_then_record_a_cash_payment_then_refund_it(client, tenant):
    draft = _draft(client, tenant, 10000)
    signed_in(client, tenant)
    page = _page(client, tenant, draft["id"])
    assert "Issue invoice" in page.text and "Record a payment" not in page.text
    resp = _post(client, tenant, draft["id"], "/issue", {})
    assert resp.status_code == 303 and resp.headers["Location"].endswith("done=issued")
    view = get(client, tenant, f"/admin/invoices/{draft['id']}")
    assert view["status"] == "ISSUED" and view["number"]
    # a payment of more than is due is refused beside the field, nothing written
    too_much = _post(
        client, tenant, draft["id"], "/payments", {"amount": "100.01", "method": "cash"}
    )
    assert too_much.status_code == 422
    assert (
        'id="pay-amount-error" aria-live="polite">That is more than the amount due' in too_much.text
    )
    assert get(client, tenant, f"/admin/invoices/{draft['id']}")["paid_cents"] == 0
    bad = _post(client, tenant, draft["id"], "/payments", {"amount": "12.345", "method": "cash"})
    assert bad.status_code == 422 and "Enter an amount like 25 or 25.50." in bad.text
    # exactly the amount due (the boundary) is accepted
    paid = _post(
        client,
        tenant,
        draft["id"],
        "/payments",
        {"amount": "100.00", "method": "cash", "reference": "till 2"},
    )
    assert paid.status_code == 303, paid.text[:800]
    view = get(client, tenant, f"/admin/invoices/{draft['id']}")
    assert view["status"] == "PAID" and view["payments"][0]["method"] == "cash"
    page = _page(client, tenant, draft["id"])
    assert "Payment recorded." not in page.text  # the notice is on the redirect's page only
    assert "Payment (Cash)" in page.text and "till 2" in page.text
    # refund more than was paid → 422; then 40.00 of it
    over = _post(
        client, tenant, draft["id"], "/refunds", {"refund_amount": "100.01", "reason": "x"}
    )
    assert (
        over.status_code == 422
        and 'id="refund-refund_amount-error" aria-live="polite">That is more' in over.text
    )
    no_reason = _post(client, tenant, draft["id"], "/refunds", {"refund_amount": "40"})
    assert (
        no_reason.status_code == 422
        and 'id="refund-reason-error" aria-live="polite">Missing' in no_reason.text
    )
    ok = _post(
        client, tenant, draft["id"], "/refunds", {"refund_amount": "40", "reason": "Missed a room"}
    )
    assert ok.status_code == 303 and ok.headers["Location"].endswith("done=refund")
    view = get(client, tenant, f"/admin/invoices/{draft['id']}")
    assert view["refunded_cents"] == 4000 and view["credited_cents"] == 4000
    assert view["refunds"][0]["method"] == "cash"
    page = client.get(ok.headers["Location"])
    assert "Refund recorded." in page.text and view["credit_notes"][0]["number"] in page.text


def test_a_form_posted_twice_records_one_payment(client, tenant):
    inv = issued(client, tenant, 10000)
    signed_in(client, tenant)
    page = _page(client, tenant, inv["id"])
    url = console(tenant, f"/invoices/{inv['id']}/payments")
    body = {"amount": "10", "method": "cheque", "form_key": _form_key(page.text, url)}
    first = post_form(client, url, body, token=csrf_of(page.text))
    second = post_form(client, url, body, token=csrf_of(page.text))
    assert first.status_code == 303 and second.headers["Location"].endswith("done=duplicate")
    assert get(client, tenant, f"/admin/invoices/{inv['id']}")["paid_cents"] == 1000


def test_a_credit_note_and_its_limit(client, tenant):
    inv = issued(client, tenant, 10000)
    signed_in(client, tenant)
    due = get(client, tenant, f"/admin/invoices/{inv['id']}")["amount_due_cents"]
    over = _post(
        client,
        tenant,
        inv["id"],
        "/credit-notes",
        {"credit_amount": f"{due / 100 + 0.01:.2f}", "credit_reason": "Goodwill", "taxable": "1"},
    )
    assert over.status_code == 422
    assert 'id="cn-credit_amount-error" aria-live="polite">The credit' in over.text
    zero = _post(
        client, tenant, inv["id"], "/credit-notes", {"credit_amount": "0", "credit_reason": "x"}
    )
    assert zero.status_code == 422
    ok = _post(
        client,
        tenant,
        inv["id"],
        "/credit-notes",
        {"credit_amount": "20", "credit_reason": "Goodwill", "taxable": "1"},
    )
    assert ok.status_code == 303, ok.text[:500]
    view = get(client, tenant, f"/admin/invoices/{inv['id']}")
    (note,) = view["credit_notes"]
    assert note["reason"] == "Goodwill" and view["credited_cents"] == note["total_cents"] >= 2000


def test_void_and_send_and_pdf(client, tenant):
    inv = issued(client, tenant, 5000)
    signed_in(client, tenant)
    sent = _post(client, tenant, inv["id"], "/send", {})
    assert sent.status_code == 303 and sent.headers["Location"].endswith("done=sent")
    pdf = client.get(console(tenant, f"/invoices/{inv['id']}/pdf"))
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")
    empty = _post(client, tenant, inv["id"], "/void", {"reason": ""})
    assert (
        empty.status_code == 422
        and 'id="void-reason-error" aria-live="polite">Missing' in empty.text
    )
    voided = _post(client, tenant, inv["id"], "/void", {"reason": "Wrong customer"})
    assert voided.status_code == 303
    assert get(client, tenant, f"/admin/invoices/{inv['id']}")["status"] == "VOID"
    again = _post(client, tenant, inv["id"], "/void", {"reason": "again"})
    assert again.status_code == 409  # the API's 409, shown as a message on the page
    assert "cannot" in again.text.lower() or "void" in again.text.lower()


def test_the_card_setup_link_needs_a_connected_account_then_is_emailed(client, connected):
    tenant, _ = connected
    inv = issued(client, tenant, 5000)
    signed_in(client, tenant)
    resp = _post(client, tenant, inv["id"], "/card-link", {})
    assert resp.status_code == 303 and resp.headers["Location"].endswith("done=card_link")
    page = client.get(resp.headers["Location"])
    assert "Card-setup link e-mailed to the customer." in page.text


def test_the_card_setup_link_without_stripe_is_a_409_message(client, tenant):
    inv = issued(client, tenant, 5000)
    signed_in(client, tenant)
    resp = _post(client, tenant, inv["id"], "/card-link", {})
    assert resp.status_code == 409 and "Connect a Stripe account first" in resp.text


def test_a_card_payment_is_refunded_through_stripe(client, connected, stripe_stub):
    tenant, account = connected
    inv = issued(client, tenant, 10000)
    url = pay(client, tenant, inv).get_json()["checkout_url"]
    completed(client, account, inv, session_id(url), "pi_console", 10000)
    signed_in(client, tenant)
    resp = _post(client, tenant, inv["id"], "/refunds", {"refund_amount": "30", "reason": "Late"})
    assert resp.status_code == 303, resp.text[:500]
    (call,) = stripe_stub.succeeded("/v1/refunds")
    assert call.stripe_account == account and call.form["payment_intent"] == "pi_console"
    assert int(call.form["amount"]) == 3000
    page = client.get(resp.headers["Location"])
    assert "Refund (Card)" in page.text and "(Stripe)" in page.text


def test_a_lost_dispute_shows_as_a_chargeback_and_the_invoice_owes_again(client, connected):
    from tests.payments.conftest import post_connect_event

    tenant, account = connected
    inv = issued(client, tenant, 10000)
    url = pay(client, tenant, inv).get_json()["checkout_url"]
    completed(client, account, inv, session_id(url), "pi_cb", 10000)
    dispute = {"id": "dp_console", "payment_intent": "pi_cb", "amount": 2500}
    post_connect_event(client, "charge.dispute.created", dispute, account)
    post_connect_event(client, "charge.dispute.closed", {**dispute, "status": "lost"}, account)
    signed_in(client, tenant)
    page = _page(client, tenant, inv["id"]).text
    assert "Chargeback: the bank gave a disputed card payment back" in page
    assert "Refund (" not in page  # not a refund: nothing was credited
    assert "−25.00" in page and "Partly paid" in page
    due = re.search(r"Amount due</strong></dt><dd class=\"num\"><strong>([\d.,]+)<", page)
    assert due.group(1) == "25.00"


def test_ar_aging_table(client, tenant):
    inv = issued(client, tenant, 10000)
    signed_in(client, tenant)
    page = client.get(console(tenant, "/invoices/aging"))
    assert page.status_code == 200
    view = get(client, tenant, f"/admin/invoices/{inv['id']}")
    assert "Current" in page.text and "Over 90 days" in page.text
    assert f"{view['total_cents'] // 100:,}.{view['total_cents'] % 100:02d}" in page.text
    before = client.get(console(tenant, "/invoices/aging?as_of=2000-01-01"))
    assert before.status_code == 200 and "Nobody owes anything" in before.text
    bad = client.get(console(tenant, "/invoices/aging?as_of=soon"))
    assert bad.status_code == 422 and "Not a valid date" in bad.text


@pytest.mark.parametrize("role", ["viewer", "dispatcher"])
def test_a_viewer_and_a_dispatcher_cannot_see_or_issue_invoices(client, runtime, tenant, role):
    draft = _draft(client, tenant)
    token = signed_in(client, tenant, add_member(runtime, tenant, role))
    for path in ("/invoices", f"/invoices/{draft['id']}", "/invoices/aging"):
        page = client.get(console(tenant, path))
        assert page.status_code == 403 and "finance permission" in page.text, path
    for tail, data in (
        ("/issue", {}),
        ("/payments", {"amount": "10", "method": "cash"}),
        ("/refunds", {"refund_amount": "10", "reason": "x"}),
    ):
        url = console(tenant, f"/invoices/{draft['id']}{tail}")
        resp = post_form(client, url, data, token=token)
        assert resp.status_code == 403 and "finance permission" in resp.text, tail
    assert get(client, tenant, f"/admin/invoices/{draft['id']}")["status"] == "DRAFT"


def test_a_finance_member_can(client, runtime, tenant):
    draft = _draft(client, tenant)
    signed_in(client, tenant, add_member(runtime, tenant, "finance"))
    assert _post(client, tenant, draft["id"], "/issue", {}).status_code == 303


def test_another_workspaces_invoice_is_a_404(client, tenant, other_tenant):
    for _ in range(3):
        theirs = issued(client, other_tenant, 5000)
    mine = get(client, tenant, "/admin/invoices")["items"]
    assert theirs["id"] not in {i["id"] for i in mine}
    token = signed_in(client, tenant)
    assert client.get(console(tenant, f"/invoices/{theirs['id']}")).status_code == 404
    assert client.get(console(tenant, f"/invoices/{theirs['id']}/pdf")).status_code == 404
    for tail, data in (
        ("/issue", {}),
        ("/payments", {"amount": "10", "method": "cash"}),
        ("/refunds", {"refund_amount": "10", "reason": "x"}),
        ("/credit-notes", {"credit_amount": "10", "credit_reason": "x"}),
        ("/card-link", {}),
        ("/void", {"reason": "x"}),
    ):
        resp = post_form(
            client, console(tenant, f"/invoices/{theirs['id']}{tail}"), data, token=token
        )
        assert resp.status_code == 404, tail
    assert get(client, other_tenant, f"/admin/invoices/{theirs['id']}")["paid_cents"] == 0


def test_the_aging_table_pages_with_the_whole_totals(client, tenant, monkeypatch):
    """Paged at ``AGING_PAGE`` (100) customers; shown here at a page of 2, so 3 customers
    (each with an issued invoice) fill a page and spill one onto the next."""
    from tenantapp.console import invoices as console_invoices
    from tests.invoices.helpers import customer_id as make_customer

    assert console_invoices.AGING_PAGE == 100
    monkeypatch.setattr(console_invoices, "AGING_PAGE", 2)
    for i in range(3):
        cid = make_customer(
            client, tenant, email=f"owes{i}@example.com", phone=f"+1 403 555 {i:04d}"
        )
        issued(client, tenant, 1000 + i, cid=cid)
    signed_in(client, tenant)
    first = client.get(console(tenant, "/invoices/aging"))
    assert first.status_code == 200
    assert first.text.count('<th scope="row"><a href=') == 2
    assert "3 customers owe money" in first.text
    nxt = re.search(r'href="([^"]+start=2[^"]*)" rel="next"', first.text)
    second = client.get(nxt.group(1).replace("&amp;", "&"))
    assert second.text.count('<th scope="row"><a href=') == 1 and 'rel="next"' not in second.text
    total = get(client, tenant, "/admin/reports/ar-aging")["totals"]["total_cents"]
    for page in (first, second):  # the footer is the whole book's
        assert f"{total // 100:,}.{total % 100:02d}" in page.text
