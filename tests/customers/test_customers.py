"""Staff-made customers and their properties (SPEC §5.9): phones in any format become one E.164
number in the workspace's country, e-mails are lower-cased and unique, every write is audited, and
a property that bookings or leads point at is archived instead of deleted."""

from __future__ import annotations

import pytest

from tests.bookings.conftest import make_lead


def _audit(client, tenant, action: str) -> list[dict]:
    resp = client.get(tenant.url("/admin/audit?limit=200"), headers=tenant.headers)
    return [e for e in resp.get_json()["items"] if e["action"] == action]


def _customer(client, tenant, **body) -> dict:
    resp = client.post(
        tenant.url("/admin/customers"),
        json={"name": "Robin Phone-in", **body},
        headers=tenant.headers,
    )
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


@pytest.mark.parametrize(
    "written", ["(780) 555-0142", "780-555-0142", "+1 780 555 0142", "1.780.555.0142"]
)
def test_a_phone_in_four_formats_is_one_e164_number(client, tenant, written):
    assert _customer(client, tenant, phone=written)["phone"] == "+17805550142"


def test_the_workspace_country_reads_national_numbers(client, tenant):
    resp = client.patch(
        tenant.url("/admin/settings"), json={"country": "GB"}, headers=tenant.headers
    )
    assert resp.status_code == 200 and resp.get_json()["country"] == "GB"
    assert _customer(client, tenant, phone="020 7946 0018")["phone"] == "+442079460018"
    # A number written with its country code is the same wherever the workspace is.
    assert _customer(client, tenant, phone="+1 780 555 0142")["phone"] == "+17805550142"


def test_an_unknown_country_is_422(client, tenant):
    resp = client.patch(
        tenant.url("/admin/settings"), json={"country": "XX"}, headers=tenant.headers
    )
    assert resp.status_code == 422
    assert resp.get_json()["errors"][0]["field"] == "country"


@pytest.mark.parametrize("phone", ["12", "555-01", "not a phone"])
def test_an_invalid_phone_is_422_on_phone(client, tenant, phone):
    resp = client.post(
        tenant.url("/admin/customers"),
        json={"name": "X", "phone": phone},
        headers=tenant.headers,
    )
    assert resp.status_code == 422
    assert [e["field"] for e in resp.get_json()["errors"]] == ["phone"]


def test_create_normalises_and_audits(client, tenant):
    created = _customer(
        client,
        tenant,
        email="Robin@Example.COM",
        notes="prefers mornings",
        tags=["VIP", "vip", " key holder "],
        sms_opt_in=True,
        auto_charge=True,
    )
    assert created["email"] == "robin@example.com"
    assert created["tags"] == ["vip", "key holder"]
    assert created["sms_opt_in"] is True and created["sms_opt_in_source"] == "staff"
    assert created["sms_opt_in_at"] is not None and created["auto_charge"] is True
    (entry,) = _audit(client, tenant, "customer.create")
    assert entry["entity_id"] == str(created["id"])
    assert entry["after"]["email"] == "robin@example.com"


def test_a_customer_needs_a_phone_or_an_email(client, tenant):
    resp = client.post(tenant.url("/admin/customers"), json={"name": "X"}, headers=tenant.headers)
    assert resp.status_code == 422


def test_an_email_another_customer_has_is_409(client, tenant):
    first = _customer(client, tenant, email="dup@example.com")
    resp = client.post(
        tenant.url("/admin/customers"),
        json={"name": "Y", "email": "DUP@example.com"},
        headers=tenant.headers,
    )
    assert resp.status_code == 409
    other = _customer(client, tenant, email="other@example.com")
    resp = client.patch(
        tenant.url(f"/admin/customers/{other['id']}"),
        json={"email": "dup@example.com"},
        headers=tenant.headers,
    )
    assert resp.status_code == 409
    # The same address on the customer who has it is not a conflict.
    resp = client.patch(
        tenant.url(f"/admin/customers/{first['id']}"),
        json={"email": "Dup@Example.com", "name": "First"},
        headers=tenant.headers,
    )
    assert resp.status_code == 200 and resp.get_json()["name"] == "First"


def test_patch_records_what_changed_and_consent(client, tenant):
    c = _customer(client, tenant, phone="780 555 0142")
    url = tenant.url(f"/admin/customers/{c['id']}")
    resp = client.patch(
        url, json={"phone": "(403) 555-0199", "sms_opt_in": True}, headers=tenant.headers
    )
    body = resp.get_json()
    assert resp.status_code == 200 and body["phone"] == "+14035550199"
    assert body["sms_opt_in"] and body["sms_opt_in_source"] == "staff"
    (entry,) = _audit(client, tenant, "customer.update")
    assert entry["before"] == {"phone": "+17805550142", "sms_opt_in": False}
    assert entry["after"] == {"phone": "+14035550199", "sms_opt_in": True}
    assert client.patch(url, json={}, headers=tenant.headers).status_code == 422
    resp = client.patch(url, json={"phone": None}, headers=tenant.headers)
    assert resp.status_code == 422  # the last way to reach them


def test_list_filters_by_name_email_and_phone_in_any_format(client, tenant):
    a = _customer(client, tenant, phone="780 555 0142", email="jo@example.com", name="Jo Smith")
    b = _customer(client, tenant, phone="403 555 0199", name="Sam Jones")

    def ids(q):
        resp = client.get(
            tenant.url("/admin/customers"), query_string={"q": q}, headers=tenant.headers
        )
        return [c["id"] for c in resp.get_json()["items"]]

    assert ids("smith") == [a["id"]]
    assert ids("(780) 555") == [a["id"]]
    assert ids("JONES") == [b["id"]]
    assert ids("jo@") == [a["id"]]
    assert ids("100%_") == []


def _property(client, tenant, customer_id, **body):
    resp = client.post(
        tenant.url(f"/admin/customers/{customer_id}/properties"),
        json={"address": "10230 Jasper Ave", **body},
        headers=tenant.headers,
    )
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def test_property_crud_and_unused_delete(client, tenant):
    c = _customer(client, tenant, phone="780 555 0142")
    p = _property(
        client,
        tenant,
        c["id"],
        postal_code="T5J 1A1",
        key_notes="lockbox 4411",
        pets="cat",
        home={"beds": 3, "baths": 2.5, "service_type": "deep"},
    )
    assert p["home"]["baths"] == 2.5 and p["archived"] is False
    url = tenant.url(f"/admin/customers/{c['id']}/properties/{p['id']}")
    resp = client.patch(url, json={"parking": "back alley"}, headers=tenant.headers)
    assert resp.status_code == 200 and resp.get_json()["parking"] == "back alley"
    resp = client.delete(url, headers=tenant.headers)
    assert resp.status_code == 204
    listed = client.get(
        tenant.url(f"/admin/customers/{c['id']}/properties?include_archived=true"),
        headers=tenant.headers,
    ).get_json()["items"]
    assert listed == []
    assert [e["action"] for e in _audit(client, tenant, "property.delete")] == ["property.delete"]


def test_a_bad_home_is_422_on_its_field(client, tenant):
    c = _customer(client, tenant, phone="780 555 0142")
    resp = client.post(
        tenant.url(f"/admin/customers/{c['id']}/properties"),
        json={"address": "1 Main St", "home": {"beds": 2, "baths": 0.3}},
        headers=tenant.headers,
    )
    assert resp.status_code == 422
    assert resp.get_json()["errors"][0]["field"].startswith("home.")


def test_a_property_a_lead_points_at_is_archived_not_deleted(client, tenant):
    lead = make_lead(client, tenant, address="5 Whyte Ave", postal_code="T6E 1Z1")
    detail = client.get(
        tenant.url(f"/admin/leads/{lead['lead_id']}"), headers=tenant.headers
    ).get_json()["lead"]
    customer_id, property_id = detail["customer_id"], detail["property_id"]
    assert property_id is not None
    url = tenant.url(f"/admin/customers/{customer_id}/properties/{property_id}")
    resp = client.delete(url, headers=tenant.headers)
    assert resp.status_code == 200
    assert resp.get_json()["archived"] is True and resp.get_json()["address"] == "5 Whyte Ave"
    props = tenant.url(f"/admin/customers/{customer_id}/properties")
    assert client.get(props, headers=tenant.headers).get_json()["items"] == []
    restored = client.patch(url, json={"archived": False}, headers=tenant.headers).get_json()
    assert restored["archived"] is False and restored["archived_at"] is None


def test_repeat_leads_at_one_address_share_a_property(client, tenant):
    first = make_lead(client, tenant, address="5 Whyte Ave", postal_code="T6E 1Z1")
    again = make_lead(client, tenant, address=" 5 whyte ave", postal_code="t6e1z1", pets="dog")
    other = make_lead(client, tenant, address="7 Main St")

    def prop(lead):
        return client.get(
            tenant.url(f"/admin/leads/{lead['lead_id']}"), headers=tenant.headers
        ).get_json()["lead"]["property_id"]

    assert prop(first) == prop(again) != prop(other)
    customer = client.get(tenant.url("/admin/customers"), headers=tenant.headers).get_json()[
        "items"
    ][0]
    detail = client.get(
        tenant.url(f"/admin/customers/{customer['id']}"), headers=tenant.headers
    ).get_json()
    whyte = next(p for p in detail["properties"] if p["id"] == prop(first))
    assert whyte["pets"] == "dog" and whyte["home"] == {
        "beds": 2,
        "baths": 1,
        "service_type": "standard",
        "heavy_grease": False,
        "multi_floor": False,
        "frequency": "one_time",
        "add_ons": {},
    }


def test_another_customers_property_is_404(client, tenant):
    a = _customer(client, tenant, phone="780 555 0142")
    b = _customer(client, tenant, phone="403 555 0199")
    p = _property(client, tenant, a["id"])
    url = tenant.url(f"/admin/customers/{b['id']}/properties/{p['id']}")
    assert client.patch(url, json={"pets": "x"}, headers=tenant.headers).status_code == 404
    assert client.delete(url, headers=tenant.headers).status_code == 404


def test_another_tenants_ids_get_nothing(client, tenant, other_tenant):
    c = _customer(client, tenant, phone="780 555 0142")
    p = _property(client, tenant, c["id"])
    h = other_tenant.headers
    base = other_tenant.url(f"/admin/customers/{c['id']}")
    assert client.get(base, headers=h).status_code == 404
    assert client.patch(base, json={"name": "x"}, headers=h).status_code == 404
    assert client.get(base + "/properties", headers=h).status_code == 404
    assert client.post(base + "/properties", json={"address": "x"}, headers=h).status_code == 404
    prop = base + f"/properties/{p['id']}"
    assert client.patch(prop, json={"pets": "x"}, headers=h).status_code == 404
    assert client.delete(prop, headers=h).status_code == 404
    assert client.get(other_tenant.url("/admin/customers"), headers=h).get_json()["items"] == []


def test_data_deletion_erases_properties_and_export_lists_them(client, tenant):
    c = _customer(client, tenant, email="gone@example.com", notes="likes tea", tags=["vip"])
    p = _property(client, tenant, c["id"], key_notes="lockbox 4411", home={"beds": 1, "baths": 1})
    exported = client.post(
        tenant.url("/admin/data/export"), json={"customer_id": c["id"]}, headers=tenant.headers
    ).get_json()
    assert [x["key_notes"] for x in exported["properties"]] == ["lockbox 4411"]
    resp = client.post(
        tenant.url("/admin/data-deletion/requests"),
        json={"customer_id": c["id"]},
        headers=tenant.headers,
    )
    assert resp.status_code == 200, resp.get_json()
    (kept,) = client.get(
        tenant.url(f"/admin/customers/{c['id']}/properties?include_archived=true"),
        headers=tenant.headers,
    ).get_json()["items"]
    assert kept["id"] == p["id"] and kept["archived"]
    assert (kept["address"], kept["key_notes"], kept["postal_code"]) == (None, None, None)
    erased = client.get(tenant.url(f"/admin/customers/{c['id']}"), headers=tenant.headers)
    assert erased.get_json()["notes"] is None and erased.get_json()["tags"] == []
    resp = client.patch(
        tenant.url(f"/admin/customers/{c['id']}"), json={"name": "x"}, headers=tenant.headers
    )
    assert resp.status_code == 409
