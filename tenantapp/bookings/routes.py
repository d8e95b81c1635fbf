from flask.views import MethodView
from flask_smorest import Blueprint

from shared.api import link, problems
from shared.api import links as response_links  # tenantapp.bookings.links is the module
from shared.auth.guards import public, staff
from tenantapp.bookings import lifecycle, links, schemas, service
from tenantapp.invoices import service as invoices
from tenantapp.job_operations import JOB_OPERATIONS
from tenantapp.settings.service import local_day_start

blp = Blueprint("bookings", __name__, url_prefix="/v1", description="Bookings")


# Staff operations on one booking: the links from wherever a booking id appears (tests/fuzz
# chains them; a client can too).
_STAFF_BOOKING_OPERATIONS = {
    "GetBooking": ("get", ""),
    "PatchBooking": ("patch", ""),
    "ConfirmBooking": ("post", "/confirm"),
    "CancelBooking": ("post", "/cancel"),
    "CompleteBooking": ("post", "/complete"),
    "MoveBooking": ("post", "/move"),
    "AssignBooking": ("post", "/assign"),
    "ResendLastEmail": ("post", "/resend-last-email"),
    **JOB_OPERATIONS,
}


def staff_booking_links(status: int, booking_id: str) -> dict:
    """``links`` from a response carrying a booking id (a runtime expression) to every staff
    operation on that booking."""
    return response_links(
        status,
        **{
            name: link(method, "/admin/bookings/{booking_id}" + tail, booking_id=booking_id)
            for name, (method, tail) in _STAFF_BOOKING_OPERATIONS.items()
        },
    )


@blp.route("/bookings")
class Bookings(MethodView):
    @public
    @blp.doc(responses=problems("402", "409"))
    @blp.arguments(schemas.BookingIn)
    @blp.response(201, schemas.BookingOut)
    @blp.doc(**staff_booking_links(201, "$response.body#/id"))
    def post(self, data):
        """Book a quoted lead into a free slot (risk, deposit and policy decided server-side).

        ``lead_token`` proves the lead (missing or wrong → 404, as for an unknown lead); a lead
        that already has a PENDING or CONFIRMED booking → 409; too many bookings waiting without
        a deposit (``max_pending_without_deposit``) → 409; the plan's allowance → 402."""
        return service.view(service.create_booking(data))


@blp.route("/bookings/<int:booking_id>")
class CustomerBooking(MethodView):
    @public
    @blp.arguments(schemas.TokenArgs, location="query")
    @blp.response(200, schemas.BookingOut)
    def get(self, args, booking_id):
        """The customer's own booking, through the signed link from the e-mail."""
        links.check_manage_token(args["token"], booking_id)
        return service.view(service.get(booking_id))


@blp.route("/bookings/<int:booking_id>/cancel")
class CustomerCancel(MethodView):
    @public
    @blp.arguments(schemas.TokenArgs, location="query")
    @blp.response(200, schemas.BookingOut)
    def post(self, args, booking_id):
        """Cancel under the booking's policy (refund depends on the notice)."""
        links.check_manage_token(args["token"], booking_id)
        return service.view(lifecycle.cancel(booking_id, "customer request", "customer"))


@blp.route("/bookings/<int:booking_id>/reschedule")
class CustomerReschedule(MethodView):
    @public
    @blp.arguments(schemas.TokenArgs, location="query")
    @blp.arguments(schemas.RescheduleIn)
    @blp.response(200, schemas.BookingOut)
    def post(self, args, data, booking_id):
        """Move to another free slot while the booking can still be cancelled for free."""
        links.check_manage_token(args["token"], booking_id)
        return service.view(lifecycle.move(booking_id, data["starts_at"], None, by="customer"))


@blp.route("/admin/bookings")
class AdminBookings(MethodView):
    @staff("view")
    @blp.arguments(schemas.BookingListArgs, location="query")
    @blp.response(200, schemas.BookingPage)
    @blp.doc(**staff_booking_links(200, "$response.body#/items/0/id"))
    def get(self, args):
        """Bookings by start time, filtered by local dates [from, to), status and team."""
        result = service.list_bookings(
            args, local_day_start(args["start"]), local_day_start(args["end"])
        )
        result["items"] = [service.view(b) for b in result["items"]]
        return result


@blp.route("/admin/bookings/<int:booking_id>")
class AdminBooking(MethodView):
    @staff("view")
    @blp.response(200, schemas.BookingOut)
    def get(self, booking_id):
        """One booking."""
        return service.view(service.get(booking_id))

    @staff("dispatch")
    @blp.arguments(schemas.BookingPatch)
    @blp.response(200, schemas.BookingOut)
    def patch(self, data, booking_id):
        """Change notes, photo consent or the team (the new team must be free then)."""
        return service.view(lifecycle.update(booking_id, data))


@blp.route("/admin/bookings/<int:booking_id>/confirm")
class Confirm(MethodView):
    @staff("dispatch")
    @blp.response(200, schemas.BookingOut)
    def post(self, booking_id):
        """PENDING → CONFIRMED (a required deposit must be paid unless it was downgraded)."""
        return service.view(lifecycle.confirm(booking_id))


@blp.route("/admin/bookings/<int:booking_id>/cancel")
class Cancel(MethodView):
    @staff("dispatch")
    @blp.arguments(schemas.CancelIn)
    @blp.response(200, schemas.BookingOut)
    def post(self, data, booking_id):
        """Cancel; a paid deposit is refunded per the booking's policy snapshot."""
        return service.view(lifecycle.cancel(booking_id, data["reason"], "staff"))


@blp.route("/admin/bookings/<int:booking_id>/complete")
class Complete(MethodView):
    @staff("dispatch")
    @blp.response(200, schemas.BookingOut)
    def post(self, booking_id):
        """CONFIRMED → DONE; the booking's invoice is created and (by ``invoice_on_complete``)
        issued in the same transaction, with a paid deposit applied as a payment."""
        return service.view(lifecycle.complete(booking_id, then=invoices.on_booking_completed))


@blp.route("/admin/bookings/<int:booking_id>/move")
class Move(MethodView):
    @staff("dispatch")
    @blp.arguments(schemas.MoveIn)
    @blp.response(200, schemas.BookingOut)
    def post(self, data, booking_id):
        """Move to another start (and team); the slot is taken like a new booking's."""
        return service.view(
            lifecycle.move(booking_id, data["starts_at"], data["team_id"], by="staff")
        )


@blp.route("/admin/bookings/<int:booking_id>/assign")
class Assign(MethodView):
    @staff("dispatch")
    @blp.doc(responses=problems("409"))
    @blp.arguments(schemas.AssignIn)
    @blp.response(200, schemas.BookingOut)
    def post(self, data, booking_id):
        """Assign an active worker (any team; the booking keeps its team) or unassign with null."""
        return service.view(lifecycle.assign(booking_id, data["worker_id"]))
