from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint

from controlplane.fleet import report, schemas, service
from controlplane.fleet.plan import MigrateOptions
from shared import db
from shared.api import problem_ref
from shared.auth.guards import operator
from shared.runtime import current_runtime

blp = Blueprint("fleet", __name__, url_prefix="/v1/ops/migrations", description="Fleet migrations")


@blp.route("")
class Migrations(MethodView):
    @operator
    @blp.response(200, schemas.FleetStatus)
    def get(self):
        """Tenants per revision, the last run and the schemas whose last migration failed."""
        return report.fleet_status(db.session())


@blp.route("/run")
class Run(MethodView):
    @operator
    @blp.arguments(schemas.RunIn)
    @blp.response(202, schemas.RunStarted)
    @blp.doc(responses={"409": problem_ref("409")})
    def post(self, data):
        """Start a fleet migration run (the CLI's code) in the background; 409 while one runs."""
        options = MigrateOptions(
            parallel=data["parallel"],
            tenant_slug=data["tenant"],
            lock_timeout=data["lock_timeout"],
            trigger=f"operator:{g.principal.operator}",
        )
        run_id = service.start_background_run(current_runtime(), options)
        return {"run_id": run_id, "status": "running"}
