from uuid import UUID

from flask import Response, g, redirect, request
from flask.views import MethodView
from flask_smorest import Blueprint

from shared.api import link, links, problem_ref
from shared.auth.guards import public, staff, worker
from shared.errors import NotFound
from shared.runtime import current_runtime
from shared.storage import MAX_URL_SECONDS, ObjectNotFound, current_storage, iter_chunks
from tenantapp.photos import schemas, service
from tenantapp.photos.models import Photo
from tenantapp.photos.upload import read_upload
from tenantapp.portal.service import visible_job

blp = Blueprint("photos", __name__, url_prefix="/v1", description="Job photos")

DOWNLOAD_HEADERS = {"Cache-Control": "no-store, private", "Referrer-Policy": "no-referrer"}


def _errors(*codes: str) -> dict:
    return {"responses": {code: problem_ref(code) for code in codes}}


def accept_upload(booking_id: int, uploader: service.Uploader) -> Photo:
    """Consent first (no transfer when refused), then stream the body, then store it.
    The worker portal's upload route calls this too, after its own job check."""
    service.booking_for_upload(booking_id)
    upload = read_upload(
        request.stream, request.content_type, current_runtime().settings.photo_max_bytes
    )
    return service.store_photo(booking_id, upload, uploader)


def staff_uploader() -> service.Uploader:
    return service.Uploader("staff", g.principal.user_id)


def _photo_links(status: int, prefix: str, operations: dict, photo_id: str) -> dict:
    """Links from a response carrying a photo id to the operations on that photo."""
    return links(
        status,
        **{
            name: link(
                method,
                prefix + "/{booking_id}/photos/{photo_id}" + tail,
                booking_id="$request.path.booking_id",
                photo_id=photo_id,
            )
            for name, (method, tail) in operations.items()
        },
    )


_STAFF_PHOTO = {
    "GetPhoto": ("get", ""),
    "ReviewPhoto": ("post", "/review"),
    "SignedUrl": ("get", "/signed-url"),
    "DeletePhoto": ("delete", ""),
}
_WORKER_PHOTO = {"SignedUrl": ("get", "/signed-url"), "DeletePhoto": ("delete", "")}


@blp.route("/admin/bookings/<int:booking_id>/photos")
class BookingPhotos(MethodView):
    @staff("view")
    @blp.arguments(schemas.PhotoListArgs, location="query")
    @blp.response(200, schemas.PhotoPage)
    @blp.doc(**_photo_links(200, "/admin/bookings", _STAFF_PHOTO, "$response.body#/items/0/id"))
    def get(self, args, booking_id):
        """The booking's photos, oldest first."""
        return service.list_photos(booking_id, args)

    @staff("dispatch")
    @blp.doc(requestBody=schemas.UPLOAD_BODY, **_errors("402", "413", "415", "422"))
    @blp.response(201, schemas.PhotoOut)
    @blp.doc(**_photo_links(201, "/admin/bookings", _STAFF_PHOTO, "$response.body#/id"))
    def post(self, booking_id):
        """Upload a BEFORE/AFTER photo (needs the customer's photo consent)."""
        return accept_upload(booking_id, staff_uploader())


@blp.route("/admin/bookings/<int:booking_id>/photos/<uuid:photo_id>")
class BookingPhoto(MethodView):
    @staff("view")
    @blp.response(200, schemas.PhotoOut)
    def get(self, booking_id, photo_id: UUID):
        """One photo's metadata."""
        return service.get_photo(booking_id, photo_id)

    @staff("dispatch")
    @blp.response(204)
    def delete(self, booking_id, photo_id: UUID):
        """Delete the photo; its object goes now or, if storage fails, by the janitor."""
        service.delete_photo(booking_id, photo_id)


@blp.route("/admin/bookings/<int:booking_id>/photos/<uuid:photo_id>/review")
class Review(MethodView):
    @staff("admin")
    @blp.arguments(schemas.ReviewIn)
    @blp.response(200, schemas.PhotoOut)
    def post(self, data, booking_id, photo_id: UUID):
        """Approve or reject (optionally asking for a retake)."""
        return service.review(booking_id, photo_id, data, g.principal.user_id)


@blp.route("/admin/photos/review-queue")
class ReviewQueue(MethodView):
    @staff("dispatch")
    @blp.arguments(schemas.ReviewQueueArgs, location="query")
    @blp.response(200, schemas.PhotoPage)
    def get(self, args):
        """Photos waiting for review, or flagged for a retake not yet taken."""
        return service.review_queue(args)


@blp.route("/admin/bookings/<int:booking_id>/photos/<uuid:photo_id>/signed-url")
class SignedUrl(MethodView):
    @staff("dispatch")
    @blp.arguments(schemas.SignedUrlArgs, location="query")
    @blp.response(200, schemas.SignedUrlOut)
    def get(self, args, booking_id, photo_id: UUID):
        """A download URL valid for 60 s (optionally for one download)."""
        return service.signed_url(booking_id, photo_id, single_use=args["single_use"])


def download_response(photo: Photo) -> Response:
    """Stream the object (local storage) or redirect to a provider URL valid ≤ 60 s."""
    storage = current_storage()
    if storage.streams_downloads:
        try:
            stream = storage.open(photo.storage_ref)
        except ObjectNotFound as exc:
            raise NotFound("The photo's file is gone.") from exc
        resp = Response(iter_chunks(stream), mimetype=photo.content_type, direct_passthrough=True)
        resp.content_length = photo.size_bytes
        ext = photo.storage_key.rsplit(".", 1)[-1]
        resp.headers["Content-Disposition"] = f'inline; filename="{photo.id}.{ext}"'
    else:
        resp = redirect(storage.presigned_url(photo.storage_ref, MAX_URL_SECONDS), 302)
    resp.headers.update(DOWNLOAD_HEADERS)
    return resp


@blp.route("/photos/download")
class Download(MethodView):
    @public
    @blp.arguments(schemas.DownloadArgs, location="query")
    @blp.doc(
        responses={
            "200": {
                "description": "The photo (local storage)",
                "content": {"image/*": {"schema": {"type": "string", "format": "binary"}}},
            },
            "302": {"description": "Redirect to a provider URL valid ≤ 60 s"},
            **_errors("401", "410")["responses"],
        }
    )
    def get(self, args):
        """Download a photo with a signed token (public; the token is the credential)."""
        return download_response(service.resolve_download(args["token"]))


# ---------------------------------------------------------------------- worker portal
def _worker_uploader() -> service.Uploader:
    return service.Uploader("worker", g.principal.user_id)


def _visible(booking_id: int) -> None:
    """404 unless the job is the worker's own (or their team's unassigned one)."""

    visible_job(booking_id)


@blp.route("/worker/jobs/<int:booking_id>/photos")
class WorkerJobPhotos(MethodView):
    @worker
    @blp.arguments(schemas.PhotoListArgs, location="query")
    @blp.response(200, schemas.PhotoPage)
    @blp.doc(**_photo_links(200, "/worker/jobs", _WORKER_PHOTO, "$response.body#/items/0/id"))
    def get(self, args, booking_id):
        """The job's photos, oldest first."""
        _visible(booking_id)
        return service.list_photos(booking_id, args)

    @worker
    @blp.doc(requestBody=schemas.UPLOAD_BODY, **_errors("402", "413", "415", "422"))
    @blp.response(201, schemas.PhotoOut)
    @blp.doc(**_photo_links(201, "/worker/jobs", _WORKER_PHOTO, "$response.body#/id"))
    def post(self, booking_id):
        """Upload a BEFORE/AFTER photo of my job (needs the customer's photo consent)."""
        _visible(booking_id)
        return accept_upload(booking_id, _worker_uploader())


@blp.route("/worker/jobs/<int:booking_id>/photos/<uuid:photo_id>")
class WorkerJobPhoto(MethodView):
    @worker
    @blp.response(204)
    def delete(self, booking_id, photo_id: UUID):
        """Delete one of my own uploads (someone else's → 403)."""
        _visible(booking_id)
        service.delete_photo(booking_id, photo_id, only_by=_worker_uploader())


@blp.route("/worker/jobs/<int:booking_id>/photos/<uuid:photo_id>/signed-url")
class WorkerSignedUrl(MethodView):
    @worker
    @blp.arguments(schemas.SignedUrlArgs, location="query")
    @blp.response(200, schemas.SignedUrlOut)
    def get(self, args, booking_id, photo_id: UUID):
        """A download URL for one of my job's photos, valid 60 s."""
        _visible(booking_id)
        return service.signed_url(booking_id, photo_id, single_use=args["single_use"])
