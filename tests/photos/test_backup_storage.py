"""Per-tenant backups carry the tenant's photos from S3/R2, not only from local disk (issue 18)."""

from __future__ import annotations

import hashlib
import json
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from controlplane.backups.storage import storage_of
from shared.models.tenants import Tenant
from shared.storage import build_storage, set_storage
from tests.photos.conftest import png_bytes, upload
from tests.storage.servers import make_bucket, s3_settings
from tests.support import unique_slug


@pytest.fixture()
def s3_photo(client, runtime, settings, tenant, booking_id, moto_endpoint):
    """One photo uploaded through the API into an S3 bucket (moto's server)."""
    bucket = make_bucket(moto_endpoint)
    set_storage(runtime, build_storage(s3_settings(settings, moto_endpoint, bucket)))
    data = png_bytes(4096)
    resp = upload(client, tenant, booking_id, data)
    assert resp.status_code == 201, resp.get_json()
    key = f"bookings/{booking_id}/{resp.get_json()['id']}.png"
    assert storage_of(runtime).read(f"tenants/{tenant.id}/{key}") == data
    assert not (Path(settings.storage_dir) / "tenants" / tenant.id).exists()  # not on local disk
    return key, data


@pytest.fixture()
def cli(wsgi_app):
    runner = wsgi_app.control_plane.test_cli_runner()
    return lambda *args: runner.invoke(args=list(args))


def test_backup_and_restore_as_a_copy_carry_s3_photos(cli, runtime, tenant, s3_photo, tmp_path):
    key, data = s3_photo
    dest = tmp_path / "backup"
    done = cli("tenants", "backup", tenant.slug, str(dest))
    assert done.exit_code == 0, done.output
    manifest = json.loads((dest / "manifest.json").read_text())
    assert manifest["storage_backend"] == "s3" and manifest["storage_files"] == 1
    assert (dest / "storage" / key).read_bytes() == data
    (entry,) = json.loads((dest / "storage.json").read_text())
    assert entry == {
        "key": key,
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "content_type": "image/png",
    }

    slug = unique_slug("s3copy")
    done = cli("tenants", "restore", str(dest), "--as", slug)
    assert done.exit_code == 0, done.output
    with runtime.owner_engine.connect() as conn:
        copy = conn.execute(select(Tenant).where(Tenant.slug == slug)).one()
        stored_key, ref = conn.exec_driver_sql(
            f'SELECT storage_key, storage_ref FROM "{copy.schema_name}".photos'
        ).one()
    storage = storage_of(runtime)
    new_key = f"tenants/{copy.id}/{key}"
    assert storage.read(new_key) == data  # the copy's own object in the bucket
    assert storage.content_type(new_key) == "image/png"
    assert stored_key == ref == new_key  # its photo rows point at it, not at the original
    assert storage.read(f"tenants/{tenant.id}/{key}") == data  # the original is untouched


def test_a_tampered_object_fails_the_restore_and_leaves_nothing(
    cli, runtime, tenant, s3_photo, tmp_path
):
    key, _ = s3_photo
    dest = tmp_path / "backup"
    assert cli("tenants", "backup", tenant.slug, str(dest)).exit_code == 0
    (dest / "storage" / key).write_bytes(b"not the photo")
    slug = unique_slug("s3bad")
    done = cli("tenants", "restore", str(dest), "--as", slug)
    assert done.exit_code != 0
    assert "does not match its digest" in done.output
    with runtime.owner_engine.connect() as conn:
        assert conn.execute(select(Tenant).where(Tenant.slug == slug)).first() is None
    leftovers = [
        k
        for k in storage_of(runtime).list_keys("tenants/")
        if not k.startswith(f"tenants/{tenant.id}/")
    ]
    assert leftovers == []


def test_list_keys_is_sorted_and_bounded_by_the_prefix(runtime, settings, moto_endpoint):
    storage = build_storage(s3_settings(settings, moto_endpoint, make_bucket(moto_endpoint)))
    a, b = uuid.uuid4(), uuid.uuid4()
    for key in (f"tenants/{a}/z.png", f"tenants/{a}/x/y.png", f"tenants/{a}b/no.png"):
        storage.put(key, b"x", "image/png")
    storage.put(f"tenants/{b}/other.png", b"x", "image/png")
    assert storage.list_keys(f"tenants/{a}/") == [f"tenants/{a}/x/y.png", f"tenants/{a}/z.png"]
