"""``flask tenants backup`` / ``restore``: a restored tenant matches table for table and serves."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from sqlalchemy import delete, select, text

from controlplane.pgtools import PgToolError, fingerprints, pg_binary, server_major
from shared.models.tenants import Tenant
from tests.support import PASSWORD, signup, unique_slug


@pytest.fixture()
def cli(wsgi_app):
    runner = wsgi_app.control_plane.test_cli_runner()

    def invoke(*args):
        return runner.invoke(args=list(args))

    return invoke


@pytest.fixture()
def busy_tenant(client):
    """A tenant with rows in several tables and one stored object."""
    tenant = signup(client)
    h = tenant.headers
    teams = client.get(tenant.url("/admin/teams"), headers=h).get_json()["items"]
    resp = client.put(
        tenant.url("/admin/teams"),
        json={"teams": [{"id": teams[0]["id"], "name": "North"}, {"name": "South"}]},
        headers=h,
    )
    assert resp.status_code == 200
    for day in range(3):
        resp = client.post(
            tenant.url("/admin/blackouts"),
            json={
                "starts_at": f"2030-01-0{day + 1}T10:00:00Z",
                "ends_at": f"2030-01-0{day + 1}T12:00:00Z",
                "reason": f"holiday {day}",
            },
            headers=h,
        )
        assert resp.status_code == 201, resp.get_json()
    resp = client.patch(
        tenant.url("/admin/settings"),
        json={"company_name": "Sparkle & Co", "booking_origins": ["https://book.example"]},
        headers=h,
    )
    assert resp.status_code == 200
    return tenant


def _schema_of(rt, tenant_id) -> str:
    with rt.owner_engine.connect() as conn:
        return conn.scalar(select(Tenant.schema_name).where(Tenant.id == uuid.UUID(tenant_id)))


def _fingerprints(rt, schema):
    with rt.owner_engine.begin() as conn:
        return fingerprints(conn, schema)


def _store_object(settings, tenant_id: str):
    path = Path(settings.storage_dir) / "tenants" / tenant_id / "photos" / "a.jpg"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\xff\xd8 not really a jpeg")
    return path


def test_pg_dump_matches_the_server_major_version(rt):
    import subprocess

    with rt.owner_engine.connect() as conn:
        major = server_major(conn)
    out = subprocess.run([pg_binary("pg_dump", major), "--version"], capture_output=True, text=True)
    assert f"(PostgreSQL) {major}." in out.stdout
    with pytest.raises(PgToolError):
        pg_binary("pg_dump", 7)


def test_restore_under_a_new_slug_matches_every_table_and_serves(
    cli, busy_tenant, client, rt, tmp_path, settings
):
    _store_object(settings, busy_tenant.id)
    backup_dir = tmp_path / "backup"
    result = cli("tenants", "backup", busy_tenant.slug, str(backup_dir))
    assert result.exit_code == 0, result.output
    manifest = json.loads((backup_dir / "manifest.json").read_text())
    assert manifest["storage_files"] == 1
    assert (backup_dir / "schema.sql").stat().st_mode & 0o077 == 0  # password hashes inside

    new_slug = unique_slug("copy")
    result = cli("tenants", "restore", str(backup_dir), "--as", new_slug)
    assert result.exit_code == 0, result.output

    with rt.owner_engine.connect() as conn:
        restored = conn.execute(select(Tenant).where(Tenant.slug == new_slug)).one()
    assert str(restored.id) != busy_tenant.id
    original_schema = _schema_of(rt, busy_tenant.id)
    assert restored.schema_name != original_schema
    before = _fingerprints(rt, original_schema)
    after = _fingerprints(rt, restored.schema_name)
    assert set(before) >= {"settings", "teams", "blackouts", "audit_log", "alembic_version"}
    assert after == before  # every table: same row count and checksum
    assert before["blackouts"]["rows"] == 3 and before["teams"]["rows"] == 2

    copied = (
        Path(settings.storage_dir) / "tenants" / str(restored.id) / "photos" / "a.jpg"
    ).read_bytes()
    assert copied.startswith(b"\xff\xd8")

    # The copy serves requests: the owner logs in to it (same account, one more membership).
    login = client.post(
        "/v1/auth/login",
        json={"email": busy_tenant.email, "password": PASSWORD, "tenant": new_slug},
    )
    assert login.status_code == 200, login.get_json()
    token = login.get_json()["access_token"]
    resp = client.get(
        f"/t/{new_slug}/v1/admin/settings", headers={"Authorization": f"Bearer {token}"}
    )
    assert resp.status_code == 200
    assert resp.get_json()["company_name"] == "Sparkle & Co"
    # A token of the copy is not a token of the original, and the original is untouched.
    other = client.get(
        busy_tenant.url("/admin/settings"), headers={"Authorization": f"Bearer {token}"}
    )
    assert other.status_code == 403
    assert (
        client.get(busy_tenant.url("/admin/settings"), headers=busy_tenant.headers).status_code
        == 200
    )


def test_restore_refuses_an_existing_identity_or_a_bad_slug(cli, tenant, client, tmp_path):
    backup_dir = tmp_path / "b"
    assert cli("tenants", "backup", tenant.slug, str(backup_dir)).exit_code == 0
    same = cli("tenants", "restore", str(backup_dir))
    assert same.exit_code != 0 and "already exists" in same.output
    taken = signup(client)
    clash = cli("tenants", "restore", str(backup_dir), "--as", taken.slug)
    assert clash.exit_code != 0 and "already exists" in clash.output
    bad = cli("tenants", "restore", str(backup_dir), "--as", "Bad_Slug")
    assert bad.exit_code != 0
    assert cli("tenants", "backup", tenant.slug, str(backup_dir)).exit_code != 0  # not empty
    assert cli("tenants", "backup", "no-such-tenant", str(tmp_path / "x")).exit_code != 0


def _tenant_schemas(rt) -> set[str]:
    with rt.owner_engine.connect() as conn:
        return set(
            conn.execute(text("SELECT nspname FROM pg_namespace WHERE nspname LIKE 't\\_%'"))
            .scalars()
            .all()
        )


@pytest.mark.slow  # a drill: a damaged backup
def test_a_restore_that_does_not_verify_leaves_nothing_behind(cli, busy_tenant, rt, tmp_path):
    backup_dir = tmp_path / "b"
    assert cli("tenants", "backup", busy_tenant.slug, str(backup_dir)).exit_code == 0
    manifest = json.loads((backup_dir / "manifest.json").read_text())
    manifest["tables"]["blackouts"]["md5"] = "0" * 32
    (backup_dir / "manifest.json").write_text(json.dumps(manifest))
    schemas = _tenant_schemas(rt)
    new_slug = unique_slug("bad")
    result = cli("tenants", "restore", str(backup_dir), "--as", new_slug)
    assert result.exit_code != 0
    assert "does not match" in result.output and "blackouts" in result.output
    assert _tenant_schemas(rt) == schemas
    with rt.owner_engine.connect() as conn:
        assert conn.scalar(select(Tenant.id).where(Tenant.slug == new_slug)) is None


@pytest.mark.slow  # a drill: the workspace is gone and comes back from its backup
def test_disaster_restore_brings_back_the_original_identity(cli, busy_tenant, client, rt, tmp_path):
    backup_dir = tmp_path / "b"
    assert cli("tenants", "backup", busy_tenant.slug, str(backup_dir)).exit_code == 0
    schema = _schema_of(rt, busy_tenant.id)
    before = _fingerprints(rt, schema)
    # Lose the tenant: its schema and its control-plane rows (memberships cascade).
    with rt.owner_engine.begin() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        conn.execute(delete(Tenant).where(Tenant.id == uuid.UUID(busy_tenant.id)))
    rt.tenants.bump(busy_tenant.id)
    assert client.get(busy_tenant.url("/company")).status_code == 404

    result = cli("tenants", "restore", str(backup_dir))
    assert result.exit_code == 0, result.output
    assert _schema_of(rt, busy_tenant.id) == schema
    assert _fingerprints(rt, schema) == before
    login = client.post("/v1/auth/login", json={"email": busy_tenant.email, "password": PASSWORD})
    assert login.status_code == 200, login.get_json()
    token = login.get_json()["access_token"]
    resp = client.get(
        busy_tenant.url("/admin/settings"), headers={"Authorization": f"Bearer {token}"}
    )
    assert resp.status_code == 200
    assert client.get(busy_tenant.url("/company")).get_json()["company_name"] == "Sparkle & Co"


def test_schema_rename_touches_identifiers_never_row_data(tmp_path):
    from controlplane.pgtools import rename_schema_in_dump

    old, new = "t_" + "a" * 24, "t_" + "b" * 24
    dump = tmp_path / "in.sql"
    dump.write_text(
        f"CREATE SCHEMA {old};\n"
        f"CREATE TABLE {old}.notes (id bigint, body text);\n"
        f"COPY {old}.notes (id, body) FROM stdin;\n"
        f"1\tmentions {old} in data\n"
        "\\.\n"
        f"SELECT pg_catalog.setval('{old}.notes_id_seq', 1, true);\n"
        f"CREATE INDEX ix ON {old}.notes USING btree (id); -- x{old}y stays\n"
    )
    out = tmp_path / "out.sql"
    rename_schema_in_dump(dump, out, old, new)
    lines = out.read_text().splitlines()
    assert lines[0] == f"CREATE SCHEMA {new};"
    assert lines[2].startswith(f"COPY {new}.notes")
    assert lines[3] == f"1\tmentions {old} in data"
    assert f"'{new}.notes_id_seq'" in lines[5]
    assert f"ON {new}.notes" in lines[6] and f"x{old}y" in lines[6]
