"""Money in the console's errors (issue #30): the API refuses a payment, refund or credit note
over its limit with the amount in integer cents; the console shows it in the invoice's currency,
beside the field, at one cent over each limit (and takes the limit itself)."""

from __future__ import annotations

import re

from tenantapp.console.invoices import in_currency, money_text
from tests.console.helpers import console, csrf_of, post_form, signed_in
from tests.invoices.helpers import get
from tests.payments.invoice_helpers import issued


def _post(client, tenant, inv_id, tail, data):
    page = client.get(console(tenant, f"/invoices/{inv_id}"))
    url = console(tenant, f"/invoices/{inv_id}{tail}")
    form = page.text[page.text.index(f'action="{url}"') :]
    key = re.search(r'name="form_key" value="([0-9a-f]+)"', form).group(1)
    return post_form(client, url, {**data, "form_key": key}, token=csrf_of(page.text))


def _error(html: str, field_id: str) -> str:
    return re.search(rf'id="{field_id}-error" aria-live="polite">([^<]*)<', html).group(1)


def test_a_payment_one_cent_over_the_amount_due_names_it_in_dollars(client, tenant):
    inv = issued(client, tenant, 12000)
    signed_in(client, tenant)
    over = _post(client, tenant, inv["id"], "/payments", {"amount": "120.01", "method": "cash"})
    assert over.status_code == 422
    assert _error(over.text, "pay-amount") == "That is more than the amount due of $120.00."
    assert "12000" not in over.text
    exact = _post(client, tenant, inv["id"], "/payments", {"amount": "120.00", "method": "cash"})
    assert exact.status_code == 303
    assert get(client, tenant, f"/admin/invoices/{inv['id']}")["paid_cents"] == 12000


def test_a_refund_one_cent_over_the_refundable_amount_names_it_in_dollars(client, tenant):
    inv = issued(client, tenant, 123456)
    signed_in(client, tenant)
    paid = _post(client, tenant, inv["id"], "/payments", {"amount": "1,234.56", "method": "cash"})
    assert paid.status_code == 303
    body = {"refund_amount": "1234.57", "reason": "Too much"}
    over = _post(client, tenant, inv["id"], "/refunds", body)
    assert over.status_code == 422
    assert _error(over.text, "refund-refund_amount") == (
        "That is more than the refundable amount of $1,234.56 (paid and not yet refunded)."
    )
    assert "123456" not in over.text
    assert get(client, tenant, f"/admin/invoices/{inv['id']}")["refunded_cents"] == 0
    exact = _post(client, tenant, inv["id"], "/refunds", {**body, "refund_amount": "1234.56"})
    assert exact.status_code == 303
    assert get(client, tenant, f"/admin/invoices/{inv['id']}")["refunded_cents"] == 123456


def test_a_credit_one_cent_over_the_amount_due_names_both_in_dollars(client, tenant):
    inv = issued(client, tenant, 5000)
    due = get(client, tenant, f"/admin/invoices/{inv['id']}")["amount_due_cents"]
    signed_in(client, tenant)
    over_cents = due + 1
    body = {"credit_amount": f"{over_cents / 100:.2f}", "credit_reason": "Goodwill"}
    over = _post(client, tenant, inv["id"], "/credit-notes", body)  # untaxed: exactly that
    assert over.status_code == 422
    assert _error(over.text, "cn-credit_amount") == (
        f"The credit of {money_text(over_cents, 'CAD')} is more than the amount due of "
        f"{money_text(due, 'CAD')}."
    )
    exact = _post(
        client, tenant, inv["id"], "/credit-notes", {**body, "credit_amount": f"{due / 100:.2f}"}
    )
    assert exact.status_code == 303
    assert get(client, tenant, f"/admin/invoices/{inv['id']}")["amount_due_cents"] == 0


def test_the_currency_is_the_invoices():
    assert money_text(12000, "CAD") == "$120.00"
    assert money_text(100, "EUR") == "€1.00"
    assert money_text(123456789, "CHF") == "1,234,567.89 CHF"
    assert money_text(-5, "USD") == "-$0.05"
    summary = "amount_cents: That is more than the amount due (501 cents)."
    assert in_currency(summary, "GBP") == "amount_cents: That is more than the amount due of £5.01."
    assert in_currency("A VOID invoice cannot take payments.", "CAD") == (
        "A VOID invoice cannot take payments."
    )
    assert in_currency(None, "CAD") is None
