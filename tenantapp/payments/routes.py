from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from shared.auth.guards import staff
from tenantapp.payments import service

blp = Blueprint("payments", __name__, url_prefix="/v1/admin/payments", description="Deposits")


class ConnectOut(Schema):
    account_id = fields.String()
    url = fields.String()


@blp.route("/connect")
class Connect(MethodView):
    @staff("admin")
    @blp.response(200, ConnectOut)
    def post(self):
        """Stripe Connect onboarding link for the workspace's connected account (deposits)."""
        return service.connect_onboarding()
