"""A tenant's page and its confirmed, audited actions: suspend, resume, move (SPEC §4.5)."""

import uuid

from sqlalchemy import select

from controlplane.ops_console.csrf import token_for
from controlplane.ops_console.models import OpsAuditEntry
from shared import db
from shared.models.tenants import TenantEvent
from tests.ops_console.conftest import csrf_from


def _audit(tenant_id):
    return (
        db.session()
        .scalars(
            select(OpsAuditEntry)
            .where(OpsAuditEntry.tenant_id == uuid.UUID(str(tenant_id)))
            .order_by(OpsAuditEntry.id)
        )
        .all()
    )


def test_tenant_page_shows_usage_against_limits_revision_shard_and_activity(ops, tenant, rt):
    html = ops.get(f"/ops/tenants/{tenant.id}").get_data(as_text=True)
    ref = rt.tenants.by_id(tenant.id)
    assert tenant.slug in html and ref.schema_revision in html and "default" in html
    assert "Bookings this month" in html and "of 20" in html  # the free plan's 20 bookings a month
    assert "Active workers" in html and "of 3" in html
    assert "Last activity" in html
    assert tenant.email in html  # the owner


def test_operator_suspends_then_resumes_with_confirmation(ops, client, tenant, rt):
    confirm = ops.get(f"/ops/tenants/{tenant.id}/suspend")
    assert confirm.status_code == 200 and "Suspend " + tenant.slug in confirm.get_data(as_text=True)
    resp = ops.post_form(
        f"/ops/tenants/{tenant.id}/suspend",
        f"/ops/tenants/{tenant.id}/suspend",
        {"reason": "chargeback"},
    )
    assert resp.status_code == 303
    assert resp.headers["Location"].endswith(f"/ops/tenants/{tenant.id}?done=suspended")
    # its console and API now say suspended
    staff = client.get(tenant.url("/admin/settings"), headers=tenant.headers)
    assert staff.status_code == 403 and staff.get_json()["code"] == "tenant_suspended"
    assert "Suspended." in ops.get(resp.headers["Location"]).get_data(as_text=True)

    resp = ops.post_form(
        f"/ops/tenants/{tenant.id}/resume", f"/ops/tenants/{tenant.id}/resume", {"reason": "paid"}
    )
    assert resp.status_code == 303
    assert client.get(tenant.url("/admin/settings"), headers=tenant.headers).status_code == 200

    events = (
        db.session()
        .scalars(select(TenantEvent).where(TenantEvent.tenant_id == uuid.UUID(tenant.id)))
        .all()
    )
    assert [(e.to_status, e.actor, e.reason) for e in events[1:]] == [
        ("suspended", "operator:ops", "chargeback"),
        ("active", "operator:ops", "paid"),
    ]
    audit = _audit(tenant.id)
    assert [(a.operator, a.action, a.detail["reason"]) for a in audit] == [
        ("ops", "tenant.suspend", "chargeback"),
        ("ops", "tenant.resume", "paid"),
    ]
    assert audit[0].detail["before"] == "active" and audit[0].request_id


def test_suspend_without_a_reason_changes_nothing(ops, tenant, rt):
    page = f"/ops/tenants/{tenant.id}/suspend"
    resp = ops.post_form(page, page, {"reason": "   "})
    assert resp.status_code == 422 and "Say why" in resp.get_data(as_text=True)
    assert rt.tenants.by_id(tenant.id).status == "active" and _audit(tenant.id) == []


def test_suspending_twice_changes_nothing_and_a_move_to_its_own_shard_is_409(ops, tenant, rt):
    page = f"/ops/tenants/{tenant.id}/suspend"
    assert ops.post_form(page, page, {"reason": "a"}).status_code == 303
    again = ops.post_form(page, page, {"reason": "b"})
    assert again.status_code == 303  # already suspended (a double click): nothing changes
    assert [a.detail["reason"] for a in _audit(tenant.id)] == ["a"]
    same_shard = ops.post_form(
        f"/ops/tenants/{tenant.id}/move", f"/ops/tenants/{tenant.id}/move", {"shard": "default"}
    )
    assert same_shard.status_code == 409
    assert "already on shard" in same_shard.get_data(as_text=True)


def test_move_to_an_unknown_shard_is_422_and_not_started(ops, tenant, rt):
    page = f"/ops/tenants/{tenant.id}/move"
    resp = ops.post_form(page, page, {"shard": "mars"})
    assert resp.status_code == 422 and "no shard named" in resp.get_data(as_text=True)
    assert _audit(tenant.id) == []


def test_unknown_action_is_404(ops, tenant):
    assert ops.get(f"/ops/tenants/{tenant.id}/delete").status_code == 404


def test_posts_without_a_valid_csrf_token_are_refused(client, ops, tenant, rt, operator_headers):
    url = f"/ops/tenants/{tenant.id}/suspend"
    no_token = client.post(url, data={"reason": "x"}, headers=operator_headers)
    assert no_token.status_code == 403
    forged = client.post(
        url, data={"reason": "x", "csrf_token": "abc.def.ghi"}, headers=operator_headers
    )
    assert forged.status_code == 403
    other = token_for("someone-else")  # a real token, signed for another operator
    assert (
        client.post(
            url, data={"reason": "x", "csrf_token": other}, headers=operator_headers
        ).status_code
        == 403
    )
    token = csrf_from(ops.get(url).get_data(as_text=True))
    cross = client.post(
        url,
        data={"reason": "x", "csrf_token": token},
        headers={**operator_headers, "Origin": "https://evil.example"},
    )
    assert cross.status_code == 403
    assert rt.tenants.by_id(tenant.id).status == "active"
