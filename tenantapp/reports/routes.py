from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from shared.auth.guards import staff
from tenantapp.reports import schemas, service

blp = Blueprint("reports", __name__, url_prefix="/v1", description="Reports")


@blp.route("/admin/metrics")
class Metrics(MethodView):
    @staff("admin")
    @blp.arguments(schemas.MetricsArgs, location="query")
    @blp.response(200, schemas.Metrics)
    # Both bodies under the one 200: alt_response with the same status replaced the JSON content
    # with nothing, so a CSV answer matched no documented content type.
    @blp.doc(
        responses={
            "200": {
                "description": "The figures, or one CSV row per figure (format=csv)",
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/Metrics"}},
                    "text/csv": {"schema": {"type": "string"}},
                },
            }
        }
    )
    def get(self, args):
        """Conversions, revenue, estimate accuracy, utilisation, cancellations and retention.

        ``from`` (inclusive) and ``to`` (exclusive) are tenant-local dates; ``format=csv`` gives
        one ``section,name,value`` row per figure, formula-safe.
        """
        report = service.metrics(args["start"], args["end"])
        if args["format"] == "csv":
            return Response(
                "".join(service.metrics_csv(report)),
                mimetype="text/csv",
                headers={"Content-Disposition": 'attachment; filename="metrics.csv"'},
            )
        report["start"], report["end"] = report.pop("from"), report.pop("to")
        return report
