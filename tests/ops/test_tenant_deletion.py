"""Staged tenant deletion (SPEC §2.7): deleting → retention window → schema dropped → deleted."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from controlplane.tenants.deletion import finish_deletions
from shared.runtime import use_runtime


def _schema_exists(runtime, schema: str) -> bool:
    with runtime.owner_engine.connect() as conn:
        return bool(
            conn.execute(
                text("SELECT 1 FROM pg_namespace WHERE nspname = :s"), {"s": schema}
            ).first()
        )


def _status(client, operator_headers, tenant_id) -> str:
    return client.get(f"/v1/ops/tenants/{tenant_id}", headers=operator_headers).get_json()["status"]


def _delete(client, operator_headers, tenant_id, **body):
    return client.delete(f"/v1/ops/tenants/{tenant_id}", json=body, headers=operator_headers)


def test_delete_hides_tenant_and_records_the_retention_deadline(
    client, runtime, operator_headers, tenant
):
    assert client.get(tenant.url("/admin/settings"), headers=tenant.headers).status_code == 200
    before = datetime.now(UTC)
    resp = _delete(client, operator_headers, tenant.id, reason="customer asked")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    data = resp.get_json()
    assert data["status"] == "deleting"
    deadline = datetime.fromisoformat(data["delete_after"])
    days = runtime.settings.tenant_delete_retention_days
    assert before + timedelta(days=days) <= deadline <= datetime.now(UTC) + timedelta(days=days)
    assert client.get(tenant.url("/admin/settings"), headers=tenant.headers).status_code == 404
    detail = client.get(f"/v1/ops/tenants/{tenant.id}", headers=operator_headers).get_json()
    assert detail["events"][-1]["reason"] == "customer asked"
    # a second DELETE keeps the first deadline
    again = _delete(client, operator_headers, tenant.id, reason="again").get_json()
    assert again["delete_after"] == data["delete_after"]


def test_delete_needs_a_reason_and_refuses_tenant_tokens(client, operator_headers, tenant):
    assert _delete(client, operator_headers, tenant.id).status_code == 422
    resp = client.delete(
        f"/v1/ops/tenants/{tenant.id}", json={"reason": "x"}, headers=tenant.headers
    )
    assert resp.status_code == 403


def test_finish_deletions_waits_for_the_date_then_drops_the_schema(
    client, runtime, operator_headers, tenant
):
    schema = client.get(f"/v1/ops/tenants/{tenant.id}", headers=operator_headers).get_json()[
        "schema_name"
    ]
    data = _delete(client, operator_headers, tenant.id, reason="bye").get_json()
    deadline = datetime.fromisoformat(data["delete_after"])
    with use_runtime(runtime):
        finish_deletions(now=deadline - timedelta(seconds=1))
        assert _schema_exists(runtime, schema)
        assert _status(client, operator_headers, tenant.id) == "deleting"
        assert finish_deletions(now=deadline)["deleted"] >= 1
    assert not _schema_exists(runtime, schema)
    tomb = client.get(f"/v1/ops/tenants/{tenant.id}", headers=operator_headers).get_json()
    assert tomb["status"] == "deleted" and tomb["slug"] == tenant.slug
    assert [e["to_status"] for e in tomb["events"]][-2:] == ["deleting", "deleted"]
    assert client.get(tenant.url("/admin/settings"), headers=tenant.headers).status_code == 404
    with use_runtime(runtime):
        assert finish_deletions(now=deadline + timedelta(days=1))["failed"] == 0
    assert _status(client, operator_headers, tenant.id) == "deleted"


def test_deleted_tenant_cannot_be_deleted_or_resumed_again(
    client, runtime, operator_headers, tenant
):
    data = _delete(client, operator_headers, tenant.id, reason="bye").get_json()
    with use_runtime(runtime):
        finish_deletions(now=datetime.fromisoformat(data["delete_after"]))
    resume = client.post(
        f"/v1/ops/tenants/{tenant.id}/resume", json={"reason": "oops"}, headers=operator_headers
    )
    assert resume.status_code == 409
    assert _delete(client, operator_headers, tenant.id, reason="x").status_code == 409


def test_retention_days_boundary():
    import pytest

    from shared.settings import Settings, SettingsError

    assert Settings.from_env({}).tenant_delete_retention_days == 30
    assert (
        Settings.from_env({"TENANT_DELETE_RETENTION_DAYS": "0"}).tenant_delete_retention_days == 0
    )
    with pytest.raises(SettingsError):
        Settings.from_env({"TENANT_DELETE_RETENTION_DAYS": "-1"})
