"""Review, review queue, delete with tombstone and the storage janitor."""

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from shared import circuit, db
from shared.storage import current_storage
from tenantapp.photos.janitor import MAX_ATTEMPTS, janitor_run
from tenantapp.photos.models import Photo, StorageTombstone
from tests.photos.conftest import (
    in_tenant,
    make_booking,
    member_headers,
    png_bytes,
    storage_used,
    upload,
)


def _photo(client, tenant, booking_id, phase="BEFORE", size=None):
    resp = upload(client, tenant, booking_id, png_bytes(size), phase=phase)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def _review(client, tenant, booking_id, photo_id, headers=None, **body):
    return client.post(
        tenant.url(f"/admin/bookings/{booking_id}/photos/{photo_id}/review"),
        json=body,
        headers=headers or tenant.headers,
    )


def _queue(client, tenant, status, **extra):
    resp = client.get(
        tenant.url("/admin/photos/review-queue"),
        query_string={"status": status, **extra},
        headers=tenant.headers,
    )
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def _tombstones(rt, tenant):
    with in_tenant(rt, tenant):
        return db.session().scalars(select(StorageTombstone).order_by(StorageTombstone.id)).all()


# ------------------------------------------------------------------ review


def test_admin_approves_and_the_photo_leaves_the_pending_queue(client, tenant, booking_id):
    photo = _photo(client, tenant, booking_id)
    assert [p["id"] for p in _queue(client, tenant, "pending")["items"]] == [photo["id"]]
    resp = _review(client, tenant, booking_id, photo["id"], status="APPROVED", comment="clean")
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["review_status"] == "APPROVED" and body["review_comment"] == "clean"
    assert body["reviewed_by"] and body["reviewed_at"].endswith("Z")
    assert _queue(client, tenant, "pending")["items"] == []


def test_rejected_with_retake_is_queued_until_a_newer_photo_of_that_phase_arrives(
    client, tenant, booking_id
):
    before = _photo(client, tenant, booking_id, "BEFORE")
    resp = _review(
        client,
        tenant,
        booking_id,
        before["id"],
        status="REJECTED",
        comment="blurry",
        needs_retake=True,
    )
    assert resp.status_code == 200 and resp.get_json()["needs_retake"] is True
    assert [p["id"] for p in _queue(client, tenant, "needs_retake")["items"]] == [before["id"]]
    _photo(client, tenant, booking_id, "AFTER")  # another phase: not a retake
    assert [p["id"] for p in _queue(client, tenant, "needs_retake")["items"]] == [before["id"]]
    _photo(client, tenant, booking_id, "BEFORE")
    assert _queue(client, tenant, "needs_retake")["items"] == []


def test_a_retake_can_only_be_asked_for_with_a_rejection(client, tenant, booking_id):
    photo = _photo(client, tenant, booking_id)
    resp = _review(client, tenant, booking_id, photo["id"], status="APPROVED", needs_retake=True)
    assert resp.status_code == 422
    assert resp.get_json()["errors"][0]["field"] == "needs_retake"


@pytest.mark.parametrize(("length", "status"), [(2000, 200), (2001, 422)])
def test_review_comment_up_to_2000_characters(client, tenant, booking_id, length, status):
    photo = _photo(client, tenant, booking_id)
    resp = _review(client, tenant, booking_id, photo["id"], status="REJECTED", comment="x" * length)
    assert resp.status_code == status


def test_review_needs_admin_and_a_known_status(client, runtime, tenant, booking_id):
    photo = _photo(client, tenant, booking_id)
    dispatcher = member_headers(client, runtime, tenant, "dispatcher")
    assert (
        _review(
            client, tenant, booking_id, photo["id"], headers=dispatcher, status="APPROVED"
        ).status_code
        == 403
    )
    assert _review(client, tenant, booking_id, photo["id"], status="PENDING").status_code == 422
    assert (
        _review(client, tenant, booking_id, str(uuid.uuid4()), status="APPROVED").status_code == 404
    )


def test_review_queue_pages_and_checks_its_status(client, tenant, booking_id):
    ids = [_photo(client, tenant, booking_id)["id"] for _ in range(3)]
    first = _queue(client, tenant, "pending", limit=2)
    assert [p["id"] for p in first["items"]] == ids[:2] and first["next_cursor"]
    second = _queue(client, tenant, "pending", limit=2, cursor=first["next_cursor"])
    assert [p["id"] for p in second["items"]] == ids[2:] and second["next_cursor"] is None
    bad = client.get(
        tenant.url("/admin/photos/review-queue?status=approved"), headers=tenant.headers
    )
    assert bad.status_code == 422


def test_photo_under_another_booking_is_404(client, tenant, booking_id):
    other_booking = make_booking(client, tenant, hhmm="13:00")
    photo = _photo(client, tenant, booking_id)
    url = tenant.url(f"/admin/bookings/{other_booking}/photos/{photo['id']}")
    assert client.get(url, headers=tenant.headers).status_code == 404
    assert client.delete(url, headers=tenant.headers).status_code == 404


# ------------------------------------------------------------------ delete + janitor


def test_delete_removes_the_object_row_and_usage(client, rt, settings, tenant, booking_id):
    photo = _photo(client, tenant, booking_id, size=3000)
    assert storage_used(rt, tenant) == 3000
    url = tenant.url(f"/admin/bookings/{booking_id}/photos/{photo['id']}")
    assert client.delete(url, headers=tenant.headers).status_code == 204
    assert storage_used(rt, tenant) == 0
    assert not list((Path(settings.storage_dir) / "tenants" / tenant.id).rglob("*.png"))
    assert _tombstones(rt, tenant) == []  # the delete succeeded, the tombstone went with it
    assert client.get(url, headers=tenant.headers).status_code == 404


def test_viewer_cannot_delete(client, runtime, tenant, booking_id):
    photo = _photo(client, tenant, booking_id)
    viewer = member_headers(client, runtime, tenant, "viewer")
    url = tenant.url(f"/admin/bookings/{booking_id}/photos/{photo['id']}")
    assert client.delete(url, headers=viewer).status_code == 403


@pytest.fixture()
def flaky_delete(rt, monkeypatch):
    """Make the backend's delete fail while ``state['fail']`` is true."""
    store = current_storage()
    real = store._delete
    state = {"fail": True, "calls": 0}

    def delete(ref):
        state["calls"] += 1
        if state["fail"]:
            raise OSError("storage said no")
        return real(ref)

    monkeypatch.setattr(store, "_delete", delete)
    return state


def test_a_failed_delete_leaves_a_tombstone_the_janitor_finishes(
    client, rt, settings, tenant, booking_id, flaky_delete
):
    photo = _photo(client, tenant, booking_id)
    url = tenant.url(f"/admin/bookings/{booking_id}/photos/{photo['id']}")
    assert client.delete(url, headers=tenant.headers).status_code == 204
    assert storage_used(rt, tenant) == 0
    [tomb] = _tombstones(rt, tenant)
    assert tomb.attempts == 1 and "storage said no" in tomb.last_error
    assert tomb.gave_up_at is None
    with in_tenant(rt, tenant):
        assert db.session().get(Photo, uuid.UUID(photo["id"])) is None
        # not due yet (1 minute back-off): nothing is tried
        assert janitor_run() == {"deleted": 0, "failed": 0, "gave_up": 0}
        flaky_delete["fail"] = False
        later = datetime.now(UTC) + timedelta(minutes=1, seconds=1)
        assert janitor_run(now=later) == {"deleted": 1, "failed": 0, "gave_up": 0}
    assert _tombstones(rt, tenant) == []
    assert not list((Path(settings.storage_dir) / "tenants" / tenant.id).rglob("*.png"))


def test_janitor_gives_up_after_five_attempts_and_records_it(
    client, rt, tenant, booking_id, flaky_delete
):
    photo = _photo(client, tenant, booking_id)
    url = tenant.url(f"/admin/bookings/{booking_id}/photos/{photo['id']}")
    client.delete(url, headers=tenant.headers)  # attempt 1
    now = datetime.now(UTC)
    with in_tenant(rt, tenant):
        for attempt in range(2, MAX_ATTEMPTS + 1):
            circuit.reset_all()  # minutes pass between runs; the breaker would be half-open
            now += timedelta(minutes=10)
            outcome = janitor_run(now=now)
            [tomb] = _tombstones(rt, tenant)
            assert tomb.attempts == attempt
            if attempt < MAX_ATTEMPTS:
                assert outcome["failed"] == 1 and tomb.gave_up_at is None
        assert outcome["gave_up"] == 1
        assert tomb.gave_up_at is not None and "storage said no" in tomb.last_error
        calls = flaky_delete["calls"]
        circuit.reset_all()
        assert janitor_run(now=now + timedelta(days=1))["failed"] == 0  # given up: left alone
        assert flaky_delete["calls"] == calls


def test_janitor_takes_at_most_a_batch_per_run(client, rt, tenant, booking_id, flaky_delete):
    photos = [_photo(client, tenant, booking_id) for _ in range(3)]
    for p in photos:
        client.delete(
            tenant.url(f"/admin/bookings/{booking_id}/photos/{p['id']}"), headers=tenant.headers
        )
    flaky_delete["fail"] = False
    later = datetime.now(UTC) + timedelta(minutes=2)
    with in_tenant(rt, tenant):
        assert janitor_run(batch=2, now=later)["deleted"] == 2
        assert len(_tombstones(rt, tenant)) == 1
        assert janitor_run(batch=2, now=later)["deleted"] == 1
    assert _tombstones(rt, tenant) == []


def test_an_open_breaker_stops_the_run_without_spending_attempts(
    client, rt, tenant, booking_id, flaky_delete
):
    photo = _photo(client, tenant, booking_id)
    client.delete(
        tenant.url(f"/admin/bookings/{booking_id}/photos/{photo['id']}"), headers=tenant.headers
    )
    circuit.breaker("storage").open()
    with in_tenant(rt, tenant):
        janitor_run(now=datetime.now(UTC) + timedelta(minutes=5))
    [tomb] = _tombstones(rt, tenant)
    assert tomb.attempts == 1 and tomb.gave_up_at is None
