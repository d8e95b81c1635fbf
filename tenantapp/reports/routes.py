from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from shared.auth.guards import staff
from tenantapp.reports import finance, schemas, service

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


def _renamed(report: dict) -> dict:
    report["start"], report["end"] = report.pop("from"), report.pop("to")
    return report


@blp.route("/admin/reports/ar-aging")
class ArAging(MethodView):
    @staff("finance")
    @blp.arguments(schemas.AgingArgs, location="query")
    @blp.response(200, schemas.Aging)
    def get(self, args):
        """What customers owe as of a tenant-local date (default today), by age past due:
        current, 1-30, 31-60, 61-90 and over 90 days, with totals."""
        return finance.ar_aging(args["as_of"])


@blp.route("/admin/reports/tax")
class TaxCollected(MethodView):
    @staff("finance")
    @blp.arguments(schemas.RangeArgs, location="query")
    @blp.response(200, schemas.TaxReport)
    def get(self, args):
        """Tax per rate on invoices issued in [from, to), net of the credit notes of the range."""
        return _renamed(finance.tax_report(args["start"], args["end"]))


@blp.route("/admin/reports/payments")
class PaymentsReceived(MethodView):
    @staff("finance")
    @blp.arguments(schemas.PaymentsArgs, location="query")
    @blp.response(200, schemas.PaymentsReport)
    @blp.doc(
        responses={
            "200": {
                "description": "Payments and refunds, or their CSV (format=csv)",
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/PaymentsReport"}},
                    "text/csv": {"schema": {"type": "string"}},
                },
            }
        }
    )
    def get(self, args):
        """Payments received and refunds given in [from, to); ``format=csv`` gives
        ``date, invoice_number, method, amount, stripe_reference`` rows, formula-safe."""
        if args["format"] == "csv":
            return Response(
                "".join(finance.payments_csv(args["start"], args["end"])),
                mimetype="text/csv",
                headers={"Content-Disposition": 'attachment; filename="payments.csv"'},
            )
        return _renamed(finance.payments_report(args["start"], args["end"]))
