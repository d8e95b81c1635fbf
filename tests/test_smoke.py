def test_signup_then_settings(client, tenant):
    resp = client.get(tenant.url("/admin/settings"), headers=tenant.headers)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.get_json()["company_name"].endswith("Cleaning")
