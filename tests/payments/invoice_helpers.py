"""Invoices on a tenant connected to the Stripe stand-in: issued through the API, their signed
links, and connected-account events about them."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from tests.invoices.helpers import customer_id, line, manual_invoice, post
from tests.payments.conftest import post_connect_event


def issued(client, tenant, cents=10000, **kw) -> dict:
    inv = manual_invoice(client, tenant, [line(cents)], **kw)
    return post(client, tenant, f"/admin/invoices/{inv['id']}/issue", key=False)


def token_of(inv: dict) -> str:
    return parse_qs(urlsplit(inv["pay_url"]).query)["token"][0]


def public_url(tenant, inv: dict, tail: str = "", token: str | None = None) -> str:
    return tenant.url(f"/invoices/{inv['id']}{tail}?token={token or token_of(inv)}")


def pay(client, tenant, inv, token=None):
    return client.post(public_url(tenant, inv, "/pay", token))


def session_id(url: str) -> str:
    return url.rsplit("/", 1)[1]


def completed(client, account, inv, session, intent, amount, event_id=None, customer=None):
    obj = {
        "id": session,
        "object": "checkout.session",
        "mode": "payment",
        "payment_intent": intent,
        "amount_total": amount,
        "customer": customer,
        "metadata": {"invoice_id": str(inv["id"])},
    }
    return post_connect_event(client, "checkout.session.completed", obj, account, event_id=event_id)


__all__ = ["customer_id", "issued", "line", "manual_invoice", "post"]
