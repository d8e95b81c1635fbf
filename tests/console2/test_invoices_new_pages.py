"""A new invoice from the console (SPEC §5.14, §5.11): a draft from a completed booking or from a
customer and typed lines — ``InvoiceCreate`` and ``service.create_invoice`` (``POST
/admin/invoices``) — with the API's errors beside the fields and its 409 as a message; one
draft for a form posted twice; finance only; other workspaces' ids are 404 (or the API's "No
such booking." beside the typed number)."""

from __future__ import annotations

import re

import pytest

from tests.console.helpers import add_member, console, csrf_of, post_form, signed_in
from tests.invoices.helpers import booked, complete, customer_id, get, settings


def _invoices(client, tenant, cid=None) -> list[dict]:
    items = get(client, tenant, "/admin/invoices?limit=200")["items"]
    return [i for i in items if cid is None or i["customer_id"] == cid]


def _post(client, tenant, data, query="", page=None):
    page = page or client.get(console(tenant, f"/invoices/new{query}"))
    assert page.status_code == 200, page.text[:500]
    key = re.search(r'name="form_key" value="([0-9a-f]+)"', page.text).group(1)
    body = {"form_key": key, **data}
    return post_form(client, console(tenant, "/invoices/new"), body, token=csrf_of(page.text))


def _lines(cid, *rows, **extra) -> dict:
    body = {"source": "lines", "customer_id": str(cid), **extra}
    for i, (kind, text, qty, price) in enumerate(rows):
        body.update(
            {
                f"lines.{i}.kind": kind,
                f"lines.{i}.description": text,
                f"lines.{i}.quantity": qty,
                f"lines.{i}.price": price,
                f"lines.{i}.taxable": "1",
            }
        )
    return body


def test_a_draft_from_a_completed_booking_and_its_409_the_second_time(client, runtime, tenant):
    settings(client, tenant, invoice_on_complete="off")
    booking = booked(client, runtime, tenant)
    complete(client, tenant, booking["id"])
    assert not _invoices(client, tenant)
    signed_in(client, tenant)
    listed = client.get(console(tenant, "/invoices"))
    assert f'href="{console(tenant, "/invoices/new")}"' in listed.text
    page = client.get(console(tenant, f"/invoices/new?booking_id={booking['id']}"))
    assert f'name="booking_id" type="text" value="{booking["id"]}"' in page.text
    resp = _post(client, tenant, {"source": "booking", "booking_id": str(booking["id"])})
    assert resp.status_code == 303, resp.text[:800]
    assert resp.headers["Location"].endswith("done=created")
    (inv,) = _invoices(client, tenant)
    assert inv["booking_id"] == booking["id"] and inv["status"] == "DRAFT"
    assert "Draft invoice created" in client.get(resp.headers["Location"]).text
    again = _post(client, tenant, {"source": "booking", "booking_id": str(booking["id"])})
    assert again.status_code == 409 and 'class="notice error-box" role="alert">' in again.text
    assert len(_invoices(client, tenant)) == 1
    unknown = _post(client, tenant, {"source": "booking", "booking_id": "999999"})
    assert unknown.status_code == 422
    assert 'id="nb-booking_id-error" aria-live="polite">No such booking.' in unknown.text


def test_a_draft_from_typed_lines_with_a_discount(client, tenant):
    cid = customer_id(client, tenant)
    signed_in(client, tenant)
    picked = client.get(console(tenant, f"/invoices/new?customer_id={cid}"))
    assert "Line 5" in picked.text
    body = _lines(
        cid,
        ("service", "Move-out clean", "1", "320"),
        ("add_on", "Inside the fridge", "2", "25.50"),
        ("discount", "Spring offer", "1", "-20"),
        notes="Thank you",
    )
    resp = _post(client, tenant, body, f"?customer_id={cid}")
    assert resp.status_code == 303, resp.text[:800]
    (inv,) = _invoices(client, tenant, cid)
    view = get(client, tenant, f"/admin/invoices/{inv['id']}")
    assert [ln["unit_price_cents"] for ln in view["lines"]] == [32000, 2550, -2000]
    assert view["subtotal_cents"] == 32000 + 5100 - 2000 and view["notes"] == "Thank you"


def test_line_errors_sit_beside_their_row(client, tenant):
    cid = customer_id(client, tenant)
    signed_in(client, tenant)
    body = _lines(
        cid,
        ("service", "Clean", "1", "100"),
        ("service", "Negative", "1", "-5"),
        ("custom", "", "1", "12.345"),
    )
    body.update({"lines.3.kind": "custom", "lines.3.description": "Blank price"})
    resp = _post(client, tenant, body, f"?customer_id={cid}")
    assert resp.status_code == 422
    assert "Enter an amount like 25 or 25.50." in resp.text  # row 3's price, the console's own
    assert 'id="f-lines-2-price-error" aria-live="polite">Enter an amount' in resp.text
    assert not _invoices(client, tenant, cid)
    body.pop("lines.2.price"), body.pop("lines.2.description")
    body.pop("lines.3.description")
    resp = _post(client, tenant, body, f"?customer_id={cid}")
    assert resp.status_code == 422
    assert 'id="f-lines-1-price-error" aria-live="polite">Only a discount line' in resp.text
    assert 'value="Negative"' in resp.text  # what was typed stays
    nothing = _post(client, tenant, {"source": "lines", "customer_id": str(cid)})
    assert nothing.status_code == 422
    assert 'role="alert">Give booking_id, or customer_id with lines.</p>' in nothing.text
    assert not _invoices(client, tenant, cid)


def test_a_form_posted_twice_makes_one_draft(client, tenant):
    cid = customer_id(client, tenant)
    signed_in(client, tenant)
    page = client.get(console(tenant, f"/invoices/new?customer_id={cid}"))
    body = _lines(cid, ("service", "Clean", "1", "100"))
    assert _post(client, tenant, body, page=page).status_code == 303
    assert _post(client, tenant, body, page=page).status_code == 303
    assert len(_invoices(client, tenant, cid)) == 1


@pytest.mark.parametrize("role", ["viewer", "dispatcher"])
def test_only_finance_makes_invoices(client, runtime, tenant, role):
    cid = customer_id(client, tenant)
    token = signed_in(client, tenant, add_member(runtime, tenant, role))
    page = client.get(console(tenant, f"/invoices/new?customer_id={cid}"))
    assert page.status_code == 403 and "finance permission" in page.text
    body = _lines(cid, ("service", "Clean", "1", "100"))
    resp = post_form(client, console(tenant, "/invoices/new"), body, token=token)
    assert resp.status_code == 403 and not _invoices(client, tenant, cid)


def test_another_workspaces_ids_are_404(client, runtime, tenant, other_tenant):
    for _ in range(3):
        theirs = customer_id(client, other_tenant)
    settings(client, other_tenant, invoice_on_complete="off")
    their_booking = booked(client, runtime, other_tenant)
    token = signed_in(client, tenant)
    assert client.get(console(tenant, f"/invoices/new?customer_id={theirs}")).status_code == 404
    page = client.get(console(tenant, f"/invoices/new?booking_id={their_booking['id']}"))
    assert page.status_code == 404
    body = _lines(theirs, ("service", "Clean", "1", "100"))
    resp = post_form(client, console(tenant, "/invoices/new"), body, token=token)
    assert resp.status_code == 404
    assert not _invoices(client, other_tenant)
