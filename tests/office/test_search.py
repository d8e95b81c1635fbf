"""GET /admin/search (SPEC §5.9): customers by name, e-mail, phone in any format, address and
postal code; leads; bookings by id prefix; workers; ranked; ≤ 20 per type; tenant-isolated."""

from __future__ import annotations

import pytest

from tests.bookings.conftest import at, book, make_lead, monday
from tests.office.helpers import add_customer, search
from tests.workforce.helpers import make_worker


def _ids(resp, kind="customer"):
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return [i["id"] for i in resp.get_json()["items"] if i["type"] == kind]


@pytest.mark.parametrize(
    "typed", ["+1 780 555 0123", "(780) 555-0123", "780.555.0123", "7805550123", "555-0123"]
)
def test_a_phone_typed_any_way_finds_the_customer(client, runtime, tenant, typed):
    cid = add_customer(runtime, tenant, "Dana Phone", phone="+17805550123")
    add_customer(runtime, tenant, "Other Person", phone="+17805550999")
    assert _ids(search(client, tenant, typed)) == [cid]


def test_a_street_word_finds_the_address(client, runtime, tenant):
    cid = add_customer(runtime, tenant, "Jo Street", address="10230 Jasper Ave", postal="T5J 0N3")
    add_customer(runtime, tenant, "Nobody", address="1 Whyte Ave")
    resp = search(client, tenant, "Jasper")
    assert _ids(resp) == [cid]
    item = resp.get_json()["items"][0]
    assert item["title"] == "Jo Street" and "10230 Jasper Ave" in item["subtitle"]
    assert _ids(search(client, tenant, "t5j0n3")) == [cid]
    assert _ids(search(client, tenant, "T5J 0N3")) == [cid]


def test_name_and_email_rank_exact_then_prefix_then_fuzzy(client, runtime, tenant):
    fuzzy = add_customer(runtime, tenant, "Jon Smyth")
    prefix = add_customer(runtime, tenant, "Anna Smithers")
    exact = add_customer(runtime, tenant, "smith")
    contains = add_customer(runtime, tenant, "Goldsmith Co")
    by_mail = add_customer(runtime, tenant, "Mail Only", email="kim.smith@example.com")
    resp = search(client, tenant, "Smith")
    items = [i for i in resp.get_json()["items"] if i["type"] == "customer"]
    order = [i["id"] for i in items]
    assert order[0] == exact and items[0]["match"] == "exact"
    assert set(order[1:3]) == {prefix, by_mail}
    assert order.index(contains) > order.index(prefix)
    assert fuzzy not in order or order.index(fuzzy) > order.index(contains)
    assert fuzzy in _ids(search(client, tenant, "Jon Smith"))  # a typo still finds him


def test_at_most_limit_per_type_and_limit_is_bounded(client, runtime, tenant):
    for n in range(21):
        add_customer(runtime, tenant, f"Many Person {n}")
    assert len(_ids(search(client, tenant, "Many", limit=20))) == 20
    assert len(_ids(search(client, tenant, "Many"))) == 10
    assert search(client, tenant, "Many", limit=21).status_code == 422
    assert search(client, tenant, "Many", limit=0).status_code == 422


def test_bad_queries_are_422(client, tenant):
    assert search(client, tenant, "").status_code == 422
    assert search(client, tenant, "   ").status_code == 422
    assert search(client, tenant, "x" * 201).status_code == 422
    assert search(client, tenant, "x", types="customer,planets").status_code == 422
    assert search(client, tenant, "50%_(\\").status_code == 200


def test_leads_bookings_and_workers_are_found(client, runtime, tenant):
    day = monday()
    lead = make_lead(client, tenant, name="Quinn Lead", email="quinn@example.com")
    booking = book(client, tenant, lead["lead_id"], at(day, "09:00")).get_json()
    worker = make_worker(client, tenant, name="Wendy Worker")
    assert lead["lead_id"] in _ids(search(client, tenant, "Quinn", types="leads"), "lead")
    resp = search(client, tenant, str(booking["id"]), types="booking")
    assert _ids(resp, "booking")[0] == booking["id"]
    assert _ids(search(client, tenant, f"#{booking['id']}"), "booking")[0] == booking["id"]
    assert _ids(search(client, tenant, "wendy"), "worker") == [worker.id]
    only = search(client, tenant, "Quinn", types="worker").get_json()["items"]
    assert all(i["type"] == "worker" for i in only)


def test_search_in_one_tenant_never_finds_another_tenants_rows(
    client, runtime, tenant, other_tenant
):
    add_customer(runtime, tenant, "Secret Sam", phone="+17805550123", address="10230 Jasper Ave")
    for q in ("Secret", "Jasper", "780 555 0123"):
        assert search(client, other_tenant, q).get_json()["items"] == []
        foreign = client.get(
            tenant.url("/admin/search"), query_string={"q": q}, headers=other_tenant.headers
        )
        assert foreign.status_code == 403


def test_invoices_are_found_by_number_amount_and_customer_name(client, runtime, tenant):
    from tests.invoices.helpers import line, manual_invoice, post

    greta = add_customer(runtime, tenant, "Greta Ledger", email="greta@example.com")
    other = add_customer(runtime, tenant, "Otto Payer", email="otto@example.com")
    a = manual_invoice(client, tenant, [line(10500)], cid=greta)
    b = manual_invoice(client, tenant, [line(7725)], cid=other)
    draft = manual_invoice(client, tenant, [line(3300)], cid=greta)
    number_a = post(client, tenant, f"/admin/invoices/{a['id']}/issue")["number"]
    number_b = post(client, tenant, f"/admin/invoices/{b['id']}/issue")["number"]
    counter_b = number_b.rsplit("-", 1)[1]  # "000002"

    items = search(client, tenant, number_a.lower()).get_json()["items"]
    hit = next(i for i in items if i["type"] == "invoice")
    assert (hit["id"], hit["title"], hit["match"]) == (a["id"], number_a, "exact")
    assert "Greta Ledger" in hit["subtitle"] and "105.00" in hit["subtitle"]
    # The count alone, with or without its zeros, is that invoice exactly.
    assert _ids(search(client, tenant, counter_b), "invoice")[0] == b["id"]
    assert _ids(search(client, tenant, "0" + counter_b, types="invoice"), "invoice") == []
    # Amounts as typed: the total, in any usual money form; a cent off finds nothing.
    for typed in ("105", "105.00", "$105", "$ 105.0"):
        assert _ids(search(client, tenant, typed, types="invoice"), "invoice") == [a["id"]]
    assert _ids(search(client, tenant, "77.25", types="invoices"), "invoice") == [b["id"]]
    assert _ids(search(client, tenant, "77.26", types="invoice"), "invoice") == []
    # The customer's name finds their invoices, the draft (no number yet) too, newest first.
    found = search(client, tenant, "Greta", types="invoice").get_json()["items"]
    assert [i["id"] for i in found] == [draft["id"], a["id"]]
    assert found[0]["title"] == f"Draft invoice #{draft['id']}"


def test_another_tenant_never_finds_the_invoices(client, runtime, tenant, other_tenant):
    from tests.invoices.helpers import line, manual_invoice, post

    cid = add_customer(runtime, tenant, "Hidden Invoicee")
    inv = manual_invoice(client, tenant, [line(4242)], cid=cid)
    number = post(client, tenant, f"/admin/invoices/{inv['id']}/issue")["number"]
    for q in (number, "42.42", "Hidden"):
        assert search(client, other_tenant, q).get_json()["items"] == []
