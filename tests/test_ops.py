"""Operator tenant list, detail and lifecycle."""

from tests.support import signup


def test_list_filters_and_paginates(client, operator_headers):
    made = [signup(client) for _ in range(3)]
    client.post(
        f"/v1/ops/tenants/{made[0].id}/suspend", json={"reason": "r"}, headers=operator_headers
    )
    suspended = client.get("/v1/ops/tenants?status=suspended", headers=operator_headers).get_json()
    assert made[0].slug in {t["slug"] for t in suspended["items"]}
    assert all(t["status"] == "suspended" for t in suspended["items"])

    seen, cursor = [], None
    while True:
        url = "/v1/ops/tenants?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(url, headers=operator_headers).get_json()
        seen += [t["slug"] for t in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen))
    assert {m.slug for m in made} <= set(seen)


def test_detail_shows_schema_revision_and_history(client, operator_headers, tenant):
    client.post(
        f"/v1/ops/tenants/{tenant.id}/suspend", json={"reason": "late"}, headers=operator_headers
    )
    data = client.get(f"/v1/ops/tenants/{tenant.id}", headers=operator_headers).get_json()
    assert data["schema_name"].startswith("t_") and data["schema_revision"]
    assert [(e["from_status"], e["to_status"]) for e in data["events"]] == [
        (None, "active"),
        ("active", "suspended"),
    ]
    assert data["events"][1]["reason"] == "late" and data["events"][1]["actor"] == "operator:ops"


def test_suspend_needs_a_reason(client, operator_headers, tenant):
    resp = client.post(f"/v1/ops/tenants/{tenant.id}/suspend", json={}, headers=operator_headers)
    assert resp.status_code == 422


def test_cli_suspend_and_resume(wsgi_app, tenant, client):
    app = wsgi_app.control_plane
    runner = app.test_cli_runner()
    result = runner.invoke(args=["tenants", "suspend", tenant.slug, "--reason", "cli test"])
    assert result.exit_code == 0, result.output
    assert client.get(tenant.url("/admin/settings"), headers=tenant.headers).status_code == 403
    result = runner.invoke(args=["tenants", "resume", tenant.slug, "--reason", "ok"])
    assert result.exit_code == 0, result.output
    assert client.get(tenant.url("/admin/settings"), headers=tenant.headers).status_code == 200
    listed = runner.invoke(args=["tenants", "list"])
    assert tenant.slug in listed.output
