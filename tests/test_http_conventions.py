"""problem+json for bad JSON, validation, unknown routes; the OpenAPI documents."""


def test_malformed_json_is_400_problem(client, tenant):
    resp = client.patch(
        tenant.url("/admin/settings"),
        data="{not json",
        headers={**tenant.headers, "Content-Type": "application/json"},
    )
    assert resp.status_code == 400
    assert resp.mimetype == "application/problem+json"
    body = resp.get_json()
    assert body["code"] == "bad_request" and body["type"].endswith("/bad_request")


def test_validation_is_422_with_field_errors(client, tenant):
    resp = client.patch(
        tenant.url("/admin/settings"),
        json={"captcha_mode": "maybe", "referral_credit_cents": -1, "bogus": 1},
        headers=tenant.headers,
    )
    assert resp.status_code == 422
    fields = {e["field"] for e in resp.get_json()["errors"]}
    assert {"captcha_mode", "referral_credit_cents", "bogus"} <= fields


def test_settings_patch_is_audited(client, tenant):
    resp = client.patch(
        tenant.url("/admin/settings"),
        json={"company_name": "Shiny Homes", "time_zone": "America/Vancouver"},
        headers=tenant.headers,
    )
    assert resp.status_code == 200
    assert resp.get_json()["time_zone"] == "America/Vancouver"
    audit = client.get(tenant.url("/admin/audit"), headers=tenant.headers).get_json()
    entry = audit["items"][0]
    assert entry["action"] == "settings.update"
    assert entry["after"]["company_name"] == "Shiny Homes"
    assert entry["before"]["time_zone"] == "America/Edmonton"


def test_settings_bad_time_zone_is_422(client, tenant):
    resp = client.patch(
        tenant.url("/admin/settings"), json={"time_zone": "Nowhere/Town"}, headers=tenant.headers
    )
    assert resp.status_code == 422


def test_audit_pagination(client, tenant):
    for i in range(3):
        client.patch(
            tenant.url("/admin/settings"), json={"company_name": f"N{i}"}, headers=tenant.headers
        )
    first = client.get(tenant.url("/admin/audit?limit=2"), headers=tenant.headers).get_json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = client.get(
        tenant.url(f"/admin/audit?limit=2&cursor={first['next_cursor']}"), headers=tenant.headers
    ).get_json()
    assert len(second["items"]) == 1 and second["next_cursor"] is None
    assert (
        client.get(tenant.url("/admin/audit?limit=201"), headers=tenant.headers).status_code == 422
    )
    assert (
        client.get(tenant.url("/admin/audit?cursor=%%%"), headers=tenant.headers).status_code == 422
    )


def test_unknown_route_is_404_problem(client):
    resp = client.get("/v1/nothing-here")
    assert resp.status_code == 404 and resp.mimetype == "application/problem+json"


def test_openapi_documents(client, tenant):
    cp = client.get("/v1/openapi.json").get_json()
    assert "/v1/signup" in cp["paths"]
    assert cp["paths"]["/v1/signup"]["post"]["security"] == []
    ta = client.get(tenant.url("/openapi.json")).get_json()
    assert ta["servers"][0]["url"] == "/t/{slug}/v1"
    assert "/admin/settings" in ta["paths"]
    op = ta["paths"]["/admin/settings"]["patch"]
    assert op["security"] == [{"staffToken": []}]
    assert op["x-permission"] == "admin"
    assert {"401", "403", "404", "422"} <= set(op["responses"])


def test_plans_catalogue_is_public(client):
    plans = client.get("/v1/plans").get_json()["items"]
    assert [
        (p["code"], p["price_cents"], p["max_workers"], p["bookings_per_month"]) for p in plans
    ] == [("free", 0, 3, 20), ("pro", 9900, 50, 500), ("business", 29900, 500, 5000)]
    assert plans[0]["storage_bytes"] == 1024**3


def test_tenant_detail_shows_limits_and_usage(client, tenant):
    data = client.get("/v1/tenant", headers=tenant.headers).get_json()
    assert data["plan"] == "free" and data["limits"]["active_workers"] == 3
    assert data["usage"]["bookings_created"] == 0


def test_healthz_and_readyz(client, operator_headers):
    assert client.get("/healthz").status_code == 200
    ready = client.get("/readyz", headers=operator_headers)
    assert ready.status_code == 200, ready.get_json()
    assert ready.get_json()["search_path"] == "cp_guard"
