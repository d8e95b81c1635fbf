from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from controlplane.tenants import schemas as tenant_schemas
from controlplane.tenants.service import tenant_detail
from shared.auth.guards import staff

blp = Blueprint("billing", __name__, url_prefix="/v1/billing", description="Plan and billing")


class BillingStatus(Schema):
    plan = fields.String()
    status = fields.String()
    subscription_status = fields.String(allow_none=True)
    current_period_end = fields.DateTime(allow_none=True)
    limits = fields.Nested(tenant_schemas.Limits)
    usage = fields.Nested(tenant_schemas.Usage)
    drift = fields.Dict(keys=fields.String(), values=fields.Integer())


@blp.route("/status")
class Status(MethodView):
    @staff("view", allow_suspended=True)
    @blp.response(200, BillingStatus)
    def get(self):
        """Plan, subscription state, limits and usage (reachable while suspended, to pay)."""
        detail = tenant_detail(g.staff_tenant)
        return {
            "plan": detail["plan"],
            "status": detail["status"],
            "subscription_status": None,
            "current_period_end": None,
            "limits": detail["limits"],
            "usage": detail["usage"],
            "drift": {},
        }
