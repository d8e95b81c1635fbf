"""Regressions for what the schemathesis run (tests/fuzz) found: each was a 500 or a response
that did not match the published OpenAPI document."""

from __future__ import annotations

import json

import pytest

from tests.support import ApiClient
from tests.workforce.helpers import login_worker


def _doc(client, path):
    resp = client.get(path)
    assert resp.status_code == 200
    return resp.get_json()


def _operations(doc):
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                yield f"{method.upper()} {path}", op


def test_catch_all_error_response_is_documented_as_problem_json(client, tenant):
    """flask-smorest documented its ``default`` error as application/json; errors are
    problem+json."""
    for path in ("/v1/openapi.json", tenant.url("/openapi.json")):
        for name, op in _operations(_doc(client, path)):
            default = op["responses"]["default"]
            assert list(default["content"]) == ["application/problem+json"], name


def _numeric_bounds(node, where=""):
    if isinstance(node, dict):
        for key in ("minimum", "maximum"):
            if key in node:
                yield where, node[key]
        for key, value in node.items():
            yield from _numeric_bounds(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _numeric_bounds(value, f"{where}/{i}")


def test_decimal_bounds_are_numbers(client, tenant):
    """Decimal fields' Range bounds came out as strings ("24.00"): an invalid schema."""
    doc = _doc(client, tenant.url("/openapi.json"))
    bounds = list(_numeric_bounds(doc))
    assert any(v == 24 for _, v in bounds)  # SlotQuery.time_on_site_hours is in there
    bad = [(w, v) for w, v in bounds if not isinstance(v, int | float) or isinstance(v, bool)]
    assert bad == []


def test_leads_csv_export_is_documented(client, tenant):
    doc = _doc(client, tenant.url("/openapi.json"))
    content = doc["paths"]["/admin/leads"]["get"]["responses"]["200"]["content"]
    assert set(content) == {"application/json", "text/csv"}
    resp = client.get(tenant.url("/admin/leads?format=csv"), headers=tenant.headers)
    assert resp.status_code == 200
    assert resp.mimetype == "text/csv"


@pytest.mark.parametrize("booking_id", [2**63, 183361572257705521840128])
def test_ids_beyond_bigint_are_404_not_500(client, tenant, booking_id):
    resp = client.get(tenant.url(f"/admin/bookings/{booking_id}"), headers=tenant.headers)
    assert resp.status_code == 404
    assert resp.mimetype == "application/problem+json"


def test_largest_bigint_id_is_a_plain_404(client, tenant):
    resp = client.get(tenant.url(f"/admin/bookings/{2**63 - 1}"), headers=tenant.headers)
    assert resp.status_code == 404
    assert resp.get_json()["code"] == "not_found"


def test_nul_in_json_body_is_a_400(client, tenant):
    resp = login_worker(client, tenant, "a\u0000@example.com")
    assert resp.status_code == 400
    assert resp.get_json()["code"] == "nul_character"


def test_nul_in_nested_json_and_query_is_a_400(client, tenant):
    body = {"name": "Sam", "email": "sam@example.com", "skills": ["ok", "b\u0000d"]}
    resp = client.post(tenant.url("/admin/workers"), json=body, headers=tenant.headers)
    assert resp.status_code == 400
    resp = client.get(tenant.url("/admin/leads?cursor=%00"), headers=tenant.headers)
    assert resp.status_code == 400
    assert resp.get_json()["code"] == "nul_character"


def test_text_without_nul_still_passes(client, tenant):
    resp = login_worker(client, tenant, "nobody@example.com", "wrong-password-1")
    assert resp.status_code == 401


def test_put_teams_reusing_an_unlisted_teams_name_is_a_422(client, tenant):
    """A new team named like an existing one left out of the PUT (so only deactivated, keeping
    its name) hit the unique constraint: a 500. Sending the same body twice did it."""
    body = {"teams": [{"name": "Solo"}]}
    first = client.put(tenant.url("/admin/teams"), json=body, headers=tenant.headers)
    assert first.status_code == 200
    again = client.put(tenant.url("/admin/teams"), json=body, headers=tenant.headers)
    assert again.status_code == 422
    assert "list it by id" in again.get_json()["errors"][0]["message"]
    solo = next(t for t in first.get_json()["items"] if t["name"] == "Solo")
    by_id = {"teams": [{"id": solo["id"], "name": "Solo"}]}
    assert (
        client.put(tenant.url("/admin/teams"), json=by_id, headers=tenant.headers).status_code
        == 200
    )


def test_captcha_breaker_open_is_still_a_400_captcha_failed(runtime):
    """Siteverify unreachable: after the breaker's 5 failures it opened and POST /leads answered
    503 dependency_unavailable. A captcha that cannot be checked is a failed captcha (SPEC §5.3)."""
    from shared import circuit
    from tests.leads.conftest import LEAD
    from tests.support import signup
    from wsgi import create_wsgi

    settings = runtime.settings.replace(
        captcha_mode="turnstile", turnstile_verify_url="http://127.0.0.1:9/siteverify"
    )
    client = ApiClient(create_wsgi(settings))
    tenant = signup(client)
    body = dict(LEAD, captcha_token="anything")
    circuit.reset_all()
    try:
        answers = [
            client.post(tenant.url("/leads"), json=body)
            for _ in range(circuit.breaker("captcha").fail_max + 2)
        ]
        assert circuit.states()["captcha"] == "open"
    finally:
        circuit.reset_all()  # the breaker is process-wide: other captcha tests need it closed
    assert {(r.status_code, r.get_json()["code"]) for r in answers} == {(400, "captcha_failed")}


def test_metrics_csv_is_documented_and_served_as_text_csv(client, tenant):
    """alt_response on the same 200 left only application/json in the document."""
    doc = _doc(client, tenant.url("/openapi.json"))
    content = doc["paths"]["/admin/metrics"]["get"]["responses"]["200"]["content"]
    assert set(content) == {"application/json", "text/csv"}
    assert content["application/json"]["schema"] == {"$ref": "#/components/schemas/Metrics"}
    resp = client.get(tenant.url("/admin/metrics?format=csv"), headers=tenant.headers)
    assert resp.status_code == 200
    assert resp.mimetype == "text/csv"


@pytest.mark.parametrize("path", ["/admin/data/export", "/admin/data-deletion/requests"])
def test_data_subject_id_beyond_bigint_is_a_422(client, tenant, path):
    too_big = client.post(tenant.url(path), json={"customer_id": 2**63}, headers=tenant.headers)
    assert too_big.status_code == 422
    assert too_big.get_json()["errors"][0]["field"] == "customer_id"
    largest = client.post(tenant.url(path), json={"customer_id": 2**63 - 1}, headers=tenant.headers)
    assert largest.status_code == 404


@pytest.mark.parametrize(
    "field,column_max",
    [
        ("max_workers", 2**31 - 1),
        ("bookings_per_month", 2**31 - 1),
        ("price_cents", 2**31 - 1),
        ("sort_order", 2**31 - 1),
        ("storage_bytes", 2**63 - 1),
    ],
)
def test_plan_numbers_beyond_their_column_are_a_422(client, operator_headers, field, column_max):
    """Found by the stateful fuzz (plan list → edit link): max_workers=2**31 was a 500
    NumericValueOutOfRange from the INTEGER column."""
    plans = client.get("/v1/ops/plans", headers=operator_headers).get_json()["items"]
    plan = next(p for p in plans if p["code"] == "business")
    over = client.patch(
        "/v1/ops/plans/business", json={field: column_max + 1}, headers=operator_headers
    )
    assert over.status_code == 422
    assert over.get_json()["errors"][0]["field"] == field
    edge = client.patch(
        "/v1/ops/plans/business", json={field: column_max}, headers=operator_headers
    )
    assert edge.status_code == 200
    back = client.patch(
        "/v1/ops/plans/business", json={field: plan[field]}, headers=operator_headers
    )
    assert back.status_code == 200


def test_nul_in_a_utf16_json_body_is_a_400(client, tenant):
    # The NUL check skips bodies without "\u0000" or a zero byte; UTF-16 text is full of zeros.
    body = json.dumps({"beds": 2, "baths": 1, "service_type": "st\u0000d"}).encode("utf-16")
    resp = client.post(tenant.url("/estimate"), data=body, content_type="application/json")
    assert resp.status_code == 400
    assert resp.get_json()["code"] == "nul_character"
