"""Staff console part 2 screens (issue 30): invoices, AR aging, reports — on the part-1 workspace
(tests/browser/console_screens.py) with a few invoices in each state."""

from __future__ import annotations

import uuid
from datetime import timedelta

from playwright.sync_api import expect

from tests.browser.console_screens import _ok, console_url, seeded_tenant, sign_in


def _post(client, tenant, path, body=None, status=(200, 201)):
    headers = {**tenant.headers, "Idempotency-Key": uuid.uuid4().hex}
    return _ok(client.post(tenant.url(path), json=body or {}, headers=headers), status)


def _invoice(client, tenant, customer_id, lines) -> dict:
    body = {
        "customer_id": customer_id,
        "lines": [
            {"kind": kind, "description": text, "quantity": qty, "unit_price_cents": cents}
            for kind, text, qty, cents in lines
        ],
    }
    return _post(client, tenant, "/admin/invoices", body)


def finance_tenant(live):
    """The part-1 workspace plus GST and four invoices: a draft, an issued one, one part paid by
    cheque and one paid in cash then partly refunded."""
    tenant, made = seeded_tenant(live)
    client = live.client()
    _ok(
        client.patch(
            tenant.url("/admin/settings"),
            json={"tax_rates": [{"code": "GST", "name": "GST", "rate": "5.000"}]},
            headers=tenant.headers,
        )
    )
    ids = [c["id"] for c, _ in made["customers"]]
    standard = ("service", "Standard clean, 2 bed / 1 bath", 1, 14500)
    deep = ("service", "Deep clean, 3 bed / 1.5 bath", 1, 26000)
    oven = ("add_on", "Inside the oven", 1, 3500)
    invoices = [
        _invoice(client, tenant, ids[0], [standard]),
        _invoice(client, tenant, ids[1], [deep, oven]),
        _invoice(client, tenant, ids[2], [standard, oven]),
        _invoice(client, tenant, ids[3], [deep]),
    ]
    for inv in invoices[1:]:
        _post(client, tenant, f"/admin/invoices/{inv['id']}/issue")
    _post(
        client,
        tenant,
        f"/admin/invoices/{invoices[2]['id']}/payments",
        {"amount_cents": 10000, "method": "cheque", "reference": "Cheque 0042"},
    )
    paid = invoices[3]
    total = _ok(client.get(tenant.url(f"/admin/invoices/{paid['id']}"), headers=tenant.headers))
    _post(
        client,
        tenant,
        f"/admin/invoices/{paid['id']}/payments",
        {"amount_cents": total["total_cents"], "method": "cash"},
    )
    _post(
        client,
        tenant,
        f"/admin/invoices/{paid['id']}/refunds",
        {"amount_cents": 2500, "reason": "Oven not cleaned"},
    )
    made["invoices"] = invoices
    return tenant, made


def _signed_in(live, page):
    tenant, made = finance_tenant(live)
    sign_in(page, live, tenant)
    return tenant, made


def console_invoices(live, page) -> None:
    tenant, _ = _signed_in(live, page)
    page.get_by_role("link", name="Invoices").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Invoices")


def console_invoice(live, page) -> None:
    tenant, made = _signed_in(live, page)
    page.goto(console_url(live, tenant, f"/invoices/{made['invoices'][3]['id']}"))


def console_invoice_open(live, page) -> None:
    tenant, made = _signed_in(live, page)
    page.goto(console_url(live, tenant, f"/invoices/{made['invoices'][2]['id']}"))


def console_invoice_errors(live, page) -> None:
    tenant, made = _signed_in(live, page)
    page.goto(console_url(live, tenant, f"/invoices/{made['invoices'][1]['id']}"))
    page.locator("#pay-amount").fill("99999")
    page.get_by_role("button", name="Record payment").click()
    expect(page.locator("#pay-amount-error")).not_to_be_empty()


def console_aging(live, page) -> None:
    tenant, _ = _signed_in(live, page)
    page.goto(console_url(live, tenant, "/invoices/aging"))


def console_reports(live, page) -> None:
    tenant, _ = _signed_in(live, page)
    page.get_by_role("link", name="Reports").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reports")


def console_leads(live, page) -> None:
    tenant, _ = _signed_in(live, page)
    client = live.client()
    for i, (name, beds) in enumerate((("Nadia Haddad", 3), ("Tom Becker", 2), ("Lin Zhou", 4))):
        _ok(
            client.post(
                tenant.url("/leads"),
                json={
                    "name": name,
                    "phone": f"+1 780 555 {3300 + i:04d}",
                    "email": f"lead{i}-{uuid.uuid4().hex[:4]}@example.com",
                    "postal_code": "T5K 0J7",
                    "estimate_request": {"beds": beds, "baths": 2},
                },
            ),
            (201,),
        )
    page.get_by_role("link", name="Leads").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Leads")


def _with_plan(live, page):
    tenant, made = _signed_in(live, page)
    customer, prop = made["customers"][2]
    first = made["day"] + timedelta(days=(1 - made["day"].weekday()) % 7 or 7)
    plan = _post(
        live.client(),
        tenant,
        "/admin/plans",
        {
            "customer_id": customer["id"],
            "property_id": prop["id"],
            "frequency": "biweekly",
            "first_date": first.isoformat(),
            "start_time": "10:00",
            "estimate_request": {"beds": 3, "baths": 2},
            "team_id": made["teams"]["North"],
        },
    )
    return tenant, plan


def console_plans(live, page) -> None:
    tenant, _ = _with_plan(live, page)
    page.get_by_role("link", name="Plans").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Plans")


def console_plan(live, page) -> None:
    tenant, plan = _with_plan(live, page)
    page.goto(console_url(live, tenant, f"/plans/{plan['id']}"))


def _waiting_visits(live, tenant, made) -> None:
    """Plan visits no team can take: three Tuesday plans at 10:00 for two teams (the third
    waits) and a Sunday plan (no team works Sundays)."""
    client = live.client()
    tuesday = made["day"] + timedelta(days=(1 - made["day"].weekday()) % 7 or 7)
    sunday = made["day"] + timedelta(days=(6 - made["day"].weekday()) % 7 or 7)
    for (customer, prop), first, clock in (
        (made["customers"][0], tuesday, "10:00"),
        (made["customers"][1], tuesday, "10:00"),
        (made["customers"][2], tuesday, "10:00"),
        (made["customers"][3], sunday, "11:00"),
    ):
        _post(
            client,
            tenant,
            "/admin/plans",
            {
                "customer_id": customer["id"],
                "property_id": prop["id"],
                "frequency": "weekly",
                "first_date": first.isoformat(),
                "start_time": clock,
                "estimate_request": {"beds": 2, "baths": 1},
                "team_id": made["teams"]["North"],
            },
        )


def conflicts_tenant(live, page):
    tenant, made = _signed_in(live, page)
    _waiting_visits(live, tenant, made)
    return tenant, made


def console_plan_conflicts(live, page) -> None:
    tenant, _ = conflicts_tenant(live, page)
    page.goto(console_url(live, tenant, "/plans"))
    page.get_by_role("link", name="Visits waiting for a team").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Plan visits waiting for a team")


def console_plan_change_errors(live, page) -> None:
    tenant, plan = _with_plan(live, page)
    page.goto(console_url(live, tenant, f"/plans/{plan['id']}"))
    page.locator("#change-effective_from").fill("2020-01-07")
    page.locator("#change-frequency").select_option("weekly")
    page.get_by_role("button", name="Change plan").click()
    expect(page.locator("#change-effective_from-error")).not_to_be_empty()


def console_new_plan(live, page) -> None:
    tenant, made = _signed_in(live, page)
    customer, _ = made["customers"][1]
    page.goto(console_url(live, tenant, "/plans"))
    page.get_by_role("link", name="New plan").click()
    page.get_by_label("Find the customer").fill(customer["name"].split()[0])
    page.get_by_role("link", name=customer["name"]).click()
    expect(page.get_by_role("button", name="Create plan")).to_be_visible()


def console_new_invoice(live, page) -> None:
    tenant, made = _signed_in(live, page)
    customer, _ = made["customers"][0]
    page.goto(console_url(live, tenant, f"/invoices/new?customer_id={customer['id']}"))
    page.locator("#f-lines-0-description").fill("Move-out clean, 3 bed / 2 bath")
    page.locator("#f-lines-0-price").fill("320")
    page.locator("#f-lines-1-description").fill("Inside the fridge")
    page.locator("#f-lines-1-price").fill("-5")
    page.get_by_role("button", name="Create draft").last.click()
    expect(page.locator("#f-lines-1-price-error")).not_to_be_empty()
