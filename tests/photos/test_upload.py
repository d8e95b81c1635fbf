"""Uploads (SPEC §5.6): consent, magic bytes, streamed size cap, entitlement, key rule,
compensation."""

import hashlib
import io
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from shared import db
from shared.models.plans import Plan
from tenantapp.photos import service
from tenantapp.photos.models import Photo, StorageTombstone
from tenantapp.photos.upload import Upload
from tests.photos.conftest import (
    in_tenant,
    jpeg_bytes,
    make_booking,
    member_headers,
    png_bytes,
    set_storage_used,
    storage_used,
    upload,
    webp_bytes,
)


def tenant_files(settings, tenant) -> list[Path]:
    root = Path(settings.storage_dir) / "tenants" / tenant.id
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def photo_row(runtime, tenant, photo_id) -> Photo:
    with in_tenant(runtime, tenant):
        return db.session().get(Photo, uuid.UUID(photo_id))


def test_upload_records_size_sha256_uploader_and_a_generated_key(
    client, rt, settings, tenant, booking_id
):
    data = png_bytes(5000)
    resp = upload(client, tenant, booking_id, data, phase="AFTER")
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["phase"] == "AFTER" and body["review_status"] == "PENDING"
    assert body["size_bytes"] == 5000
    assert body["sha256"] == hashlib.sha256(data).hexdigest()
    assert body["uploaded_by_type"] == "staff" and body["uploaded_by_id"]
    row = photo_row(rt, tenant, body["id"])
    assert row.storage_key == f"tenants/{tenant.id}/bookings/{booking_id}/{body['id']}.png"
    stored = Path(settings.storage_dir) / row.storage_key
    assert stored.read_bytes() == data
    assert storage_used(rt, tenant) == 5000


@pytest.mark.parametrize(
    ("data", "sent_as", "stored_as", "ext"),
    [
        (png_bytes(), "image/jpeg", "image/png", "png"),
        (jpeg_bytes(), "image/png", "image/jpeg", "jpg"),
        (webp_bytes(), "application/octet-stream", "image/webp", "webp"),
    ],
)
def test_type_comes_from_the_bytes_not_the_declared_type(
    client, rt, tenant, booking_id, data, sent_as, stored_as, ext
):
    resp = upload(client, tenant, booking_id, data, content_type=sent_as, filename="x.jpeg")
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["content_type"] == stored_as
    assert photo_row(rt, tenant, resp.get_json()["id"]).storage_key.endswith(f".{ext}")


@pytest.mark.parametrize(
    "data",
    [
        b"hello, this is text pretending to be a PNG",
        b"",
        b"\x89PN",  # a PNG signature cut short
        b"RIFF\x00\x00\x00\x00WAVEfmt ",  # RIFF, but audio
        b"GIF89a" + b"\x00" * 20,
    ],
)
def test_anything_but_jpeg_png_webp_is_415_and_nothing_is_stored(
    client, rt, settings, tenant, booking_id, data
):
    resp = upload(client, tenant, booking_id, data, content_type="image/png")
    assert resp.status_code == 415
    assert resp.get_json()["code"] == "unsupported_media_type"
    assert tenant_files(settings, tenant) == []
    assert storage_used(rt, tenant) == 0


def test_exactly_the_cap_is_accepted_one_byte_more_is_413_with_nothing_stored(
    client, rt, settings, tenant, booking_id
):
    cap = settings.photo_max_bytes
    assert cap == 10 * 1024 * 1024
    too_big = upload(client, tenant, booking_id, png_bytes(cap + 1))
    assert too_big.status_code == 413
    assert too_big.get_json()["code"] == "payload_too_large"
    assert tenant_files(settings, tenant) == []
    assert list(Path(settings.storage_dir).rglob(".tmp-*")) == []
    exact = upload(client, tenant, booking_id, png_bytes(cap))
    assert exact.status_code == 201, exact.get_json()
    assert exact.get_json()["size_bytes"] == cap
    assert len(tenant_files(settings, tenant)) == 1


def test_a_body_beyond_the_request_limit_is_413_before_parsing(
    client, settings, tenant, booking_id
):
    # MAX_CONTENT_LENGTH (cap + 1 MiB) stops the request itself
    resp = upload(client, tenant, booking_id, png_bytes(settings.photo_max_bytes + 2 * 1024 * 1024))
    assert resp.status_code == 413
    assert resp.get_json()["code"] == "payload_too_large"
    assert tenant_files(settings, tenant) == []


def test_without_photo_consent_upload_is_403(client, settings, tenant):
    booking = make_booking(client, tenant, consent=False)
    resp = upload(client, tenant, booking, png_bytes())
    assert resp.status_code == 403
    assert tenant_files(settings, tenant) == []
    # staff may record consent later; then the upload goes through
    client.patch(
        tenant.url(f"/admin/bookings/{booking}"),
        json={"photo_consent": True},
        headers=tenant.headers,
    )
    assert upload(client, tenant, booking, png_bytes()).status_code == 201


def test_traversal_file_name_is_metadata_only(client, rt, settings, tenant, booking_id):
    resp = upload(client, tenant, booking_id, png_bytes(), filename="../../etc/passwd")
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["original_filename"] == "../../etc/passwd"
    row = photo_row(rt, tenant, body["id"])
    assert row.storage_key == f"tenants/{tenant.id}/bookings/{booking_id}/{body['id']}.png"
    files = tenant_files(settings, tenant)
    assert [f.name for f in files] == [f"{body['id']}.png"]
    root = Path(settings.storage_dir).resolve()
    assert files[0].resolve().is_relative_to(root / "tenants" / tenant.id)
    assert not (root.parent / "etc" / "passwd").exists()


@pytest.mark.parametrize(
    ("form", "field"),
    [({"phase": "DURING"}, "phase"), ({"phase": None}, "phase"), ({"file": None}, "file")],
)
def test_missing_or_bad_fields_are_422(client, tenant, booking_id, form, field):
    data = {"phase": "BEFORE", "file": (io.BytesIO(png_bytes()), "a.png", "image/png")}
    data.update(form)
    data = {k: v for k, v in data.items() if v is not None}
    resp = client.post(
        tenant.url(f"/admin/bookings/{booking_id}/photos"),
        data=data,
        headers=tenant.headers,
        content_type="multipart/form-data",
    )
    assert resp.status_code == 422
    assert field in [e["field"] for e in resp.get_json()["errors"]]


def test_a_json_body_is_415(client, tenant, booking_id):
    resp = client.post(
        tenant.url(f"/admin/bookings/{booking_id}/photos"), json={}, headers=tenant.headers
    )
    assert resp.status_code == 415


def test_a_truncated_multipart_body_is_400(client, tenant, booking_id):
    body = b'--xyz\r\nContent-Disposition: form-data; name="phase"\r\n\r\nBEFORE\r\n--xy'
    resp = client.post(
        tenant.url(f"/admin/bookings/{booking_id}/photos"),
        data=body,
        headers=tenant.headers,
        content_type="multipart/form-data; boundary=xyz",
    )
    assert resp.status_code == 400


def test_storage_over_the_plan_is_402_and_the_object_is_removed(
    client, rt, settings, tenant, booking_id
):
    with rt.engine.connect() as conn:
        limit = conn.scalar(select(Plan.storage_bytes).where(Plan.code == "free"))
    data = png_bytes(1000)
    set_storage_used(rt, tenant, limit - 1000)
    assert upload(client, tenant, booking_id, data).status_code == 201  # lands exactly on it
    assert storage_used(rt, tenant) == limit
    over = upload(client, tenant, booking_id, png_bytes(100))
    assert over.status_code == 402
    assert over.get_json()["code"] == "limit_reached"
    assert over.get_json()["metric"] == "storage_bytes"
    assert len(tenant_files(settings, tenant)) == 1  # only the first one
    assert storage_used(rt, tenant) == limit


def test_unknown_booking_is_404(client, tenant):
    assert upload(client, tenant, 999_999, png_bytes()).status_code == 404


def test_viewer_cannot_upload_dispatcher_can(client, runtime, tenant, booking_id):
    viewer = member_headers(client, runtime, tenant, "viewer")
    dispatcher = member_headers(client, runtime, tenant, "dispatcher")
    assert upload(client, tenant, booking_id, png_bytes(), headers=viewer).status_code == 403
    assert upload(client, tenant, booking_id, png_bytes(), headers=dispatcher).status_code == 201
    listing = client.get(tenant.url(f"/admin/bookings/{booking_id}/photos"), headers=viewer)
    assert listing.status_code == 200 and len(listing.get_json()["items"]) == 1


def _upload_obj(data: bytes) -> Upload:
    return Upload(
        phase="BEFORE",
        file=io.BytesIO(data),
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        content_type="image/png",
        extension="png",
        filename="a.png",
    )


def test_a_failed_insert_deletes_the_stored_object(
    client, rt, settings, tenant, booking_id, monkeypatch
):
    def broken_insert(tx, photo):
        raise RuntimeError("database went away mid-insert")

    monkeypatch.setattr(service, "_insert", broken_insert)
    with in_tenant(rt, tenant), pytest.raises(RuntimeError):
        service.store_photo(booking_id, _upload_obj(png_bytes()), service.Uploader("staff", "u1"))
    assert tenant_files(settings, tenant) == []
    assert storage_used(rt, tenant) == 0  # the consumption rolled back with the insert
    with in_tenant(rt, tenant):
        assert db.session().scalars(select(Photo)).all() == []


def test_when_compensation_fails_too_a_tombstone_hands_it_to_the_janitor(
    client, rt, settings, tenant, booking_id, monkeypatch
):
    from shared.storage import current_storage

    monkeypatch.setattr(service, "_insert", lambda tx, photo: 1 / 0)
    store = current_storage()

    def refuse(ref):
        raise OSError("disk is read-only now")

    monkeypatch.setattr(store, "_delete", refuse)
    with in_tenant(rt, tenant), pytest.raises(ZeroDivisionError):
        service.store_photo(booking_id, _upload_obj(png_bytes()), service.Uploader("staff", "u1"))
    with in_tenant(rt, tenant):
        tombs = db.session().scalars(select(StorageTombstone)).all()
    assert len(tombs) == 1
    assert tombs[0].storage_key.startswith(f"tenants/{tenant.id}/bookings/{booking_id}/")
    assert len(tenant_files(settings, tenant)) == 1  # still there, for the janitor


def _environ(tenant, booking_id, data, *, content_length=None):
    from werkzeug.test import EnvironBuilder

    builder = EnvironBuilder(
        path=tenant.url(f"/admin/bookings/{booking_id}/photos"),
        method="POST",
        headers=tenant.headers,
        data={"phase": "BEFORE", "file": (io.BytesIO(data), "p.png", "image/png")},
    )
    env = builder.get_environ()
    if content_length is None:  # chunked transfer: no length at all, the server ends the stream
        del env["CONTENT_LENGTH"]
        env["wsgi.input_terminated"] = True
    else:
        env["CONTENT_LENGTH"] = str(content_length)
    return env


def _run(wsgi_app, env) -> tuple[int, dict]:
    """Call the WSGI app with this exact environ (the test client would rebuild it)."""
    import json

    from werkzeug.test import run_wsgi_app

    app_iter, status, _headers = run_wsgi_app(wsgi_app, env, buffered=True)
    return int(status.split()[0]), json.loads(b"".join(app_iter) or b"{}")


def test_a_chunked_body_without_content_length_is_counted_while_streaming(
    wsgi_app, settings, tenant, booking_id
):
    cap = settings.photo_max_bytes
    status, body = _run(wsgi_app, _environ(tenant, booking_id, png_bytes(cap + 1)))
    assert status == 413 and body["code"] == "payload_too_large"
    assert tenant_files(settings, tenant) == []
    status, body = _run(wsgi_app, _environ(tenant, booking_id, png_bytes(cap)))
    assert status == 201, body
    assert body["size_bytes"] == cap


def test_a_content_length_that_lies_short_is_not_believed(wsgi_app, settings, tenant, booking_id):
    # only the declared bytes are read, so the multipart body is cut short: 400, nothing stored
    env = _environ(tenant, booking_id, png_bytes(50_000), content_length=1000)
    status, _ = _run(wsgi_app, env)
    assert status == 400
    assert tenant_files(settings, tenant) == []


@pytest.mark.parametrize(
    ("form", "status", "field"),
    [
        ({"phase": "BEFORE", "file": "not a file, a plain field"}, 422, "file"),
        ({"phase": "B" * 65}, 422, "phase"),
    ],
)
def test_plain_fields_never_pass_for_the_file(client, tenant, booking_id, form, status, field):
    resp = client.post(
        tenant.url(f"/admin/bookings/{booking_id}/photos"),
        data=form,
        headers=tenant.headers,
        content_type="multipart/form-data",
    )
    assert resp.status_code == status
    assert field in [e["field"] for e in resp.get_json()["errors"]]


@pytest.mark.parametrize(
    "files",
    [
        {"file": [(io.BytesIO(png_bytes()), "a.png"), (io.BytesIO(png_bytes()), "b.png")]},
        {"file": (io.BytesIO(png_bytes()), "a.png"), "other": (io.BytesIO(png_bytes()), "b.png")},
    ],
    ids=["two-files", "file-under-another-name"],
)
def test_exactly_one_file_part_named_file(client, tenant, booking_id, files):
    resp = client.post(
        tenant.url(f"/admin/bookings/{booking_id}/photos"),
        data={"phase": "BEFORE", **files},
        headers=tenant.headers,
        content_type="multipart/form-data",
    )
    assert resp.status_code == 400
