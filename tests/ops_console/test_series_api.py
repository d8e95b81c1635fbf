"""``GET /v1/ops/series``: the charts' data as JSON, operators only."""

from datetime import UTC, datetime

from controlplane.ops_console.snapshots import take_snapshot


def test_series_as_json(client, operator_headers, rt, tenant):
    take_snapshot(datetime.now(UTC))
    resp = client.get("/v1/ops/series?series=tenants&range=48h", headers=operator_headers)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    data = resp.get_json()
    assert data["bucket"] == "hour" and len(data["starts"]) == 48
    active = next(line for line in data["lines"] if line["label"] == "active")
    assert len(active["values"]) == 48 and active["values"][-1] >= 1
    assert data["last_snapshot_at"]
    by_day = client.get(
        "/v1/ops/series?series=signups&range=7d&bucket=day", headers=operator_headers
    ).get_json()
    assert by_day["bucket"] == "day" and len(by_day["starts"]) == 7
    # counts are known (0, not null) once a snapshot exists; this hour counts at the next one
    assert all(isinstance(v, int) for v in by_day["lines"][0]["values"])


def test_series_is_for_operators_only_and_checks_its_arguments(client, operator_headers, tenant):
    assert client.get("/v1/ops/series?series=tenants").status_code == 401
    assert client.get("/v1/ops/series?series=tenants", headers=tenant.headers).status_code == 403
    bad = client.get("/v1/ops/series?series=nope", headers=operator_headers)
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == "series"
    assert client.get("/v1/ops/series", headers=operator_headers).status_code == 422
    bad_range = client.get("/v1/ops/series?series=tenants&range=1y", headers=operator_headers)
    assert bad_range.status_code == 422


def test_series_is_documented_as_an_operator_operation(client):
    spec = client.get("/v1/openapi.json").get_json()
    op = spec["paths"]["/v1/ops/series"]["get"]
    assert op["security"] == [{"operatorBasic": []}, {"operatorToken": []}]
    assert {"401", "403", "422"} <= set(op["responses"])
