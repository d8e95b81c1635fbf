from flask.views import MethodView
from flask_smorest import Blueprint

from controlplane.limits import limit_signup
from controlplane.signup import schemas, service
from shared.api import link, links
from shared.auth import signin
from shared.auth.guards import public

blp = Blueprint("signup", __name__, url_prefix="/v1", description="Create a workspace")


@blp.route("/signup")
class Signup(MethodView):
    @public
    @limit_signup
    @blp.arguments(schemas.SignupIn)
    @blp.response(201, schemas.SignupOut)
    @blp.doc(
        **links(
            201,
            OpsGetTenant=link(
                "get", "/v1/ops/tenants/{tenant_id}", tenant_id="$response.body#/tenant/id"
            ),
            OpsSuspendTenant=link(
                "post", "/v1/ops/tenants/{tenant_id}/suspend", tenant_id="$response.body#/tenant/id"
            ),
            OpsResumeTenant=link(
                "post", "/v1/ops/tenants/{tenant_id}/resume", tenant_id="$response.body#/tenant/id"
            ),
            OpsDeleteTenant=link(
                "delete", "/v1/ops/tenants/{tenant_id}", tenant_id="$response.body#/tenant/id"
            ),
        )
    )
    def post(self, data):
        """Sign up: a new workspace on the free plan and its owner's first session."""

        return service.signup(data, signin.passwords())
