"""Operators edit plans (Stripe price id, price, limits) by CLI or endpoint."""

from __future__ import annotations

import uuid

from controlplane.app import create_app


def _runner(runtime):
    app = create_app(runtime=runtime)
    return app.test_cli_runner()


def test_cli_creates_lists_and_edits_a_plan(billing_runtime, client):
    runner = _runner(billing_runtime)
    code = f"team{uuid.uuid4().hex[:6]}"
    missing = runner.invoke(args=["ops", "plans", "set", code, "--name", "Team"])
    assert missing.exit_code != 0 and "No plan" in missing.output
    created = runner.invoke(
        args=[
            "ops", "plans", "set", code, "--create", "--name", "Team", "--price-cents", "4900",
            "--max-workers", "10", "--bookings-per-month", "100", "--storage-bytes", "1000",
            "--stripe-price-id", f"price_{code}",
        ]
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    listed = runner.invoke(args=["ops", "plans", "list"])
    assert code in listed.output and f"price_{code}" in listed.output
    edited = runner.invoke(args=["ops", "plans", "set", code, "--max-workers", "12"])
    assert edited.exit_code == 0, edited.output
    catalogue = {p["code"]: p for p in client.get("/v1/plans").get_json()["items"]}
    assert catalogue[code]["max_workers"] == 12 and catalogue[code]["price_cents"] == 4900
    assert "stripe_price_id" not in catalogue[code]  # internal detail
    dup = runner.invoke(args=["ops", "plans", "set", code, "--stripe-price-id", "price_pro_test"])
    assert dup.exit_code != 0 and "already belongs" in dup.output
    assert runner.invoke(args=["ops", "plans", "set", "free", "--inactive"]).exit_code != 0


def test_operator_endpoint_edits_a_plan(billing_runtime, client, operator_headers, tenant):
    runner = _runner(billing_runtime)
    code = f"crew{uuid.uuid4().hex[:6]}"
    runner.invoke(
        args=[
            "ops", "plans", "set", code, "--create", "--name", "Crew", "--price-cents", "1900",
            "--max-workers", "5", "--bookings-per-month", "50", "--storage-bytes", "10",
        ]
    )  # fmt: skip
    url = f"/v1/ops/plans/{code}"
    body = {"stripe_price_id": f"price_{code}", "max_workers": 6}
    assert client.patch(url, json=body, headers=tenant.headers).status_code == 403
    assert client.patch(url, json=body).status_code == 401
    resp = client.patch(url, json=body, headers=operator_headers)
    assert resp.status_code == 200
    assert resp.get_json()["stripe_price_id"] == f"price_{code}"
    assert resp.get_json()["max_workers"] == 6
    listed = client.get("/v1/ops/plans", headers=operator_headers).get_json()["items"]
    assert any(p["code"] == code and p["stripe_price_id"] == f"price_{code}" for p in listed)
    bad = client.patch(url, json={"max_workers": -1}, headers=operator_headers)
    assert bad.status_code == 422
    unknown = client.patch("/v1/ops/plans/nope", json=body, headers=operator_headers)
    assert unknown.status_code == 404


def test_new_price_id_is_used_by_checkout(
    billing_runtime, client, operator_headers, tenant, stripe_stub
):
    runner = _runner(billing_runtime)
    code = f"solo{uuid.uuid4().hex[:6]}"
    runner.invoke(
        args=[
            "ops", "plans", "set", code, "--create", "--name", "Solo", "--price-cents", "900",
            "--max-workers", "4", "--bookings-per-month", "40", "--storage-bytes", "10",
        ]
    )  # fmt: skip
    assert (
        client.post("/v1/billing/checkout", json={"plan": code}, headers=tenant.headers).status_code
        == 422
    )
    client.patch(
        f"/v1/ops/plans/{code}", json={"stripe_price_id": "price_solo"}, headers=operator_headers
    )
    assert (
        client.post("/v1/billing/checkout", json={"plan": code}, headers=tenant.headers).status_code
        == 200
    )
    assert (
        stripe_stub.calls("/v1/checkout/sessions")[-1].form["line_items[0][price]"] == "price_solo"
    )
