"""The customer's plan-cancel request (SPEC §5.10: "cancelling the plan sends the tenant a
request"): the signed plan link asks, staff are e-mailed once, nothing is cancelled until staff
cancel; a finished plan cannot be asked about; other tenants and other plans' tokens get nothing."""

from __future__ import annotations

from shared.tenancy import tenant_context
from tests.invoices.helpers import outbox_topics
from tests.plans.conftest import create_plan, plan_bookings, today

STAFF = "office@sparkle.example.com"


def _token(rt, tenant, plan_id):
    from tenantapp.plans.links import manage_token

    with tenant_context(rt.tenants.by_slug(tenant.slug)):
        return manage_token(plan_id)


def _ask(client, tenant, plan_id, token, body=None):
    return client.post(
        tenant.url(f"/plans/{plan_id}/cancel-request?token={token}"), json=body or {}
    )


def _requests(rt, tenant):
    return [t for t in outbox_topics(rt, tenant) if t[0] == "plan_cancel_requested"]


def test_the_request_reaches_staff_once_and_cancels_nothing(client, tenant, rt):
    resp = client.patch(
        tenant.url("/admin/settings"), json={"contact_email": STAFF}, headers=tenant.headers
    )
    assert resp.status_code == 200
    plan = create_plan(client, tenant)
    token = _token(rt, tenant, plan["id"])
    resp = _ask(client, tenant, plan["id"], token, {"reason": "  Moving to Calgary  "})
    assert resp.status_code == 202, resp.get_json()
    body = resp.get_json()
    assert body["status"] == "ACTIVE" and body["cancel_requested_at"] is not None
    assert body["cancel_request_reason"] == "Moving to Calgary"
    assert body["upcoming"] and body["upcoming"][0]["manage_url"]  # the customer's view
    assert [t[1] for t in _requests(rt, tenant)] == [STAFF]
    # Asked again (a double click): the same request, no second e-mail.
    again = _ask(client, tenant, plan["id"], token, {"reason": "changed my mind"})
    assert again.status_code == 202
    assert again.get_json()["cancel_requested_at"] == body["cancel_requested_at"]
    assert again.get_json()["cancel_request_reason"] == "Moving to Calgary"
    assert len(_requests(rt, tenant)) == 1
    # The visits keep coming; staff see the request on the plan and in the audit log.
    assert all(v["status"] == "CONFIRMED" for v in plan_bookings(client, tenant, plan["id"]))
    staff_view = client.get(tenant.url(f"/admin/plans/{plan['id']}"), headers=tenant.headers)
    assert staff_view.get_json()["cancel_requested_at"] == body["cancel_requested_at"]
    audit = client.get(tenant.url("/admin/audit?limit=50"), headers=tenant.headers).get_json()
    assert any(
        e["action"] == "plan.cancel_request" and e["entity_id"] == str(plan["id"])
        for e in audit["items"]
    )
    # Staff cancel: the plan ends as usual, and a request on a cancelled plan is 409.
    resp = client.post(
        tenant.url(f"/admin/plans/{plan['id']}/cancel"),
        json={"effective_on": today().isoformat(), "reason": "customer request"},
        headers=tenant.headers,
    )
    assert resp.status_code == 200 and resp.get_json()["status"] == "CANCELLED"
    late = _ask(client, tenant, plan["id"], token)
    assert late.status_code == 409 and late.get_json()["code"] == "invalid_transition"


def test_bad_input_and_other_plans_tokens(client, tenant, other_tenant, rt):
    plan = create_plan(client, tenant)
    other = create_plan(client, tenant)
    token = _token(rt, tenant, plan["id"])
    assert _ask(client, tenant, plan["id"], "bad").status_code == 401
    assert _ask(client, tenant, other["id"], token).status_code == 401  # another plan's link
    assert _ask(client, other_tenant, plan["id"], token).status_code in (401, 404)
    resp = _ask(client, tenant, plan["id"], token, {"reason": "x" * 501})
    assert resp.status_code == 422
    assert _ask(client, tenant, plan["id"], token, {"reason": "x" * 500}).status_code == 202
