"""The worker portal: a worker's jobs, their checklists and timers (``workerToken``)."""

from flask.views import MethodView
from flask_smorest import Blueprint

from shared.api import link, links, problems
from shared.auth.guards import worker
from shared.pagination import PageArgs
from tenantapp.checklists import schemas as checklist_schemas
from tenantapp.checklists import service as checklists
from tenantapp.job_operations import JOB_OPERATIONS
from tenantapp.portal import schemas, service
from tenantapp.timetracking.endpoints import add_timer_routes
from tenantapp.timetracking.service import Actor

blp = Blueprint("portal", __name__, url_prefix="/v1", description="Worker portal")


# The worker's operations on one job, linked from the job list (tests/fuzz follows them).
_JOB_OPERATIONS = {
    "GetJob": ("get", ""),
    "OnMyWay": ("post", "/on-my-way"),
    **JOB_OPERATIONS,
}
_JOB_LINKS = links(
    200,
    **{
        name: link(
            method, "/worker/jobs/{booking_id}" + tail, booking_id="$response.body#/items/0/id"
        )
        for name, (method, tail) in _JOB_OPERATIONS.items()
    },
)


@blp.route("/worker/jobs")
class Jobs(MethodView):
    @worker
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, schemas.JobPage)
    @blp.doc(**_JOB_LINKS)
    def get(self, args):
        """My jobs: upcoming (soonest first), then past (most recent first); cancelled hidden."""
        result = service.list_jobs(args["limit"], args["cursor"])
        result["items"] = [service.view(b) for b in result["items"]]
        return result


@blp.route("/worker/jobs/<int:booking_id>")
class Job(MethodView):
    @worker
    @blp.response(200, schemas.JobOut)
    def get(self, booking_id):
        """One of my jobs (404 if it is not mine or my team's unassigned one)."""
        return service.view(service.visible_job(booking_id))


@blp.route("/worker/jobs/<int:booking_id>/on-my-way")
class OnMyWay(MethodView):
    @worker
    @blp.arguments(schemas.OnMyWayIn)
    @blp.response(200, schemas.OnMyWayOut)
    @blp.doc(responses=problems("402", "409"))
    def post(self, data, booking_id):
        """Text the customer that I am on my way (once per job: 409 the second time; 409
        ``opted_out`` when the customer does not take texts)."""
        return service.on_my_way(booking_id, data["eta_minutes"])


@blp.route("/worker/jobs/<int:booking_id>/checklist/init")
class InitChecklist(MethodView):
    @worker
    @blp.doc(responses=problems("409"))
    @blp.response(200, checklist_schemas.RunOut)
    @blp.doc(
        **links(
            200,
            PatchItem=link(
                "patch",
                "/worker/jobs/{booking_id}/checklist/items/{item_id}",
                booking_id="$request.path.booking_id",
                item_id="$response.body#/items/0/id",
            ),
        )
    )
    def post(self, booking_id):
        """Create the job's checklist from its template (idempotent)."""
        service.visible_job(booking_id)
        return checklists.view(checklists.init_run(booking_id))


@blp.route("/worker/jobs/<int:booking_id>/checklist")
class Checklist(MethodView):
    @worker
    @blp.response(200, checklist_schemas.RunOut)
    def get(self, booking_id):
        """The job's checklist."""
        service.visible_job(booking_id)
        return checklists.view(checklists.get_run(booking_id))


@blp.route("/worker/jobs/<int:booking_id>/checklist/items/<int:item_id>")
class ChecklistItem(MethodView):
    @worker
    @blp.doc(responses=problems("409"))
    @blp.arguments(checklist_schemas.RunItemPatch)
    @blp.response(200, checklist_schemas.RunOut)
    def patch(self, data, booking_id, item_id):
        """Tick/untick an item or set its note (409 after completion)."""
        service.visible_job(booking_id)
        return checklists.view(checklists.update_item(booking_id, item_id, data))


@blp.route("/worker/jobs/<int:booking_id>/checklist/complete")
class CompleteChecklist(MethodView):
    @worker
    @blp.response(200, checklist_schemas.RunOut)
    def post(self, booking_id):
        """Complete the checklist; 400 with ``missing_item_ids`` if a required item is open."""
        service.visible_job(booking_id)
        return checklists.view(checklists.complete(booking_id))


add_timer_routes(
    blp,
    "/worker/jobs/<int:booking_id>/time",
    worker,
    get_doc="The job's time: the crew's summary and each worker's own.",
    check=service.visible_job,
    actor=lambda _body: Actor(worker_id=service.my_worker_id(), portal=True),
    staff_body=False,
)
