"""Staff's booking timer at ``/admin/bookings/<id>/time`` (the endpoints: ``endpoints``; workers
get the same ones at ``/worker/jobs/<id>/time`` through ``tenantapp.portal``)."""

from flask_smorest import Blueprint

from shared.auth.guards import staff
from tenantapp.timetracking.endpoints import add_timer_routes
from tenantapp.timetracking.service import Actor

blp = Blueprint("timetracking", __name__, url_prefix="/v1", description="Time tracking")

add_timer_routes(
    blp,
    "/admin/bookings/<int:booking_id>/time",
    staff("dispatch"),
    get_doc="The booking's time (planned, the crew's effective sum, delta, ratio) and each "
    "worker's own.",
    actor=lambda body: Actor(worker_id=body.get("worker_id")),
    staff_body=True,
)
