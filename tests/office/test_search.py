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
