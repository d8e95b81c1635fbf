from flask.views import MethodView
from flask_smorest import Blueprint

from shared.api import problems
from shared.auth.guards import staff
from tenantapp.timetracking import schemas, service

blp = Blueprint("timetracking", __name__, url_prefix="/v1", description="Time tracking")


@blp.route("/admin/bookings/<int:booking_id>/time")
class Time(MethodView):
    @staff("dispatch")
    @blp.response(200, schemas.TimeOut)
    def get(self, booking_id):
        """The timer's state, segments and planned / effective / delta / ratio."""
        return service.summary(booking_id)


@blp.route("/admin/bookings/<int:booking_id>/time/start")
class StartTime(MethodView):
    @staff("dispatch")
    @blp.doc(responses=problems("409"))
    @blp.response(200, schemas.TimeOut)
    def post(self, booking_id):
        """NOT_STARTED → RUNNING (a no-op while RUNNING)."""
        service.start(booking_id)
        return service.summary(booking_id)


@blp.route("/admin/bookings/<int:booking_id>/time/pause")
class PauseTime(MethodView):
    @staff("dispatch")
    @blp.doc(responses=problems("409"))
    @blp.response(200, schemas.TimeOut)
    def post(self, booking_id):
        """RUNNING → PAUSED."""
        service.pause(booking_id)
        return service.summary(booking_id)


@blp.route("/admin/bookings/<int:booking_id>/time/resume")
class ResumeTime(MethodView):
    @staff("dispatch")
    @blp.doc(responses=problems("409"))
    @blp.response(200, schemas.TimeOut)
    def post(self, booking_id):
        """PAUSED → RUNNING."""
        service.resume(booking_id)
        return service.summary(booking_id)


@blp.route("/admin/bookings/<int:booking_id>/time/finish")
class FinishTime(MethodView):
    @staff("dispatch")
    @blp.doc(responses=problems("409"))
    @blp.arguments(schemas.FinishIn)
    @blp.response(200, schemas.TimeOut)
    def post(self, data, booking_id):
        """RUNNING/PAUSED → FINISHED; above 1.2 × planned an ``overrun_reason`` is required."""
        service.finish(booking_id, data["overrun_reason"], data["note"])
        return service.summary(booking_id)
