"""Operators edit plans (Stripe price id, price, limits) by CLI or endpoint."""

from __future__ import annotations

import uuid

import pytest

from controlplane.app import create_app


@pytest.fixture()
def runner(billing_runtime):
    return create_app(runtime=billing_runtime).test_cli_runner()


@pytest.fixture()
def scratch_plan(runner):
    """A plan made for one test and retired after it, so the public catalogue stays as seeded."""
    code = f"team{uuid.uuid4().hex[:6]}"
    created = runner.invoke(
        args=[
            "ops", "plans", "set", code, "--create", "--name", "Team", "--price-cents", "4900",
            "--max-workers", "10", "--bookings-per-month", "100", "--storage-bytes", "1000",
        ]
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    yield code
    assert runner.invoke(args=["ops", "plans", "set", code, "--inactive"]).exit_code == 0


def test_cli_needs_create_for_a_new_plan(runner):
    missing = runner.invoke(args=["ops", "plans", "set", "nosuchplan", "--name", "X"])
    assert missing.exit_code != 0 and "No plan" in missing.output
    partial = runner.invoke(args=["ops", "plans", "set", "nosuchplan", "--create", "--name", "X"])
    assert partial.exit_code != 0 and "needs" in partial.output


def test_cli_lists_and_edits_a_plan(runner, client, scratch_plan):
    code = scratch_plan
    edited = runner.invoke(
        args=[
            "ops",
            "plans",
            "set",
            code,
            "--max-workers",
            "12",
            "--stripe-price-id",
            f"price_{code}",
        ]
    )
    assert edited.exit_code == 0, edited.output
    listed = runner.invoke(args=["ops", "plans", "list"])
    assert code in listed.output and f"price_{code}" in listed.output
    catalogue = {p["code"]: p for p in client.get("/v1/plans").get_json()["items"]}
    assert catalogue[code]["max_workers"] == 12 and catalogue[code]["price_cents"] == 4900
    assert "stripe_price_id" not in catalogue[code]  # an internal detail
    dup = runner.invoke(args=["ops", "plans", "set", code, "--stripe-price-id", "price_pro_test"])
    assert dup.exit_code != 0 and "already belongs" in dup.output
    assert runner.invoke(args=["ops", "plans", "set", "free", "--inactive"]).exit_code != 0
    assert runner.invoke(args=["ops", "plans", "set", "free", "--price-cents", "5"]).exit_code != 0


def test_operator_endpoint_edits_a_plan(client, operator_headers, tenant, scratch_plan):
    url = f"/v1/ops/plans/{scratch_plan}"
    body = {"stripe_price_id": f"price_{scratch_plan}", "max_workers": 6}
    assert client.patch(url, json=body, headers=tenant.headers).status_code == 403
    assert client.patch(url, json=body).status_code == 401
    resp = client.patch(url, json=body, headers=operator_headers)
    assert resp.status_code == 200
    assert resp.get_json()["stripe_price_id"] == f"price_{scratch_plan}"
    assert resp.get_json()["max_workers"] == 6
    listed = client.get("/v1/ops/plans", headers=operator_headers).get_json()["items"]
    assert any(p["code"] == scratch_plan and p["max_workers"] == 6 for p in listed)
    assert client.patch(url, json={"max_workers": -1}, headers=operator_headers).status_code == 422
    unknown = client.patch("/v1/ops/plans/nope", json=body, headers=operator_headers)
    assert unknown.status_code == 404


def test_checkout_uses_the_price_id_or_an_inline_monthly_price(
    client, operator_headers, tenant, stripe_stub, scratch_plan
):
    checkout = {"plan": scratch_plan}
    assert (
        client.post("/v1/billing/checkout", json=checkout, headers=tenant.headers).status_code
        == 200
    )
    (inline,) = stripe_stub.calls("/v1/checkout/sessions")
    assert inline.form["line_items[0][price_data][unit_amount]"] == "4900"
    assert inline.form["line_items[0][price_data][currency]"] == "usd"
    assert inline.form["line_items[0][price_data][recurring][interval]"] == "month"
    assert "line_items[0][price]" not in inline.form
    stripe_stub.reset()
    client.patch(
        f"/v1/ops/plans/{scratch_plan}",
        json={"stripe_price_id": "price_solo"},
        headers=operator_headers,
    )
    headers = {**tenant.headers, "Idempotency-Key": "second"}
    assert client.post("/v1/billing/checkout", json=checkout, headers=headers).status_code == 200
    (call,) = stripe_stub.calls("/v1/checkout/sessions")
    assert call.form["line_items[0][price]"] == "price_solo"
