from flask.views import MethodView
from flask_smorest import Blueprint

from shared.auth.guards import public, staff
from tenantapp.pricing import schemas, service

blp = Blueprint("pricing", __name__, url_prefix="/v1", description="Estimator and pricing config")

# One instance, not the class: webargs would build a new schema on every request of this hot path.
ESTIMATE_REQUEST = schemas.EstimateRequestSchema()


@blp.route("/estimate")
class EstimateView(MethodView):
    @public
    @blp.arguments(ESTIMATE_REQUEST)
    @blp.response(200, schemas.EstimateOut)
    def post(self, data):
        """Price a cleaning with the workspace's current pricing config (SPEC §5.2)."""
        return service.estimate_now(data).as_dict()


@blp.route("/admin/pricing")
class PricingView(MethodView):
    @staff("admin")
    @blp.response(200, schemas.PricingOut)
    def get(self):
        """The current pricing config with its version and hash."""
        return service.get_current_config()

    @staff("admin")
    @blp.arguments(schemas.PricingPut)
    @blp.response(200, schemas.PricingOut)
    def put(self, data):
        """Replace the pricing config with a complete new one (a new version); audited."""
        return service.update_pricing(data["config"], data.get("expected_version"))
