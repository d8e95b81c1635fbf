"""Invoices of bookings (SPEC §5.11 "From a booking", "On completion")."""

from sqlalchemy import select, update

from tenantapp.bookings.models import Booking
from tenantapp.invoices.models import Invoice
from tests.invoices.helpers import (
    GST,
    PST,
    InTenant,
    booked,
    complete,
    get,
    idem,
    invoice_of_booking,
    outbox_topics,
    post,
    settings,
)

DEEP_WITH_ADD_ONS = {
    "beds": 2,
    "baths": 1,
    "service_type": "deep",
    "heavy_grease": True,
    "add_ons": {"oven": True, "linen_beds": 2},
}


def test_complete_issues_the_invoice_with_lines_adding_up_to_the_booking(client, runtime, tenant):
    settings(client, tenant, tax_rates=[GST])
    booking = booked(client, runtime, tenant, estimate=DEEP_WITH_ADD_ONS)
    complete(client, tenant, booking["id"])
    inv = invoice_of_booking(client, tenant, booking["id"])
    assert inv["status"] == "ISSUED" and inv["number"].startswith("INV-")
    kinds = [(ln["kind"], ln["description"], ln["amount_cents"]) for ln in inv["lines"]]
    assert kinds[0][0] == "service" and kinds[0][2] == 15750  # 157.50 labour (SPEC §5.2)
    assert ("add_on", "Linen beds", 2000) in kinds and ("add_on", "Oven", 3000) in kinds
    assert sum(ln["amount_cents"] for ln in inv["lines"]) == booking["total_cents"] == 20750
    assert inv["subtotal_cents"] == booking["total_cents"]
    assert inv["tax_cents"] == 1038  # 207.50 × 5 % = 10.375 → 10.38
    assert inv["bill_to"]["email"] == "pat@example.com"
    mails = [m for m in outbox_topics(runtime, tenant) if m[0] == "invoice_issued"]
    assert mails == [("invoice_issued", "pat@example.com", f"invoice_issued:{inv['id']}")]


def test_recurring_discount_is_a_negative_line_on_the_service(client, runtime, tenant):
    settings(client, tenant, tax_rates=[GST, PST])
    estimate = {"beds": 2, "baths": 1, "frequency": "weekly", "add_ons": {"oven": True}}
    booking = booked(client, runtime, tenant, estimate=estimate)
    complete(client, tenant, booking["id"])
    inv = invoice_of_booking(client, tenant, booking["id"])
    discount = [ln for ln in inv["lines"] if ln["kind"] == "discount"]
    assert discount[0]["amount_cents"] == -1050 and discount[0]["applies_to"] == "service"
    assert sum(ln["amount_cents"] for ln in inv["lines"]) == booking["total_cents"] == 12450
    gst, pst = inv["taxes"]
    assert (gst["taxable_cents"], gst["tax_cents"]) == (12450, 623)  # 6.225 → 6.23
    assert (pst["taxable_cents"], pst["tax_cents"]) == (9450, 662)  # oven exempt: 6.615 → 6.62


def test_tax_inclusive_invoice_total_equals_the_booking_total(client, runtime, tenant):
    settings(client, tenant, tax_rates=[GST], prices_include_tax=True)
    booking = booked(client, runtime, tenant)  # 105.00
    complete(client, tenant, booking["id"])
    inv = invoice_of_booking(client, tenant, booking["id"])
    assert (inv["total_cents"], inv["tax_cents"], inv["subtotal_cents"]) == (10500, 500, 10000)


def test_a_paid_deposit_is_a_payment_not_a_line(client, runtime, tenant):
    booking = booked(client, runtime, tenant, deposit=5000)
    complete(client, tenant, booking["id"])
    inv = invoice_of_booking(client, tenant, booking["id"])
    assert all(ln["kind"] != "fee" for ln in inv["lines"])
    assert inv["total_cents"] == 10500
    assert (inv["paid_cents"], inv["amount_due_cents"], inv["status"]) == (
        5000,
        5500,
        "PARTIALLY_PAID",
    )
    assert inv["payments"][0]["method"] == "card" and inv["payments"][0]["source"] == "deposit"


def test_invoice_on_complete_draft_and_off(client, runtime, tenant):
    settings(client, tenant, invoice_on_complete="draft")
    first = booked(client, runtime, tenant)
    complete(client, tenant, first["id"])
    assert invoice_of_booking(client, tenant, first["id"])["status"] == "DRAFT"
    assert not [m for m in outbox_topics(runtime, tenant) if m[0] == "invoice_issued"]
    settings(client, tenant, invoice_on_complete="off")
    second = booked(client, runtime, tenant, email="sam@example.com")
    complete(client, tenant, second["id"])
    assert invoice_of_booking(client, tenant, second["id"]) is None


def test_a_second_live_invoice_for_a_booking_is_409_until_the_first_is_void(
    client, runtime, tenant
):
    settings(client, tenant, invoice_on_complete="off")
    booking = booked(client, runtime, tenant)  # CONFIRMED, not done: can be invoiced
    first = post(client, tenant, "/admin/invoices", {"booking_id": booking["id"]}, status=201)
    assert first["status"] == "DRAFT" and first["total_cents"] == booking["total_cents"]
    again = client.post(
        tenant.url("/admin/invoices"), json={"booking_id": booking["id"]}, headers=idem(tenant)
    )
    assert again.status_code == 409
    post(client, tenant, f"/admin/invoices/{first['id']}/issue", key=False)
    post(client, tenant, f"/admin/invoices/{first['id']}/void", {"reason": "redo"}, key=False)
    second = post(client, tenant, "/admin/invoices", {"booking_id": booking["id"]}, status=201)
    assert second["id"] != first["id"]


def test_completing_a_booking_with_a_draft_invoice_issues_it(client, runtime, tenant):
    settings(client, tenant, invoice_on_complete="off")
    booking = booked(client, runtime, tenant)
    draft = post(client, tenant, "/admin/invoices", {"booking_id": booking["id"]}, status=201)
    settings(client, tenant, invoice_on_complete="issue")
    complete(client, tenant, booking["id"])
    inv = get(client, tenant, f"/admin/invoices/{draft['id']}")
    assert inv["status"] == "ISSUED"


def test_a_cancelled_booking_cannot_be_invoiced(client, runtime, tenant):
    booking = booked(client, runtime, tenant)
    post(client, tenant, f"/admin/bookings/{booking['id']}/cancel", {"reason": "x"}, key=False)
    resp = client.post(
        tenant.url("/admin/invoices"), json={"booking_id": booking["id"]}, headers=idem(tenant)
    )
    assert resp.status_code == 409
    resp = client.post(
        tenant.url("/admin/invoices"), json={"booking_id": 987654}, headers=idem(tenant)
    )
    assert resp.status_code == 422


def test_a_referral_credit_and_price_change_keep_the_pre_tax_total_equal(client, runtime, tenant):
    settings(client, tenant, tax_rates=[GST])
    booking = booked(client, runtime, tenant)
    with InTenant(runtime, tenant) as sess:
        # a redeemed referral credit of 20.00 (the booking's total is the estimate minus credits)
        sess.execute(
            update(Booking)
            .where(Booking.id == booking["id"])
            .values(credit_applied_cents=2000, total_cents=8500)
        )
        sess.commit()
    complete(client, tenant, booking["id"])
    inv = invoice_of_booking(client, tenant, booking["id"])
    credit = [ln for ln in inv["lines"] if ln["description"] == "Referral credit"]
    assert credit[0]["amount_cents"] == -2000 and credit[0]["kind"] == "discount"
    assert inv["subtotal_cents"] == 8500 and inv["tax_cents"] == 425


def test_completion_keeps_an_existing_live_invoice(client, runtime, tenant):
    settings(client, tenant, invoice_on_complete="off")
    booking = booked(client, runtime, tenant)
    post(client, tenant, "/admin/invoices", {"booking_id": booking["id"]}, status=201)
    with InTenant(runtime, tenant) as sess:
        # completion issues the existing draft rather than making a second invoice
        inv_id = sess.scalar(select(Invoice.id).where(Invoice.booking_id == booking["id"]))
    settings(client, tenant, invoice_on_complete="issue")
    complete(client, tenant, booking["id"])
    with InTenant(runtime, tenant) as sess:
        ids = sess.scalars(select(Invoice.id).where(Invoice.booking_id == booking["id"])).all()
    assert ids == [inv_id]


def test_the_invoice_email_carries_sealed_signed_links(client, runtime, tenant):
    from shared.crypto import unsealed
    from tenantapp.invoices import links
    from tenantapp.outbox.models import OutboxMessage

    booking = booked(client, runtime, tenant)
    complete(client, tenant, booking["id"])
    inv = invoice_of_booking(client, tenant, booking["id"])
    with InTenant(runtime, tenant) as sess:
        payload = sess.scalar(
            select(OutboxMessage.payload).where(
                OutboxMessage.dedupe_key == f"invoice_issued:{inv['id']}"
            )
        )
        assert "token=" not in str(payload)  # the links are credentials: sealed at rest
        context = unsealed(payload, tuple(runtime.settings.data_encryption_keys))
        assert context["invoice"]["number"] == inv["number"]
        url, pdf = context["invoice_url"], context["pdf_url"]
        assert f"/t/{tenant.slug}/v1/invoices/{inv['id']}?token=" in url
        assert pdf.startswith(url.split("?")[0] + "/pdf?token=")
        links.check_invoice_token(url.split("token=")[1], inv["id"])
        import pytest

        from shared.errors import NotFound

        with pytest.raises(NotFound):
            links.check_invoice_token(url.split("token=")[1], inv["id"] + 1)


def test_the_property_address_is_printed_and_a_price_override_is_its_own_line(
    client, runtime, tenant
):
    from tenantapp.customers.models import Property

    booking = booked(client, runtime, tenant)  # 105.00 estimate
    with InTenant(runtime, tenant) as sess:
        row = sess.get(Booking, booking["id"])
        prop = Property(customer_id=row.customer_id, address="9 Rue Sainte-Anne", postal_code="H2X")
        sess.add(prop)
        sess.flush()
        row.property_id = prop.id
        row.price_override_cents, row.price_override_reason = 9000, "Loyal customer"
        row.total_cents = 9000
        sess.commit()
    complete(client, tenant, booking["id"])
    inv = invoice_of_booking(client, tenant, booking["id"])
    assert (inv["bill_to"]["address"], inv["bill_to"]["postal_code"]) == (
        "9 Rue Sainte-Anne",
        "H2X",
    )
    override = inv["lines"][-1]
    assert (override["kind"], override["amount_cents"]) == ("discount", -1500)
    assert override["description"] == "Price adjustment: Loyal customer"
    assert inv["subtotal_cents"] == 9000
