"""Hostile input never 500s (issue 18, item 5): each case here once did, or nearly did.

``ApiClient`` fails any test that sees a 500; each test also checks the exact 4xx."""

from __future__ import annotations

import json

import pytest

HUGE_DIGITS = "9" * 5000


def _json(client, method, url, text: str, headers=None):
    return client.open(
        url, method=method, data=text, content_type="application/json", headers=headers or {}
    )


# ------------------------------------------------------------------ far dates
@pytest.mark.parametrize("day", ["9999-12-31", "3000-01-01", "0001-01-01", "1899-12-31"])
def test_far_dates_on_slots_are_422(client, tenant, day):
    resp = client.get(tenant.url(f"/slots?date={day}&service_type=standard&time_on_site_hours=2"))
    assert resp.status_code == 422, resp.get_data(as_text=True)
    assert resp.get_json()["errors"][0]["field"] == "date"


@pytest.mark.parametrize("day", ["2999-12-31", "1900-01-01"])
def test_dates_at_the_edges_of_the_calendar_are_served(client, tenant, day):
    resp = client.get(tenant.url(f"/slots?date={day}&service_type=standard&time_on_site_hours=2"))
    assert resp.status_code == 200, resp.get_data(as_text=True)
    resp = client.get(tenant.url(f"/admin/schedule?day={day}"), headers=tenant.headers)
    assert resp.status_code == 200, resp.get_data(as_text=True)


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "3000-01-01"])
def test_far_dates_on_the_admin_schedule_are_422(client, tenant, day):
    resp = client.get(tenant.url(f"/admin/schedule?day={day}"), headers=tenant.headers)
    assert resp.status_code == 422, resp.get_data(as_text=True)
    assert resp.get_json()["errors"][0]["field"] == "day"


def test_far_dates_in_a_body_are_422_on_their_field(client, tenant):
    body = {"starts_at": "9999-12-31T10:00:00Z", "ends_at": "9999-12-31T12:00:00Z"}
    resp = client.post(tenant.url("/admin/blackouts"), json=body, headers=tenant.headers)
    assert resp.status_code == 422, resp.get_data(as_text=True)
    assert {e["field"] for e in resp.get_json()["errors"]} >= {"starts_at", "ends_at"}


# ------------------------------------------------------------------ oversized integers
@pytest.mark.parametrize("value", [2**63, 2**64, -(2**63) - 1, int("9" * 40)])
def test_oversized_integer_ids_in_bodies_and_queries_are_422(client, tenant, value):
    resp = client.get(tenant.url(f"/slots?date=2030-01-07&lead_id={value}"))
    assert resp.status_code == 422, resp.get_data(as_text=True)
    assert resp.get_json()["errors"] == [{"field": "lead_id", "message": "Number is out of range."}]
    body = {"teams": [{"id": value, "name": "Big"}]}
    resp = client.put(tenant.url("/admin/teams"), json=body, headers=tenant.headers)
    assert resp.status_code == 422, resp.get_data(as_text=True)
    assert resp.get_json()["errors"][0]["field"] == "teams.0.id"


def test_the_largest_bigint_in_a_body_is_not_refused_by_the_range_rule(client, tenant):
    body = {"teams": [{"id": 2**63 - 1, "name": "Big"}]}
    resp = client.put(tenant.url("/admin/teams"), json=body, headers=tenant.headers)
    assert resp.status_code in (404, 422)
    assert all(
        e["field"] != "teams.0.id" or "range" not in e["message"]
        for e in (resp.get_json().get("errors") or [])
    )


@pytest.mark.parametrize(
    "path",
    [
        "/admin/bookings/{n}",
        "/admin/leads/{n}",
        "/admin/workers/{n}",
        "/admin/outbox/{n}/replay",
    ],
)
def test_oversized_integer_ids_in_paths_are_404(client, tenant, path):
    for n in (2**63, 2**64, int("9" * 60)):
        url = tenant.url(path.format(n=n))
        method = "POST" if path.endswith("replay") else "GET"
        headers = {**tenant.headers, "Idempotency-Key": f"k-{n}"}
        resp = client.open(url, method=method, headers=headers)
        assert resp.status_code == 404, (url, resp.get_data(as_text=True)[:200])


def test_a_5000_digit_integer_in_a_body_is_a_400(client, tenant):
    text = '{"teams": [{"id": HUGE, "name": "Big"}]}'.replace("HUGE", HUGE_DIGITS)
    resp = _json(client, "PUT", tenant.url("/admin/teams"), text, tenant.headers)
    assert resp.status_code == 400, resp.get_data(as_text=True)[:300]
    assert resp.mimetype == "application/problem+json"
    assert resp.get_json()["code"] == "bad_request"
    text = '{"company_name": "A", "slug": "abc-def", "email": "a@b.co", "password": HUGE}'
    text = text.replace("HUGE", HUGE_DIGITS)
    resp = _json(client, "POST", "/v1/signup", text)
    assert resp.status_code == 400, resp.get_data(as_text=True)[:300]


def test_a_5000_digit_integer_in_a_query_is_a_422(client, tenant):
    resp = client.get(tenant.url(f"/admin/leads?limit={HUGE_DIGITS}"), headers=tenant.headers)
    assert resp.status_code == 422, resp.get_data(as_text=True)[:300]


# ------------------------------------------------------------------ NUL in the slug
@pytest.mark.parametrize("slug", ["ab\x00c", "%00", "demo%00", "a%00b-c", "a" * 5000])
def test_nul_or_junk_in_the_slug_is_a_404(client, tenant, slug):
    resp = client.get(f"/t/{slug}/v1/company")
    assert resp.status_code == 404, resp.get_data(as_text=True)[:300]
    assert resp.mimetype == "application/problem+json"
    resp = client.get(f"/t/{tenant.slug}%00/v1/company")
    assert resp.status_code == 404


def test_nul_in_a_signup_slug_is_a_400(client):
    body = {"company_name": "A", "slug": "ab\x00cd", "email": "n@example.com", "password": "x"}
    resp = client.post("/v1/signup", json=body)
    assert resp.status_code == 400


# ------------------------------------------------------------------ deeply nested JSON
@pytest.mark.parametrize("depth", [33, 200, 5000, 100_000])
def test_deeply_nested_json_is_a_400(client, tenant, depth):
    text = "[" * depth + "]" * depth
    resp = _json(client, "PUT", tenant.url("/admin/teams"), text, tenant.headers)
    assert resp.status_code == 400, resp.get_data(as_text=True)[:300]
    assert resp.get_json()["code"] == "bad_request"
    nested = '{"a":' * depth + "1" + "}" * depth
    resp = _json(client, "POST", "/v1/signup", nested)
    assert resp.status_code == 400
    resp = _json(client, "POST", tenant.url("/leads"), nested)
    assert resp.status_code == 400


def test_json_nested_to_the_limit_is_still_parsed(client, tenant):
    body = {"teams": [{"name": "Solo"}], "x": json.loads("[" * 30 + "]" * 30)}  # depth 32
    resp = client.put(tenant.url("/admin/teams"), json=body, headers=tenant.headers)
    assert resp.status_code == 422  # parsed: the unknown field "x" is what is refused
    assert resp.get_json()["errors"][0]["field"] == "x"


def test_brackets_inside_strings_do_not_count_as_nesting(client, tenant):
    body = {"teams": [{"name": "[" * 100 + "{" * 100}]}
    resp = client.put(tenant.url("/admin/teams"), json=body, headers=tenant.headers)
    assert resp.status_code in (200, 422)
    assert resp.status_code != 400
