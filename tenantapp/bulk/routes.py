from flask.views import MethodView
from flask_smorest import Blueprint

from shared.api import problems
from shared.auth.guards import staff
from shared.idempotency import idempotent
from tenantapp.bulk import schemas, service
from tenantapp.bulk.actions import BOOKING_ACTIONS, LEAD_ACTIONS, WORKER_ACTIONS

blp = Blueprint("bulk", __name__, url_prefix="/v1", description="Bulk actions")


@blp.route("/admin/bookings/bulk")
class BookingsBulk(MethodView):
    @staff("dispatch")
    @idempotent
    @blp.doc(responses=problems("409"))
    @blp.arguments(schemas.BookingsBulkIn)
    @blp.response(200, schemas.BulkOut)
    def post(self, data):
        """Apply one action to up to 500 bookings, each in its own transaction: ``confirm {}``,
        ``cancel {reason}``, ``assign_team {team_id}``, ``assign_workers {worker_ids}``,
        ``resend_confirmation {}``, ``move_day {date}`` (same local time). One result per id
        (an unknown id → ``ok: false, code: not_found``); ``dry_run`` rolls everything back."""
        return service.run("booking", BOOKING_ACTIONS, data)


@blp.route("/admin/leads/bulk")
class LeadsBulk(MethodView):
    @staff("dispatch")
    @idempotent
    @blp.doc(responses=problems("409"))
    @blp.arguments(schemas.LeadsBulkIn)
    @blp.response(200, schemas.BulkOut)
    def post(self, data):
        """Move up to 500 leads through their status machine (``action: status``,
        ``params {status}``), one result per id; ``dry_run`` rolls everything back."""
        return service.run("lead", LEAD_ACTIONS, data)


@blp.route("/admin/workers/bulk")
class WorkersBulk(MethodView):
    @staff("dispatch")
    @idempotent
    @blp.doc(responses=problems("409"))
    @blp.arguments(schemas.WorkersBulkIn)
    @blp.response(200, schemas.BulkOut)
    def post(self, data):
        """Move up to 500 workers to a team (``action: team``, ``params {team_id}``; null: no
        team), each like ``PATCH /admin/workers/{id}``; one result per id (an unknown id →
        ``ok: false, code: not_found``); ``dry_run`` rolls everything back."""
        return service.run("worker", WORKER_ACTIONS, data)
