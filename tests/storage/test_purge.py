"""The janitor's control-plane half: deleted tenants' storage prefixes are purged, once."""

import uuid
from pathlib import Path

from sqlalchemy import update

from controlplane.tenants.storage_purge import purge_deleted_tenants
from shared.models.tenants import Tenant
from shared.storage import current_storage
from tests.photos.conftest import make_booking, png_bytes, upload


def _files(settings, tenant):
    root = Path(settings.storage_dir) / "tenants" / tenant.id
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _mark_deleted(runtime, tenant):
    with runtime.owner_engine.begin() as conn:
        conn.execute(
            update(Tenant).where(Tenant.id == uuid.UUID(tenant.id)).values(status="deleted")
        )


def _with_photo(client, tenant):
    booking = make_booking(client, tenant)
    assert upload(client, tenant, booking, png_bytes()).status_code == 201


def test_deleted_tenants_lose_their_prefix_live_ones_keep_it(
    client, rt, settings, tenant, other_tenant
):
    _with_photo(client, tenant)
    _with_photo(client, other_tenant)
    _mark_deleted(rt, tenant)
    first = purge_deleted_tenants()
    assert first["objects"] >= 1 and first["failed"] == 0
    assert _files(settings, tenant) == []
    assert len(_files(settings, other_tenant)) == 1
    again = purge_deleted_tenants()  # remembered: not listed again
    assert again == {"tenants": 0, "objects": 0, "failed": 0}


def test_one_failing_purge_does_not_stop_the_others(client, rt, settings, monkeypatch):
    from tests.support import signup

    doomed = [signup(client), signup(client)]
    for t in doomed:
        _with_photo(client, t)
        _mark_deleted(rt, t)
    store = current_storage()
    real = store._delete_prefix

    def flaky(prefix):
        if doomed[0].id in prefix:
            raise OSError("busy")
        return real(prefix)

    monkeypatch.setattr(store, "_delete_prefix", flaky)
    outcome = purge_deleted_tenants()
    assert outcome["failed"] == 1
    assert _files(settings, doomed[1]) == [] and len(_files(settings, doomed[0])) == 1
    monkeypatch.setattr(store, "_delete_prefix", real)
    assert purge_deleted_tenants()["tenants"] == 1  # retried on the next run
    assert _files(settings, doomed[0]) == []
