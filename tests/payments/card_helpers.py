"""A customer with a card on file, saved the way Stripe reports it (setup Checkout completed,
then ``payment_method.attached``), and the auto-charge job run inside the tenant."""

from __future__ import annotations

from datetime import datetime

from tests.invoices.helpers import InTenant
from tests.payments.conftest import post_connect_event
from tests.support import runtime_of


def save_card(client, account, customer_id, pm="pm_card_visa", stripe_customer=None):
    cus = stripe_customer or f"cus_{customer_id}_{pm[-6:]}"
    done = post_connect_event(
        client,
        "checkout.session.completed",
        {
            "id": f"cs_setup_{cus}",
            "mode": "setup",
            "customer": cus,
            "setup_intent": "seti_1",
            "metadata": {"customer_id": str(customer_id), "purpose": "card_setup"},
        },
        account,
    )
    assert done.get_json()["outcome"] == "card_setup_done", done.get_json()
    attached = post_connect_event(
        client,
        "payment_method.attached",
        {
            "id": pm,
            "object": "payment_method",
            "customer": cus,
            "card": {"brand": "visa", "last4": "4242", "exp_month": 4, "exp_year": 2030},
        },
        account,
    )
    assert attached.get_json()["outcome"] == "card_saved", attached.get_json()
    return cus


def auto_charge_on(client, tenant, customer_id):
    resp = client.patch(
        tenant.url(f"/admin/customers/{customer_id}"),
        json={"auto_charge": True},
        headers=tenant.headers,
    )
    assert resp.status_code == 200, resp.get_json()


def run_charges(client, tenant, now: datetime | None = None) -> dict:
    from tenantapp.invoices.autocharge import run_due_charges

    with InTenant(runtime_of(client), tenant):
        return run_due_charges(now)


def charge_row(client, tenant, invoice_id):
    from sqlalchemy import select

    from tenantapp.payments.models import InvoiceCharge

    with InTenant(runtime_of(client), tenant) as sess:
        row = sess.scalar(select(InvoiceCharge).where(InvoiceCharge.invoice_id == invoice_id))
        sess.expunge_all()
        return row
