from flask.views import MethodView
from flask_smorest import Blueprint

from controlplane.auth.service import passwords
from controlplane.limits import limit_signup
from controlplane.signup import schemas, service
from shared.auth.guards import public

blp = Blueprint("signup", __name__, url_prefix="/v1", description="Create a workspace")


@blp.route("/signup")
class Signup(MethodView):
    @public
    @limit_signup
    @blp.arguments(schemas.SignupIn)
    @blp.response(201, schemas.SignupOut)
    def post(self, data):
        """Sign up: a new workspace on the free plan and its owner's first session."""

        return service.signup(data, passwords())
