"""Photos: upload (consent, entitlement, compensation), listing, review, delete, downloads."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import and_, exists, select, tuple_
from sqlalchemy.orm import aliased

from shared import db
from shared.aftercommit import on_commit
from shared.entitlements import consume
from shared.errors import Forbidden, NotFound, field_error
from shared.pagination import decode_cursor, page
from shared.runtime import current_runtime
from shared.storage import current_storage
from shared.tenancy import current_tenant
from tenantapp.audit.service import record
from tenantapp.bookings.models import Booking
from tenantapp.photos import janitor, tokens
from tenantapp.photos.models import Photo
from tenantapp.photos.upload import Upload

log = logging.getLogger("cleanplane.photos")
METRIC = "storage_bytes"


@dataclass(frozen=True)
class Uploader:
    """Who acts on a photo: ``type`` 'staff' (user id) or 'worker' (worker id)."""

    type: str
    id: str


def _now() -> datetime:
    return datetime.now(UTC)


def _booking(sess, booking_id: int) -> Booking:
    booking = sess.get(Booking, booking_id)
    if booking is None:
        raise NotFound("No such booking.")
    return booking


def _check_consent(booking: Booking) -> None:
    if not booking.photo_consent:
        raise Forbidden("The customer has not consented to photos for this booking.")


def booking_for_upload(booking_id: int) -> Booking:
    """The booking a photo is about to be uploaded to: 404 if unknown, 403 without consent.
    Checked before the body is read, so a refused upload costs no transfer."""
    # Its own short transaction: no connection stays checked out while the body streams in.
    with db.transaction() as tx:
        booking = _booking(tx, booking_id)
        _check_consent(booking)
    return booking


def storage_key(booking_id: int, photo_id: uuid.UUID, extension: str) -> str:
    """Keys are built from ids only; the client's file name never reaches a path."""
    return f"tenants/{current_tenant().id}/bookings/{booking_id}/{photo_id}.{extension}"


def _insert(tx, photo: Photo) -> None:
    """Insert the row (separate so tests can make the insert fail)."""
    tx.add(photo)
    tx.flush()


def store_photo(booking_id: int, upload: Upload, uploader: Uploader) -> Photo:
    """Put the object, then count storage and insert the row in one transaction.

    If that transaction fails (plan limit, consent revoked meanwhile, database error) the stored
    object is deleted again; if even that fails a tombstone hands it to the janitor.
    """
    tenant = current_tenant()
    photo_id = uuid.uuid4()
    key = storage_key(booking_id, photo_id, upload.extension)
    try:
        ref = current_storage().put(key, upload.file, upload.content_type)
    finally:
        upload.close()
    try:
        with db.transaction() as tx:
            _check_consent(_booking(tx, booking_id))
            consume(tx, tenant, METRIC, upload.size)
            photo = Photo(
                id=photo_id,
                booking_id=booking_id,
                phase=upload.phase,
                storage_key=key,
                storage_ref=ref,
                content_type=upload.content_type,
                size_bytes=upload.size,
                sha256=upload.sha256,
                original_filename=upload.filename,
                uploaded_by_type=uploader.type,
                uploaded_by_id=uploader.id,
                review_status="PENDING",
                needs_retake=False,
            )
            _insert(tx, photo)
            record(tx, "photo.upload", "photo", photo_id, after={"booking_id": booking_id})
    except BaseException:
        _compensate(ref, key)
        raise
    return photo


def _compensate(ref: str, key: str) -> None:
    try:
        current_storage().delete(ref)
        return
    except Exception:
        log.warning("could not delete an orphaned upload; leaving it to the janitor")
    try:
        with db.transaction() as tx:
            janitor.add_tombstone(tx, ref, key)
    except Exception:
        log.exception("could not record an orphaned upload for the janitor")


def get_photo(booking_id: int, photo_id: uuid.UUID) -> Photo:
    """Photo ``photo_id`` of booking ``booking_id``; 404 if it is another booking's."""
    photo = db.session().get(Photo, photo_id)
    if photo is None or photo.booking_id != booking_id:
        raise NotFound("No such photo.")
    return photo


def list_photos(booking_id: int, args: dict) -> dict:
    """A booking's photos, oldest first."""
    sess = db.session()
    _booking(sess, booking_id)
    stmt = (
        select(Photo)
        .where(Photo.booking_id == booking_id)
        .order_by(Photo.created_at, Photo.id)
        .limit(args["limit"] + 1)
    )
    if args.get("phase"):
        stmt = stmt.where(Photo.phase == args["phase"])
    return _page(stmt, args)


def _page(stmt, args: dict) -> dict:
    after = decode_cursor(args.get("cursor"), datetime.fromisoformat, uuid.UUID)
    if after:
        stmt = stmt.where(tuple_(Photo.created_at, Photo.id) > tuple_(after[0], after[1]))
    rows = list(db.session().scalars(stmt))
    return page(rows, args["limit"], lambda p: [p.created_at.isoformat(), str(p.id)])


def review_queue(args: dict) -> dict:
    """``pending``: not yet reviewed. ``needs_retake``: flagged for a retake that has not been
    uploaded yet (no newer photo of the same booking and phase)."""
    stmt = select(Photo).order_by(Photo.created_at, Photo.id).limit(args["limit"] + 1)
    if args["status"] == "pending":
        stmt = stmt.where(Photo.review_status == "PENDING")
    else:
        newer = aliased(Photo)
        retaken = exists().where(
            and_(
                newer.booking_id == Photo.booking_id,
                newer.phase == Photo.phase,
                newer.created_at > Photo.created_at,
            )
        )
        stmt = stmt.where(Photo.needs_retake.is_(True), ~retaken)
    return _page(stmt, args)


def review(booking_id: int, photo_id: uuid.UUID, data: dict, reviewer_id: str) -> Photo:
    """Approve or reject; a retake can only be asked for with a rejection."""
    if data.get("needs_retake") and data["status"] != "REJECTED":
        raise field_error("needs_retake", "a retake can only be requested when rejecting")
    with db.transaction() as tx:
        photo = get_photo(booking_id, photo_id)
        before = {"status": photo.review_status, "needs_retake": photo.needs_retake}
        photo.review_status = data["status"]
        photo.review_comment = data.get("comment")
        photo.needs_retake = bool(data.get("needs_retake"))
        photo.reviewed_by = reviewer_id
        photo.reviewed_at = _now()
        record(
            tx,
            "photo.review",
            "photo",
            photo_id,
            before=before,
            after={"status": photo.review_status, "needs_retake": photo.needs_retake},
        )
    return photo


def delete_photo(booking_id: int, photo_id: uuid.UUID, *, only_by: Uploader | None = None) -> None:
    """Forget the photo and release its storage in one transaction that also writes a tombstone;
    then try the delete (a failure leaves the tombstone to the janitor). With ``only_by`` (workers)
    only that uploader's own photos may go (403 otherwise)."""
    tenant = current_tenant()
    with db.transaction() as tx:
        photo = tx.get(Photo, photo_id, with_for_update=True)
        if photo is None or photo.booking_id != booking_id:
            raise NotFound("No such photo.")
        if only_by is not None and (photo.uploaded_by_type, photo.uploaded_by_id) != (
            only_by.type,
            only_by.id,
        ):
            raise Forbidden("Only the worker who uploaded this photo may delete it.")
        tomb = janitor.add_tombstone(tx, photo.storage_ref, photo.storage_key)
        consume(tx, tenant, METRIC, -photo.size_bytes)
        tx.delete(photo)
        record(tx, "photo.delete", "photo", photo_id, before={"booking_id": booking_id})
        on_commit(lambda: janitor.try_delete(tomb.id), tx)


def signed_url(booking_id: int, photo_id: uuid.UUID, *, single_use: bool) -> dict:
    """The app's own download URL with a 60 s token for this photo."""
    get_photo(booking_id, photo_id)
    token, expires_at = tokens.mint(booking_id, photo_id, single_use=single_use)
    base = current_runtime().settings.public_base_url.rstrip("/")
    url = f"{base}/t/{current_tenant().slug}/v1/photos/download?token={token}"
    return {"url": url, "expires_at": expires_at}


def resolve_download(token: str | None) -> Photo:
    """The photo a valid token names (401 bad/expired/foreign, 404 gone, 410 reused)."""
    booking_id, photo_id, nonce = tokens.verify(token)
    photo = get_photo(booking_id, photo_id)
    if nonce:
        tokens.spend(nonce)
    return photo
