"""Workers: admin CRUD, the active_workers entitlement, invites, login and session revocation."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import jwt
import pytest
from sqlalchemy import text

from shared.auth.tokens import hash_token
from shared.errors import ServiceUnavailable
from tenantapp.workers import notifications
from tenantapp.workers import service as workers_service
from tests.support import PASSWORD, ApiClient
from tests.workforce.helpers import (
    create_worker,
    default_team_id,
    invite_token,
    login_worker,
    make_worker,
)


def _schema(rt, tenant) -> str:
    return rt.tenants.by_slug(tenant.slug).schema_name


def _accept(client, tenant, token, password=PASSWORD):
    return client.post(
        tenant.url("/worker/accept-invite"), json={"token": token, "password": password}
    )


def test_create_worker_returns_the_invite_link_and_stores_only_its_hash(
    client, tenant, rt, settings
):
    team_id = default_team_id(client, tenant)
    resp = create_worker(
        client,
        tenant,
        name="Ana",
        email="  Ana@Example.com ",
        phone="+1 403 555 0199",
        team_id=team_id,
        skills=["windows", "ovens"],
        hourly_rate_cents=2_250,
    )
    assert resp.status_code == 201, resp.get_json()
    w = resp.get_json()
    assert w["email"] == "ana@example.com" and w["team_id"] == team_id
    assert w["skills"] == ["windows", "ovens"] and w["hourly_rate_cents"] == 2_250
    assert w["active"] is True and w["invite_pending"] is True and w["has_password"] is False
    prefix = f"{settings.public_base_url}/t/{tenant.slug}/work/accept-invite?token="
    assert w["invite_url"].startswith(prefix)
    raw = invite_token(w["invite_url"])
    with rt.engine.connect() as conn:
        stored = conn.scalar(
            text(f'SELECT invite_token_hash FROM "{_schema(rt, tenant)}".workers WHERE id = :i'),
            {"i": w["id"]},
        )
    assert stored == hash_token(raw) and raw not in stored
    created = datetime.fromisoformat(w["created_at"])
    expires = datetime.fromisoformat(w["invite_expires_at"])
    assert abs(expires - created - timedelta(days=7)) < timedelta(seconds=5)


def test_worker_validation_and_duplicate_email(client, tenant):
    bad = create_worker(client, tenant, email="not-an-email", hourly_rate_cents=-1, name="")
    assert bad.status_code == 422
    fields = {e["field"] for e in bad.get_json()["errors"]}
    assert {"email", "hourly_rate_cents", "name"} <= fields
    assert create_worker(client, tenant, team_id=999_999).status_code == 422
    assert create_worker(client, tenant, email="dup@example.com").status_code == 201
    dup = create_worker(client, tenant, email="DUP@example.com")
    assert dup.status_code == 409


def test_list_get_and_patch_workers(client, tenant):
    ids = [create_worker(client, tenant, name=f"W{i}").get_json()["id"] for i in range(3)]
    page1 = client.get(tenant.url("/admin/workers?limit=2"), headers=tenant.headers).get_json()
    assert [w["id"] for w in page1["items"]] == ids[:2] and page1["next_cursor"]
    page2 = client.get(
        tenant.url(f"/admin/workers?limit=2&cursor={page1['next_cursor']}"), headers=tenant.headers
    ).get_json()
    assert [w["id"] for w in page2["items"]] == ids[2:] and page2["next_cursor"] is None
    resp = client.patch(
        tenant.url(f"/admin/workers/{ids[0]}"),
        json={"name": "Renamed", "skills": ["pets"]},
        headers=tenant.headers,
    )
    assert resp.status_code == 200 and resp.get_json()["name"] == "Renamed"
    got = client.get(tenant.url(f"/admin/workers/{ids[0]}"), headers=tenant.headers).get_json()
    assert got["skills"] == ["pets"]
    assert (
        client.get(tenant.url("/admin/workers/999999"), headers=tenant.headers).status_code == 404
    )
    inactive = client.get(tenant.url("/admin/workers?active=false"), headers=tenant.headers)
    assert inactive.get_json()["items"] == []


def test_worker_writes_are_audited(client, tenant):
    w = create_worker(client, tenant).get_json()
    client.patch(
        tenant.url(f"/admin/workers/{w['id']}"), json={"name": "X"}, headers=tenant.headers
    )
    entries = client.get(tenant.url("/admin/audit"), headers=tenant.headers).get_json()["items"]
    actions = [(e["action"], e["entity_id"]) for e in entries]
    assert ("worker.create", str(w["id"])) in actions
    assert ("worker.update", str(w["id"])) in actions


def test_free_plan_allows_three_active_workers_the_fourth_is_402(client, tenant):
    for _ in range(3):
        assert create_worker(client, tenant).status_code == 201
    fourth = create_worker(client, tenant)
    assert fourth.status_code == 402
    body = fourth.get_json()
    assert body["code"] == "limit_reached" and body["metric"] == "active_workers"
    assert body["limit"] == 3 and body["used"] == 3
    # the refused worker was not written
    listed = client.get(tenant.url("/admin/workers"), headers=tenant.headers).get_json()["items"]
    assert len(listed) == 3
    # an inactive worker takes no seat
    assert create_worker(client, tenant, active=False).status_code == 201


def test_deactivating_frees_a_seat_and_reactivating_consumes_one(client, tenant):
    ids = [create_worker(client, tenant).get_json()["id"] for _ in range(3)]
    off = client.patch(
        tenant.url(f"/admin/workers/{ids[0]}"), json={"active": False}, headers=tenant.headers
    )
    assert off.status_code == 200 and off.get_json()["active"] is False
    assert create_worker(client, tenant).status_code == 201  # the freed seat
    back = client.patch(
        tenant.url(f"/admin/workers/{ids[0]}"), json={"active": True}, headers=tenant.headers
    )
    assert back.status_code == 402 and back.get_json()["code"] == "limit_reached"
    got = client.get(tenant.url(f"/admin/workers/{ids[0]}"), headers=tenant.headers).get_json()
    assert got["active"] is False  # the refused reactivation was rolled back
    # patching other fields of an inactive worker consumes nothing
    same = client.patch(
        tenant.url(f"/admin/workers/{ids[0]}"), json={"name": "Still off"}, headers=tenant.headers
    )
    assert same.status_code == 200


def test_accept_invite_sets_the_password_once(client, tenant):
    w = create_worker(client, tenant).get_json()
    token = invite_token(w["invite_url"])
    assert login_worker(client, tenant, w["email"]).status_code == 401  # no password yet
    weak = _accept(client, tenant, token, "short1A")
    assert weak.status_code == 422 and weak.get_json()["errors"][0]["field"] == "password"
    ok = _accept(client, tenant, token)
    assert ok.status_code == 200 and ok.get_json() == {"worker_id": w["id"], "email": w["email"]}
    again = _accept(client, tenant, token, "Another-Password-9")
    assert again.status_code == 400
    assert _accept(client, tenant, "not-a-token").status_code == 400
    got = client.get(tenant.url(f"/admin/workers/{w['id']}"), headers=tenant.headers).get_json()
    assert got["invite_pending"] is False and got["has_password"] is True
    assert login_worker(client, tenant, w["email"]).status_code == 200


@pytest.mark.parametrize(("offset", "accepted"), [(-1, True), (0, False)])
def test_invite_expires_after_seven_days(client, tenant, monkeypatch, offset, accepted):
    w = create_worker(client, tenant).get_json()
    expires = datetime.fromisoformat(w["invite_expires_at"])
    monkeypatch.setattr(workers_service, "_now", lambda: expires + timedelta(microseconds=offset))
    resp = _accept(client, tenant, invite_token(w["invite_url"]))
    assert resp.status_code == (200 if accepted else 400)


def test_reinvite_replaces_the_old_link(client, tenant):
    w = create_worker(client, tenant).get_json()
    fresh = client.post(tenant.url(f"/admin/workers/{w['id']}/invite"), headers=tenant.headers)
    assert fresh.status_code == 200
    assert _accept(client, tenant, invite_token(w["invite_url"])).status_code == 400
    assert _accept(client, tenant, invite_token(fresh.get_json()["invite_url"])).status_code == 200


def test_invite_email_is_queued_in_the_create_transaction(client, tenant, monkeypatch):
    seen = []
    monkeypatch.setattr(
        notifications, "worker_invited", lambda tx, w, url: seen.append((w.id, w.email, url))
    )
    w = create_worker(client, tenant).get_json()
    assert seen == [(w["id"], w["email"], w["invite_url"])]

    def failing(tx, worker, url):
        raise ServiceUnavailable("outbox down")

    monkeypatch.setattr(notifications, "worker_invited", failing)
    assert create_worker(client, tenant, email="rolled-back@example.com").status_code == 503
    monkeypatch.setattr(notifications, "worker_invited", lambda tx, w, url: None)
    listed = client.get(tenant.url("/admin/workers"), headers=tenant.headers).get_json()["items"]
    assert [x["email"] for x in listed] == [w["email"]]
    # the failed create released nothing and consumed nothing: two more seats remain
    assert create_worker(client, tenant).status_code == 201
    assert create_worker(client, tenant).status_code == 201
    assert create_worker(client, tenant).status_code == 402


def test_login_gives_a_twelve_hour_worker_token(client, tenant, worker, settings):
    claims = jwt.decode(worker.access_token, settings.jwt_secret, algorithms=["HS256"])
    assert claims["typ"] == "worker" and claims["tid"] == tenant.id
    assert claims["sub"] == str(worker.id)
    assert claims["exp"] - claims["iat"] == 12 * 3600
    resp = login_worker(client, tenant, worker.email.upper())
    assert resp.status_code == 200 and resp.get_json()["expires_at"].endswith("Z")
    assert login_worker(client, tenant, worker.email, "Wrong-password-1").status_code == 401
    assert login_worker(client, tenant, "nobody@example.com").status_code == 401


def test_deactivation_revokes_the_workers_sessions_at_once(client, tenant, worker):
    assert client.get(tenant.url("/worker/jobs"), headers=worker.headers).status_code == 200
    resp = client.patch(
        tenant.url(f"/admin/workers/{worker.id}"), json={"active": False}, headers=tenant.headers
    )
    assert resp.status_code == 200
    assert client.get(tenant.url("/worker/jobs"), headers=worker.headers).status_code == 401
    assert login_worker(client, tenant, worker.email).status_code == 401
    client.patch(
        tenant.url(f"/admin/workers/{worker.id}"), json={"active": True}, headers=tenant.headers
    )
    # the old session stays revoked; a new login works
    assert client.get(tenant.url("/worker/jobs"), headers=worker.headers).status_code == 401
    fresh = login_worker(client, tenant, worker.email).get_json()["access_token"]
    headers = {"Authorization": f"Bearer {fresh}"}
    assert client.get(tenant.url("/worker/jobs"), headers=headers).status_code == 200


def test_worker_guard_refuses_staff_tokens_and_foreign_workers(
    client, tenant, other_tenant, worker
):
    staff_on_worker = client.get(tenant.url("/worker/jobs"), headers=tenant.headers)
    assert staff_on_worker.status_code == 403
    worker_on_staff = client.get(tenant.url("/admin/bookings"), headers=worker.headers)
    assert worker_on_staff.status_code == 403
    foreign = client.get(other_tenant.url("/worker/jobs"), headers=worker.headers)
    assert foreign.status_code == 403 and foreign.get_json()["code"] == "tenant_mismatch"
    assert client.get(tenant.url("/worker/jobs")).status_code == 401
    garbage = {"Authorization": "Bearer not-a-jwt"}
    assert client.get(tenant.url("/worker/jobs"), headers=garbage).status_code == 401


def test_worker_login_is_per_tenant(client, tenant, other_tenant, worker):
    assert login_worker(client, other_tenant, worker.email).status_code == 401


def test_workers_are_tenant_isolated(client, tenant, other_tenant):
    w = create_worker(client, tenant).get_json()
    foreign_token = client.get(
        tenant.url(f"/admin/workers/{w['id']}"), headers=other_tenant.headers
    )
    assert foreign_token.status_code == 403
    own_slug = client.get(
        other_tenant.url(f"/admin/workers/{w['id']}"), headers=other_tenant.headers
    )
    assert own_slug.status_code == 404
    patch = client.patch(
        other_tenant.url(f"/admin/workers/{w['id']}"),
        json={"name": "x"},
        headers=other_tenant.headers,
    )
    assert patch.status_code == 404
    invite = client.post(
        other_tenant.url(f"/admin/workers/{w['id']}/invite"), headers=other_tenant.headers
    )
    assert invite.status_code == 404
    # an invite token of tenant A does nothing under tenant B's slug
    assert _accept(client, other_tenant, invite_token(w["invite_url"])).status_code == 400


def test_make_worker_helper_round_trip(client, tenant):
    w = make_worker(client, tenant)
    assert client.get(tenant.url("/worker/jobs"), headers=w.headers).status_code == 200


def test_openapi_documents_worker_security_and_extra_problems(client, tenant):
    paths = client.get(tenant.url("/openapi.json")).get_json()["paths"]
    create = paths["/admin/workers"]["post"]
    assert create["security"] == [{"staffToken": []}] and create["x-permission"] == "dispatch"
    assert {"401", "402", "403", "409", "422"} <= set(create["responses"])
    assert paths["/worker/login"]["post"]["security"] == []
    assert paths["/worker/accept-invite"]["post"]["security"] == []
    finish = paths["/worker/jobs/{booking_id}/time/finish"]["post"]
    assert finish["security"] == [{"workerToken": []}]
    assert {"401", "403", "404", "409", "422"} <= set(finish["responses"])
    assert "409" in paths["/admin/bookings/{booking_id}/assign"]["post"]["responses"]


def test_suspended_workspace_refuses_worker_portal(client, tenant, worker, operator_headers):
    resp = client.post(
        f"/v1/ops/tenants/{tenant.id}/suspend", json={"reason": "unpaid"}, headers=operator_headers
    )
    assert resp.status_code == 200, resp.get_json()
    jobs = client.get(tenant.url("/worker/jobs"), headers=worker.headers)
    assert jobs.status_code == 403 and jobs.get_json()["code"] == "tenant_suspended"
    assert login_worker(client, tenant, worker.email).status_code == 404  # public pages hidden


def test_two_creates_racing_for_the_last_seat_one_wins(client, tenant, wsgi_app):
    for _ in range(2):
        assert create_worker(client, tenant).status_code == 201
    barrier = threading.Barrier(2)
    codes = []

    def create():
        own = ApiClient(wsgi_app)
        barrier.wait()
        codes.append(create_worker(own, tenant).status_code)

    threads = [threading.Thread(target=create) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [201, 402]
