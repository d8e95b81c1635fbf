"""``GET /v1/ops/series``: what the console's charts draw, for scripts and dashboards."""

from flask.views import MethodView
from flask_smorest import Blueprint

from controlplane.ops_console import schemas, series
from shared.auth.guards import operator

blp = Blueprint("ops_series", __name__, url_prefix="/v1/ops", description="Platform operators")


@blp.route("/series")
class Series(MethodView):
    @operator
    @blp.arguments(schemas.SeriesArgs, location="query")
    @blp.response(200, schemas.SeriesOut)
    def get(self, args):
        """One snapshot series over a range, by hour or UTC day (counts summed, gauges as their
        last snapshot in the bucket)."""
        return series.as_json(args["series"], args["range"], args["bucket"])
