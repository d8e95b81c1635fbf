from flask.views import MethodView
from flask_smorest import Blueprint

from shared.api import link, links, problems
from shared.auth.guards import public, staff
from tenantapp.workers import schemas, service

blp = Blueprint("workers", __name__, url_prefix="/v1", description="Workers and worker login")


@blp.route("/admin/workers")
class AdminWorkers(MethodView):
    @staff("dispatch")
    @blp.arguments(schemas.WorkerListArgs, location="query")
    @blp.response(200, schemas.WorkerPage)
    @blp.doc(
        **links(
            200,
            GetWorker=link(
                "get", "/admin/workers/{worker_id}", worker_id="$response.body#/items/0/id"
            ),
            PatchWorker=link(
                "patch", "/admin/workers/{worker_id}", worker_id="$response.body#/items/0/id"
            ),
            InviteWorker=link(
                "post", "/admin/workers/{worker_id}/invite", worker_id="$response.body#/items/0/id"
            ),
        )
    )
    def get(self, args):
        """Workers by id, optionally filtered by ``active`` and ``team_id``."""
        result = service.list_workers(args)
        result["items"] = [service.view(w) for w in result["items"]]
        return result

    @staff("dispatch")
    @blp.doc(responses=problems("402", "409"))
    @blp.arguments(schemas.WorkerIn)
    @blp.response(201, schemas.WorkerCreated)
    @blp.doc(
        **links(
            201,
            GetWorker=link("get", "/admin/workers/{worker_id}", worker_id="$response.body#/id"),
            PatchWorker=link("patch", "/admin/workers/{worker_id}", worker_id="$response.body#/id"),
            InviteWorker=link(
                "post", "/admin/workers/{worker_id}/invite", worker_id="$response.body#/id"
            ),
        )
    )
    def post(self, data):
        """Create a worker (counts against the plan's active workers) with a 7-day invite link."""
        worker, invite_url = service.create_worker(data)
        return {**service.view(worker), "invite_url": invite_url}


@blp.route("/admin/workers/<int:worker_id>")
class AdminWorker(MethodView):
    @staff("dispatch")
    @blp.response(200, schemas.WorkerOut)
    def get(self, worker_id):
        """One worker."""
        return service.view(service.get_worker(worker_id))

    @staff("dispatch")
    @blp.doc(responses=problems("402", "409"))
    @blp.arguments(schemas.WorkerPatch)
    @blp.response(200, schemas.WorkerOut)
    def patch(self, data, worker_id):
        """Change a worker; deactivating releases the seat and ends their sessions at once."""
        return service.view(service.update_worker(worker_id, data))


@blp.route("/admin/workers/<int:worker_id>/invite")
class AdminWorkerInvite(MethodView):
    @staff("dispatch")
    @blp.doc(responses=problems("409"))
    @blp.response(200, schemas.WorkerCreated)
    def post(self, worker_id):
        """Issue a fresh invite link (the previous one stops working)."""
        worker, invite_url = service.reinvite(worker_id)
        return {**service.view(worker), "invite_url": invite_url}


@blp.route("/worker/accept-invite")
class AcceptInvite(MethodView):
    @public
    @blp.arguments(schemas.AcceptInviteIn)
    @blp.response(200, schemas.AcceptInviteOut)
    def post(self, data):
        """Set a password with the one-time invite token."""
        worker = service.accept_invite(data["token"], data["password"])
        return {"worker_id": worker.id, "email": worker.email}


@blp.route("/worker/login")
class WorkerLogin(MethodView):
    @public
    @blp.arguments(schemas.WorkerLoginIn)
    @blp.response(200, schemas.WorkerTokenOut)
    def post(self, data):
        """Log a worker in: a 12-hour ``typ=worker`` access token."""
        token, expires_at = service.login(data["email"], data["password"])
        return {"access_token": token, "expires_at": expires_at}
