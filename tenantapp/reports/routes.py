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
    @blp.alt_response(200, description="CSV (format=csv)", content_type="text/csv", success=True)
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
