"""Lead intake, customers, referrals, captcha, listing, CSV and the lead status machine."""

import csv
import io

import pytest

from tests.support import ApiClient


def post_lead(client, tenant, body, **kw):
    return client.post(tenant.url("/leads"), json=body, **kw)


def test_lead_is_priced_server_side_and_gets_a_referral_code(client, tenant, lead_body):
    lead_body["estimate_request"]["total_before_tax"] = "1.00"
    assert post_lead(client, tenant, lead_body).status_code == 422  # client totals refused
    del lead_body["estimate_request"]["total_before_tax"]
    resp = post_lead(client, tenant, lead_body)
    assert resp.status_code == 201, resp.get_json()
    data = resp.get_json()
    assert data["estimate"]["total_before_tax"] == "157.50"
    assert len(data["referral_code"]) == 8 and data["referral_code"].isalnum()
    assert data["referral_code"] == data["referral_code"].upper()
    detail = client.get(tenant.url(f"/admin/leads/{data['lead_id']}"), headers=tenant.headers)
    lead = detail.get_json()["lead"]
    assert lead["phone"] == "+14035550142" and lead["email"] == "dana@example.com"
    assert lead["estimate"]["config_hash"].startswith("sha256:")


def test_customer_matched_by_email_then_phone(client, tenant, lead_body):
    first = post_lead(client, tenant, lead_body).get_json()["lead_id"]
    lead_body["email"] = "DANA@Example.COM"
    lead_body["phone"] = "+1 587 555 0199"
    second = post_lead(client, tenant, lead_body).get_json()["lead_id"]
    lead_body["email"] = None
    lead_body["phone"] = "403-555-0142"
    third = post_lead(client, tenant, lead_body).get_json()["lead_id"]
    lead_body["email"] = "someone.else@example.com"
    lead_body["phone"] = "+1 825 555 0100"
    fourth = post_lead(client, tenant, lead_body).get_json()["lead_id"]
    ids = [
        client.get(tenant.url(f"/admin/leads/{i}"), headers=tenant.headers).get_json()["lead"][
            "customer_id"
        ]
        for i in (first, second, third, fourth)
    ]
    assert ids[0] == ids[1] == ids[2] != ids[3]
    customer = client.get(tenant.url(f"/admin/customers/{ids[0]}"), headers=tenant.headers)
    assert len(customer.get_json()["leads"]) == 3


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", None),
        ("phone", "12"),
        ("phone", "not a phone"),
        ("notes", "x" * 501),
        ("email", "nope"),
        ("surprise", 1),
        ("referral_code", "abc"),
    ],
)
def test_bad_lead_fields_are_422(client, tenant, lead_body, field, value):
    if value is None:
        del lead_body[field]
    else:
        lead_body[field] = value
    resp = post_lead(client, tenant, lead_body)
    assert resp.status_code == 422, resp.get_json()


def test_notes_of_500_chars_are_accepted(client, tenant, lead_body):
    lead_body["notes"] = "x" * 500
    assert post_lead(client, tenant, lead_body).status_code == 201


def test_bad_estimate_request_is_422_with_nested_field(client, tenant, lead_body):
    lead_body["estimate_request"]["baths"] = 2.25
    lead_body["estimate_request"]["add_ons"] = {"jacuzzi": True}
    resp = post_lead(client, tenant, lead_body)
    assert resp.status_code == 422
    fields = {e["field"] for e in resp.get_json()["errors"]}
    assert any(f.startswith("estimate_request.baths") for f in fields)


def test_unknown_add_on_in_a_lead_names_the_nested_field(client, tenant, lead_body):
    lead_body["estimate_request"]["add_ons"] = {"jacuzzi": True}
    resp = post_lead(client, tenant, lead_body)
    assert resp.status_code == 422
    assert [e["field"] for e in resp.get_json()["errors"]] == ["estimate_request.add_ons.jacuzzi"]


def test_valid_referral_code_is_recorded_unknown_is_400(client, tenant, lead_body):
    code = post_lead(client, tenant, lead_body).get_json()["referral_code"]
    lead_body.update(
        email="friend@example.com", phone="+1 780 555 0111", referral_code=code.lower()
    )
    friend = post_lead(client, tenant, lead_body)
    assert friend.status_code == 201
    lead = client.get(
        tenant.url(f"/admin/leads/{friend.get_json()['lead_id']}"), headers=tenant.headers
    ).get_json()["lead"]
    assert lead["referred_by_code"] == code
    lead_body["referral_code"] = "ZZZZZZZZ"
    resp = post_lead(client, tenant, lead_body)
    assert resp.status_code == 400


def test_referral_code_of_another_tenant_is_unknown(client, tenant, other_tenant, lead_body):
    code = post_lead(client, other_tenant, lead_body).get_json()["referral_code"]
    lead_body["referral_code"] = code
    assert post_lead(client, tenant, lead_body).status_code == 400


def test_status_machine(client, tenant, lead_body):
    lead_id = post_lead(client, tenant, lead_body).get_json()["lead_id"]
    url = tenant.url(f"/admin/leads/{lead_id}/status")
    go = lambda s: client.post(url, json={"status": s}, headers=tenant.headers)  # noqa: E731
    assert go("DONE").status_code == 409 and go("DONE").get_json()["code"] == "invalid_transition"
    assert go("CONTACTED").status_code == 200
    assert go("NEW").status_code == 409
    assert go("BOOKED").status_code == 200
    assert go("DONE").status_code == 200
    assert go("CANCELLED").status_code == 409
    assert go("WHATEVER").status_code == 422


@pytest.mark.parametrize(
    ("start", "allowed"),
    [
        ("NEW", {"CONTACTED", "BOOKED", "CANCELLED"}),
        ("CONTACTED", {"BOOKED", "CANCELLED"}),
        ("BOOKED", {"DONE", "CANCELLED"}),
        ("DONE", set()),
        ("CANCELLED", set()),
    ],
)
def test_every_transition(start, allowed):
    from tenantapp.leads.service import TRANSITIONS

    assert TRANSITIONS[start] == allowed


def test_list_newest_first_filter_and_paginate(client, tenant, lead_body):
    ids = [post_lead(client, tenant, lead_body).get_json()["lead_id"] for _ in range(3)]
    client.post(
        tenant.url(f"/admin/leads/{ids[0]}/status"),
        json={"status": "CANCELLED"},
        headers=tenant.headers,
    )
    page = client.get(tenant.url("/admin/leads?limit=2"), headers=tenant.headers).get_json()
    assert [i["id"] for i in page["items"]] == [ids[2], ids[1]]
    rest = client.get(
        tenant.url(f"/admin/leads?limit=2&cursor={page['next_cursor']}"), headers=tenant.headers
    ).get_json()
    assert [i["id"] for i in rest["items"]] == [ids[0]] and rest["next_cursor"] is None
    cancelled = client.get(tenant.url("/admin/leads?status=CANCELLED"), headers=tenant.headers)
    assert [i["id"] for i in cancelled.get_json()["items"]] == [ids[0]]


def test_csv_export_is_formula_safe_with_a_header(client, tenant, lead_body):
    for name in ('=HYPERLINK("http://evil")', "+SUM(A1)", "-1+2", "@cmd", "\tTab", "\rCR", "Plain"):
        lead_body["name"] = name
        assert post_lead(client, tenant, lead_body).status_code == 201
    resp = client.get(tenant.url("/admin/leads?format=csv"), headers=tenant.headers)
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(resp.get_data(as_text=True))))
    assert rows[0][:4] == ["id", "created_at", "status", "name"]
    names = [r[3] for r in rows[1:]]
    assert "Plain" in names
    for name in names:
        if name != "Plain":
            assert name.startswith("'"), name
    assert not any(
        cell.startswith(("=", "+", "-", "@", "\t", "\r")) for row in rows[1:] for cell in row
    )


def test_csv_date_range_is_tenant_local_from_inclusive_to_exclusive(client, tenant, lead_body):
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    post_lead(client, tenant, lead_body)
    today = datetime.now(ZoneInfo("America/Edmonton")).date()
    url = tenant.url(f"/admin/leads?format=csv&from={today}&to={today + timedelta(days=1)}")
    assert len(client.get(url, headers=tenant.headers).get_data(as_text=True).splitlines()) == 2
    url = tenant.url(f"/admin/leads?format=csv&from={today + timedelta(days=1)}")
    assert len(client.get(url, headers=tenant.headers).get_data(as_text=True).splitlines()) == 1


def test_captcha_turnstile(runtime, turnstile_url, lead_body):
    from tests.support import signup
    from wsgi import create_wsgi

    settings = runtime.settings.replace(
        captcha_mode="turnstile",
        turnstile_verify_url=turnstile_url,
        turnstile_secret_key="turnstile-secret",
    )
    client = ApiClient(create_wsgi(settings))
    tenant = signup(client)
    missing = post_lead(client, tenant, lead_body)
    assert missing.status_code == 400 and missing.get_json()["code"] == "captcha_failed"
    lead_body["captcha_token"] = "bad"
    assert post_lead(client, tenant, lead_body).get_json()["code"] == "captcha_failed"
    lead_body["captcha_token"] = "good"
    assert post_lead(client, tenant, lead_body).status_code == 201


def test_tenant_captcha_setting_turns_it_on(client, tenant, lead_body, runtime, turnstile_url):
    client.patch(
        tenant.url("/admin/settings"), json={"captcha_mode": "turnstile"}, headers=tenant.headers
    )
    resp = post_lead(client, tenant, lead_body)
    assert resp.status_code == 400 and resp.get_json()["code"] == "captcha_failed"


def test_captcha_service_down_is_a_clear_400(runtime, lead_body):
    from tests.support import signup
    from wsgi import create_wsgi

    settings = runtime.settings.replace(
        captcha_mode="turnstile", turnstile_verify_url="http://127.0.0.1:9/siteverify"
    )
    client = ApiClient(create_wsgi(settings))
    tenant = signup(client)
    lead_body["captcha_token"] = "good"
    resp = post_lead(client, tenant, lead_body)
    assert resp.status_code == 400
    assert resp.get_json()["code"] == "captcha_failed"


def test_isolation_of_lead_and_customer_ids(client, tenant, other_tenant, lead_body):
    lead_id = post_lead(client, tenant, lead_body).get_json()["lead_id"]
    for _ in range(2):
        post_lead(client, tenant, lead_body)
    newest = client.get(tenant.url("/admin/leads?limit=1"), headers=tenant.headers).get_json()
    high = newest["items"][0]["id"]
    customer_id = newest["items"][0]["customer_id"]
    assert (
        client.get(
            other_tenant.url(f"/admin/leads/{high}"), headers=other_tenant.headers
        ).status_code
        == 404
    )
    assert (
        client.post(
            other_tenant.url(f"/admin/leads/{high}/status"),
            json={"status": "DONE"},
            headers=other_tenant.headers,
        ).status_code
        == 404
    )
    assert (
        client.get(tenant.url(f"/admin/leads/{lead_id}"), headers=other_tenant.headers).status_code
        == 403
    )
    assert (
        client.get(
            tenant.url(f"/admin/customers/{customer_id}"), headers=other_tenant.headers
        ).status_code
        == 403
    )
    assert (
        client.get(
            other_tenant.url("/admin/customers/999999"), headers=other_tenant.headers
        ).status_code
        == 404
    )
