"""Staff's booking timer at ``/admin/bookings/<id>/time`` (the endpoints: ``endpoints``; workers
get the same ones at ``/worker/jobs/<id>/time`` through ``tenantapp.portal``)."""

from flask_smorest import Blueprint

from shared.auth.guards import staff
from tenantapp.timetracking.endpoints import add_timer_routes

blp = Blueprint("timetracking", __name__, url_prefix="/v1", description="Time tracking")

add_timer_routes(
    blp,
    "/admin/bookings/<int:booking_id>/time",
    staff("dispatch"),
    get_doc="The timer's state, segments and planned / effective / delta / ratio.",
)
