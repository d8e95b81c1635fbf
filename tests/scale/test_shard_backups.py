"""``flask tenants backup`` / ``restore`` for a tenant on another shard: the schema is dumped from
and restored to the database its row names, the control-plane rows stay in ``default``."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import delete, text

from controlplane.backups import restore as backups
from controlplane.pgtools import fingerprints, table_fingerprints
from shared.models.tenants import Tenant
from tests.scale.conftest import schemas, tenant_row
from tests.support import PASSWORD, signup, unique_slug


@pytest.fixture()
def east_tenant(sclient, lead_body):
    """A tenant on ``east`` with a few leads and changed settings."""
    tenant = signup(sclient)
    for i in range(2):
        resp = sclient.post(tenant.url("/leads"), json={**lead_body, "email": f"b{i}@example.com"})
        assert resp.status_code == 201, resp.get_data(as_text=True)
    resp = sclient.patch(
        tenant.url("/admin/settings"), json={"company_name": "Shard Co"}, headers=tenant.headers
    )
    assert resp.status_code == 200
    return tenant


def _fingerprints(engine, schema):
    with engine.begin() as conn:
        return fingerprints(conn, schema)


def _login(sclient, email, slug=None):
    body = {"email": email, "password": PASSWORD}
    if slug:
        body["tenant"] = slug
    resp = sclient.post("/v1/auth/login", json=body)
    assert resp.status_code == 200, resp.get_json()
    return {"Authorization": f"Bearer {resp.get_json()['access_token']}"}


def test_disaster_restore_of_a_tenant_on_east_comes_back_on_east(
    srt, sclient, cli, east_tenant, tmp_path
):
    row = tenant_row(srt, east_tenant.slug)
    assert row.shard == "east"
    east, default = srt.shard_owner_engine("east"), srt.owner_engine
    assert row.schema_name in schemas(east) and row.schema_name not in schemas(default)
    before = _fingerprints(east, row.schema_name)
    assert before["leads"]["rows"] == 2

    backup_dir = tmp_path / "b"
    result = cli("tenants", "backup", east_tenant.slug, str(backup_dir))
    assert result.exit_code == 0, result.output
    manifest = json.loads((backup_dir / "manifest.json").read_text())
    assert manifest["shard"] == "east" and manifest["tables"] == table_fingerprints(before)

    # Lose the tenant: its schema on east and its control-plane rows in default.
    with east.begin() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA "{row.schema_name}" CASCADE')
    with default.begin() as conn:
        conn.execute(delete(Tenant).where(Tenant.id == row.id))
    srt.tenants.bump(row.id)

    result = cli("tenants", "restore", str(backup_dir))
    assert result.exit_code == 0, result.output
    assert "on east" in result.output
    restored = tenant_row(srt, east_tenant.slug)
    assert (restored.id, restored.shard, restored.schema_name) == (row.id, "east", row.schema_name)
    assert row.schema_name in schemas(east) and row.schema_name not in schemas(default)
    assert _fingerprints(east, row.schema_name) == before
    headers = _login(sclient, east_tenant.email)
    resp = sclient.get(east_tenant.url("/admin/settings"), headers=headers)
    assert resp.status_code == 200 and resp.get_json()["company_name"] == "Shard Co"
    leads = sclient.get(east_tenant.url("/admin/leads"), headers=headers)
    assert len(leads.get_json()["items"]) == 2


def test_a_copy_of_an_east_tenant_can_be_restored_onto_default(
    srt, sclient, cli, east_tenant, tmp_path
):
    row = tenant_row(srt, east_tenant.slug)
    backup_dir = tmp_path / "b"
    assert cli("tenants", "backup", east_tenant.slug, str(backup_dir)).exit_code == 0
    copy_slug = unique_slug("copy")
    result = cli("tenants", "restore", str(backup_dir), "--as", copy_slug, "--shard", "default")
    assert result.exit_code == 0, result.output
    copy = tenant_row(srt, copy_slug)
    assert copy.shard == "default" and copy.id != row.id
    assert copy.schema_name in schemas(srt.owner_engine)
    assert copy.schema_name not in schemas(srt.shard_owner_engine("east"))
    assert _fingerprints(srt.owner_engine, copy.schema_name) == _fingerprints(
        srt.shard_owner_engine("east"), row.schema_name
    )
    headers = _login(sclient, east_tenant.email, copy_slug)
    resp = sclient.get(f"/t/{copy_slug}/v1/admin/settings", headers=headers)
    assert resp.status_code == 200 and resp.get_json()["company_name"] == "Shard Co"

    unknown = cli("tenants", "restore", str(backup_dir), "--as", unique_slug(), "--shard", "west")
    assert unknown.exit_code != 0 and "not configured" in unknown.output


def test_a_failed_control_plane_step_drops_the_schema_restored_on_east(
    srt, cli, east_tenant, tmp_path, monkeypatch
):
    backup_dir = tmp_path / "b"
    assert cli("tenants", "backup", east_tenant.slug, str(backup_dir)).exit_code == 0
    east = srt.shard_owner_engine("east")
    before = schemas(east)
    original = tenant_row(srt, east_tenant.slug)
    original_data = _fingerprints(east, original.schema_name)

    def boom(*_args, **_kwargs):
        raise RuntimeError("control plane down")

    monkeypatch.setattr(backups.rows, "insert_rows", boom)
    copy_slug = unique_slug("lost")
    with pytest.raises(RuntimeError, match="control plane down"):
        backups.restore_tenant(srt, backup_dir, copy_slug)
    assert schemas(east) == before  # neither the scratch nor the final schema is left
    with srt.owner_engine.connect() as conn:
        assert (
            conn.scalar(text("SELECT 1 FROM public.tenants WHERE slug = :s"), {"s": copy_slug})
            is None
        )
    assert _fingerprints(east, original.schema_name) == original_data  # the original is untouched
