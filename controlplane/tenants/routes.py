from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint

from controlplane.tenants import schemas, service
from shared.auth.guards import public, staff

blp = Blueprint("workspace", __name__, url_prefix="/v1", description="Plans and the workspace")


@blp.route("/plans")
class Plans(MethodView):
    @public
    @blp.response(200, schemas.PlanList)
    def get(self):
        """The plan catalogue."""
        return {"items": service.plans()}


@blp.route("/tenant")
class CurrentTenant(MethodView):
    @staff("view", allow_suspended=True)
    @blp.response(200, schemas.TenantDetail)
    def get(self):
        """The signed-in workspace: status, plan, limits and usage this period."""
        return service.tenant_detail(g.staff_tenant)
