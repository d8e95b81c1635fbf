from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from shared.auth.guards import staff
from tenantapp.timesheets import schemas, service

blp = Blueprint("timesheets", __name__, url_prefix="/v1", description="Timesheets")


@blp.route("/admin/timesheets")
class Timesheets(MethodView):
    @staff("finance")
    @blp.arguments(schemas.TimesheetArgs, location="query")
    @blp.response(200, schemas.Timesheet)
    @blp.doc(
        responses={
            "200": {
                "description": "Rows per worker and local day, or the same rows as CSV",
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/Timesheet"}},
                    "text/csv": {"schema": {"type": "string"}},
                },
            }
        }
    )
    def get(self, args):
        """Per worker and tenant-local day in [from, to) (≤ 93 days): scheduled and clocked
        minutes, jobs, pay by the worker's ``pay_type`` and tips; ``format=csv`` is
        formula-safe."""
        report = service.timesheet(args["start"], args["end"], args["worker_id"])
        if args["format"] == "csv":
            return Response(
                "".join(service.timesheet_csv(report)),
                mimetype="text/csv",
                headers={"Content-Disposition": 'attachment; filename="timesheets.csv"'},
            )
        report["start"], report["end"] = report.pop("from"), report.pop("to")
        return report
