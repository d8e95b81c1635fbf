"""Staff invoice endpoints (SPEC §5.11): drafts, issue, immutability, void, payments, refunds,
credit notes, statuses and amount_due, over real Postgres."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from tenantapp.invoices.models import Invoice
from tests.invoices.helpers import (
    GST,
    InTenant,
    get,
    idem,
    line,
    manual_invoice,
    post,
    settings,
)

ZONE = ZoneInfo("America/Edmonton")


def _issued(client, tenant, cents=10000, **kw):
    inv = manual_invoice(client, tenant, [line(cents)], **kw)
    return post(client, tenant, f"/admin/invoices/{inv['id']}/issue", key=False)


def test_draft_has_no_number_and_issue_gives_the_first_number_of_the_year(client, tenant):
    settings(client, tenant, tax_rates=[GST])
    inv = manual_invoice(client, tenant, [line(13500, "service")])
    assert inv["status"] == "DRAFT" and inv["number"] is None
    assert (inv["subtotal_cents"], inv["tax_cents"], inv["total_cents"]) == (13500, 675, 14175)
    issued = post(client, tenant, f"/admin/invoices/{inv['id']}/issue", key=False)
    year = datetime.now(ZONE).year
    assert issued["number"] == f"INV-{year}-000001"
    assert issued["status"] == "ISSUED"
    assert issued["issue_date"] == issued["due_date"] == datetime.now(ZONE).date().isoformat()
    assert issued["amount_due_cents"] == 14175
    assert issued["taxes"] == [
        {"code": "GST", "name": "GST", "rate": "5.000", "taxable_cents": 13500, "tax_cents": 675}
    ]


def test_the_response_has_every_field_of_the_spec(client, tenant):
    inv = _issued(client, tenant)
    for key in [
        "id",
        "number",
        "status",
        "customer_id",
        "booking_id",
        "issue_date",
        "due_date",
        "currency",
        "lines",
        "subtotal_cents",
        "tax_cents",
        "taxes",
        "total_cents",
        "paid_cents",
        "refunded_cents",
        "credited_cents",
        "amount_due_cents",
        "overdue",
        "days_overdue",
        "pay_url",
    ]:
        assert key in inv, key
    assert inv["lines"][0] == {
        "id": inv["lines"][0]["id"],
        "kind": "custom",
        "description": "Cleaning",
        "quantity": "1",
        "unit_price_cents": 10000,
        "amount_cents": 10000,
        "taxable": True,
        "applies_to": None,
    }


def test_prefix_and_due_days_come_from_settings(client, tenant):
    settings(client, tenant, invoice_prefix="AC-", invoice_due_days=14)
    inv = _issued(client, tenant)
    today = datetime.now(ZONE).date()
    assert inv["number"] == f"AC-{today.year}-000001"
    assert inv["due_date"] == (today + timedelta(days=14)).isoformat()


def test_patch_edits_a_draft_and_an_issued_invoice_is_immutable(client, tenant):
    settings(client, tenant, tax_rates=[GST])
    inv = manual_invoice(client, tenant, [line(1000)])
    url = tenant.url(f"/admin/invoices/{inv['id']}")
    resp = client.patch(
        url, json={"lines": [line(3333, qty=3)], "notes": "Thanks!"}, headers=tenant.headers
    )
    assert resp.status_code == 200
    assert (resp.get_json()["subtotal_cents"], resp.get_json()["tax_cents"]) == (9999, 500)
    post(client, tenant, f"/admin/invoices/{inv['id']}/issue", key=False)
    resp = client.patch(url, json={"notes": "changed"}, headers=tenant.headers)
    assert resp.status_code == 409
    assert get(client, tenant, f"/admin/invoices/{inv['id']}")["notes"] == "Thanks!"
    resp = client.post(f"{url}/issue", headers=tenant.headers)
    assert resp.status_code == 409 and resp.get_json()["code"] == "invalid_transition"


def test_issued_figures_keep_their_rates_when_settings_change(client, tenant):
    settings(client, tenant, tax_rates=[GST])
    inv = _issued(client, tenant, 10000)
    settings(client, tenant, tax_rates=[{**GST, "rate": "7.000"}])
    again = get(client, tenant, f"/admin/invoices/{inv['id']}")
    assert again["tax_cents"] == 500 and again["taxes"][0]["rate"] == "5.000"


def test_bad_lines_are_422_and_write_nothing(client, tenant):
    cid = manual_invoice(client, tenant, [line(100)])["customer_id"]
    before = len(get(client, tenant, "/admin/invoices")["items"])
    for bad in (
        [line(100, qty="1.005")],
        [line(100, qty=0)],
        [line(-100, kind="custom")],
        [line(100, kind="discount")],
        [line(100, kind="gift")],
        [],
    ):
        resp = client.post(
            tenant.url("/admin/invoices"),
            json={"customer_id": cid, "lines": bad},
            headers=idem(tenant),
        )
        assert resp.status_code == 422, bad
    resp = client.post(
        tenant.url("/admin/invoices"),
        json={"customer_id": cid, "lines": [line(100), line(-200, kind="discount")]},
        headers=idem(tenant),
    )
    assert resp.status_code == 422  # adds up to less than zero
    assert len(get(client, tenant, "/admin/invoices")["items"]) == before
    resp = client.post(
        tenant.url("/admin/invoices"),
        json={"customer_id": 999999, "lines": [line(1)]},
        headers=idem(tenant),
    )
    assert resp.status_code == 422


def test_create_needs_an_idempotency_key_and_replays_it(client, tenant):
    cid = manual_invoice(client, tenant, [line(100)])["customer_id"]
    body = {"customer_id": cid, "lines": [line(100)]}
    resp = client.post(tenant.url("/admin/invoices"), json=body, headers=tenant.headers)
    assert resp.status_code == 400 and resp.get_json()["code"] == "idempotency_key_required"
    headers = idem(tenant, "create-1")
    first = client.post(tenant.url("/admin/invoices"), json=body, headers=headers)
    second = client.post(tenant.url("/admin/invoices"), json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.get_json()["id"] == second.get_json()["id"]


def test_payments_move_the_status_and_overpayment_is_422(client, tenant):
    inv = _issued(client, tenant, 10000)
    url = f"/admin/invoices/{inv['id']}/payments"
    over = client.post(
        tenant.url(url), json={"amount_cents": 10001, "method": "cash"}, headers=idem(tenant)
    )
    assert over.status_code == 422 and over.get_json()["errors"][0]["field"] == "amount_cents"
    part = post(
        client,
        tenant,
        url,
        {"amount_cents": 4000, "method": "etransfer", "reference": "ET-1"},
        status=201,
    )
    assert (part["status"], part["paid_cents"], part["amount_due_cents"]) == (
        "PARTIALLY_PAID",
        4000,
        6000,
    )
    rest = post(client, tenant, url, {"amount_cents": 6000, "method": "cheque"}, status=201)
    assert (rest["status"], rest["amount_due_cents"]) == ("PAID", 0)
    assert [p["method"] for p in rest["payments"]] == ["etransfer", "cheque"]
    again = client.post(
        tenant.url(url), json={"amount_cents": 1, "method": "cash"}, headers=idem(tenant)
    )
    assert again.status_code == 422


def test_a_replayed_payment_is_recorded_once(client, tenant):
    inv = _issued(client, tenant, 10000)
    url = tenant.url(f"/admin/invoices/{inv['id']}/payments")
    body = {"amount_cents": 2500, "method": "cash"}
    headers = idem(tenant, "pay-once")
    first = client.post(url, json=body, headers=headers)
    second = client.post(url, json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert get(client, tenant, f"/admin/invoices/{inv['id']}")["paid_cents"] == 2500
    other = client.post(url, json={**body, "amount_cents": 2600}, headers=headers)
    assert other.status_code == 409 and other.get_json()["code"] == "idempotency_key_reused"


def test_payment_methods_are_the_staff_ones(client, tenant):
    inv = _issued(client, tenant, 10000)
    resp = client.post(
        tenant.url(f"/admin/invoices/{inv['id']}/payments"),
        json={"amount_cents": 100, "method": "card"},  # card is Stripe's (online), not staff's
        headers=idem(tenant),
    )
    assert resp.status_code == 422


def test_a_draft_takes_no_payment(client, tenant):
    inv = manual_invoice(client, tenant, [line(1000)])
    resp = client.post(
        tenant.url(f"/admin/invoices/{inv['id']}/payments"),
        json={"amount_cents": 100, "method": "cash"},
        headers=idem(tenant),
    )
    assert resp.status_code == 409


def test_partial_refund_keeps_paid_with_a_credit_note_of_the_same_amount(client, tenant):
    settings(client, tenant, tax_rates=[GST])
    inv = _issued(client, tenant, 20000)  # 210.00 with GST
    post(
        client,
        tenant,
        f"/admin/invoices/{inv['id']}/payments",
        {"amount_cents": 21000, "method": "cash"},
        status=201,
    )
    refunded = post(
        client,
        tenant,
        f"/admin/invoices/{inv['id']}/refunds",
        {"amount_cents": 10500, "reason": "Oven not cleaned"},
        status=201,
    )
    assert refunded["status"] == "PAID"
    assert (refunded["refunded_cents"], refunded["credited_cents"]) == (10500, 10500)
    assert refunded["amount_due_cents"] == 0
    note = refunded["credit_notes"][0]
    year = datetime.now(ZONE).year
    assert note["number"] == f"CN-{year}-000001"
    assert (note["total_cents"], note["tax_cents"], note["subtotal_cents"]) == (10500, 500, 10000)
    assert refunded["refunds"][0]["credit_note_id"] == note["id"]
    over = client.post(
        tenant.url(f"/admin/invoices/{inv['id']}/refunds"),
        json={"amount_cents": 10501, "reason": "x"},
        headers=idem(tenant),
    )
    assert over.status_code == 422
    full = post(
        client,
        tenant,
        f"/admin/invoices/{inv['id']}/refunds",
        {"amount_cents": 10500, "reason": "Cancelled the rest"},
        status=201,
    )
    assert (full["status"], full["amount_due_cents"]) == ("REFUNDED", 0)
    assert full["credit_notes"][1]["number"] == f"CN-{year}-000002"


def test_credit_notes_reduce_what_is_due_and_never_below_zero(client, tenant):
    settings(client, tenant, tax_rates=[GST])
    inv = _issued(client, tenant, 10000)  # 105.00
    url = f"/admin/invoices/{inv['id']}/credit-notes"
    note = post(
        client,
        tenant,
        url,
        {"lines": [line(2000, description="Goodwill")], "reason": "Late arrival"},
        status=201,
        key=False,
    )
    assert (note["subtotal_cents"], note["tax_cents"], note["total_cents"]) == (2000, 100, 2100)
    assert note["number"].startswith("CN-")
    after = get(client, tenant, f"/admin/invoices/{inv['id']}")
    assert (after["credited_cents"], after["amount_due_cents"], after["status"]) == (
        2100,
        8400,
        "ISSUED",
    )
    too_much = client.post(
        tenant.url(url),
        json={"lines": [line(8001)], "reason": "x"},  # 84.01 + tax > 84.00 due
        headers=tenant.headers,
    )
    assert too_much.status_code == 422
    rest = post(
        client, tenant, url, {"lines": [line(8000)], "reason": "Written off"}, status=201, key=False
    )
    assert rest["total_cents"] == 8400
    assert get(client, tenant, f"/admin/invoices/{inv['id']}")["status"] == "PAID"


def test_void_only_without_payments_and_void_is_never_due(client, tenant):
    inv = _issued(client, tenant, 10000)
    paid = _issued(client, tenant, 10000)
    post(
        client,
        tenant,
        f"/admin/invoices/{paid['id']}/payments",
        {"amount_cents": 100, "method": "cash"},
        status=201,
    )
    resp = client.post(
        tenant.url(f"/admin/invoices/{paid['id']}/void"),
        json={"reason": "wrong"},
        headers=tenant.headers,
    )
    assert resp.status_code == 409
    voided = post(
        client, tenant, f"/admin/invoices/{inv['id']}/void", {"reason": "Duplicate"}, key=False
    )
    assert (voided["status"], voided["amount_due_cents"], voided["number"]) == (
        "VOID",
        0,
        inv["number"],
    )
    resp = client.post(
        tenant.url(f"/admin/invoices/{inv['id']}/payments"),
        json={"amount_cents": 100, "method": "cash"},
        headers=idem(tenant),
    )
    assert resp.status_code == 409
    draft = manual_invoice(client, tenant, [line(1)])
    resp = client.post(
        tenant.url(f"/admin/invoices/{draft['id']}/void"),
        json={"reason": "x"},
        headers=tenant.headers,
    )
    assert resp.status_code == 409


def test_overdue_counts_tenant_local_days_after_the_due_date(client, runtime, tenant):
    inv = _issued(client, tenant, 10000)
    today = datetime.now(ZONE).date()
    assert (inv["overdue"], inv["days_overdue"]) == (False, 0)
    with InTenant(runtime, tenant) as sess:
        sess.execute(
            update(Invoice)
            .where(Invoice.id == inv["id"])
            .values(due_date=today - timedelta(days=3))
        )
        sess.commit()
    late = get(client, tenant, f"/admin/invoices/{inv['id']}")
    assert (late["overdue"], late["days_overdue"]) == (True, 3)
    listed = get(client, tenant, "/admin/invoices?overdue=true")["items"]
    assert [i["id"] for i in listed] == [inv["id"]]
    post(
        client,
        tenant,
        f"/admin/invoices/{inv['id']}/payments",
        {"amount_cents": 10000, "method": "cash"},
        status=201,
    )
    paid = get(client, tenant, f"/admin/invoices/{inv['id']}")
    assert (paid["overdue"], paid["days_overdue"]) == (False, 0)


def test_list_filters_by_status_and_customer(client, tenant):
    a = _issued(client, tenant, 100)
    manual_invoice(client, tenant, [line(1)], cid=a["customer_id"])
    drafts = get(client, tenant, "/admin/invoices?status=DRAFT")["items"]
    assert {i["status"] for i in drafts} == {"DRAFT"}
    mine = get(client, tenant, f"/admin/invoices?customer_id={a['customer_id']}")["items"]
    assert len(mine) == 2
    assert get(client, tenant, "/admin/invoices?customer_id=999999")["items"] == []


def test_every_money_action_is_audited(client, tenant):
    inv = _issued(client, tenant, 10000)
    post(
        client,
        tenant,
        f"/admin/invoices/{inv['id']}/payments",
        {"amount_cents": 10000, "method": "cash"},
        status=201,
    )
    post(
        client,
        tenant,
        f"/admin/invoices/{inv['id']}/refunds",
        {"amount_cents": 100, "reason": "x"},
        status=201,
    )
    other = _issued(client, tenant, 10000)
    post(
        client,
        tenant,
        f"/admin/invoices/{other['id']}/credit-notes",
        {"lines": [line(100)], "reason": "y"},
        status=201,
        key=False,
    )
    third = _issued(client, tenant, 10000)
    post(client, tenant, f"/admin/invoices/{third['id']}/void", {"reason": "z"}, key=False)
    actions = [e["action"] for e in get(client, tenant, "/admin/audit?limit=200")["items"]]
    for action in (
        "invoice.issue",
        "invoice.payment",
        "invoice.refund",
        "invoice.credit_note",
        "invoice.void",
        "invoice.create",
    ):
        assert action in actions, action


@pytest.mark.parametrize(
    ("role", "status"), [("finance", 200), ("dispatcher", 403), ("viewer", 403)]
)
def test_invoices_need_the_finance_permission(client, runtime, tenant, role, status):
    from tests.test_auth import _add_member, _bearer, _login

    token = _login(client, _add_member(runtime, tenant, role)).get_json()["access_token"]
    for path in ("/admin/invoices", "/admin/reports/ar-aging"):
        resp = client.get(tenant.url(path), headers=_bearer(token))
        assert resp.status_code == status, (role, path)
    assert client.get(tenant.url("/admin/invoices")).status_code == 401


def test_dates_in_the_wrong_place_are_422(client, tenant):
    today = datetime.now(ZONE).date()
    draft = manual_invoice(client, tenant, [line(1000)])
    url = tenant.url(f"/admin/invoices/{draft['id']}")
    yesterday = (today - timedelta(days=1)).isoformat()
    assert (
        client.patch(url, json={"due_date": yesterday}, headers=tenant.headers).status_code == 422
    )
    ok = client.patch(url, json={"due_date": today.isoformat()}, headers=tenant.headers)
    assert ok.status_code == 200 and ok.get_json()["due_date"] == today.isoformat()
    post(client, tenant, f"/admin/invoices/{draft['id']}/issue", key=False)
    tomorrow = (today + timedelta(days=1)).isoformat()
    resp = client.post(
        f"{url}/payments",
        json={"amount_cents": 100, "method": "cash", "received_on": tomorrow},
        headers=idem(tenant),
    )
    assert resp.status_code == 422 and resp.get_json()["errors"][0]["field"] == "received_on"


def test_send_queues_the_invoice_email_again_and_a_draft_cannot_be_sent(client, runtime, tenant):
    from tests.invoices.helpers import outbox_topics

    draft = manual_invoice(client, tenant, [line(1000)])
    resp = client.post(tenant.url(f"/admin/invoices/{draft['id']}/send"), headers=tenant.headers)
    assert resp.status_code == 409
    post(client, tenant, f"/admin/invoices/{draft['id']}/issue", key=False)
    post(client, tenant, f"/admin/invoices/{draft['id']}/send", key=False)
    keys = [k for topic, _, k in outbox_topics(runtime, tenant) if topic == "invoice_issued"]
    assert keys == [f"invoice_issued:{draft['id']}", f"invoice_issued:{draft['id']}:send:1"]
