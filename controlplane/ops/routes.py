from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint

from controlplane.ops import schemas, service
from shared.api import link, links
from shared.auth.guards import operator

blp = Blueprint("ops", __name__, url_prefix="/v1/ops", description="Platform operators")


@blp.route("/tenants")
class Tenants(MethodView):
    @operator
    @blp.arguments(schemas.TenantListArgs, location="query")
    @blp.response(200, schemas.OpsTenantPage)
    @blp.doc(
        **links(
            200,
            OpsGetTenant=link(
                "get", "/v1/ops/tenants/{tenant_id}", tenant_id="$response.body#/items/0/id"
            ),
        )
    )
    def get(self, args):
        """Tenants, filtered by status or plan, oldest first."""
        return service.list_tenants(args)


@blp.route("/tenants/<uuid:tenant_id>")
class TenantDetail(MethodView):
    @operator
    @blp.response(200, schemas.OpsTenantDetail)
    def get(self, tenant_id):
        """One tenant: schema, revision, usage and lifecycle history."""
        return service.tenant_detail(tenant_id)

    @operator
    @blp.arguments(schemas.ReasonIn)
    @blp.response(200, schemas.OpsTenant)
    def delete(self, data, tenant_id):
        """Start a staged deletion: ``deleting`` now, schema dropped after the retention window."""
        return service.delete_tenant(tenant_id, g.principal.operator, data["reason"])


@blp.route("/tenants/<uuid:tenant_id>/suspend")
class Suspend(MethodView):
    @operator
    @blp.arguments(schemas.ReasonIn)
    @blp.response(200, schemas.OpsTenant)
    def post(self, data, tenant_id):
        """Suspend a tenant: staff get 403, its public pages 404; billing stays reachable."""
        return service.set_status(tenant_id, "suspended", g.principal.operator, data["reason"])


@blp.route("/tenants/<uuid:tenant_id>/resume")
class Resume(MethodView):
    @operator
    @blp.arguments(schemas.ReasonIn)
    @blp.response(200, schemas.OpsTenant)
    def post(self, data, tenant_id):
        """Resume a suspended tenant."""
        return service.set_status(tenant_id, "active", g.principal.operator, data["reason"])


@blp.route("/jobs")
class Jobs(MethodView):
    @operator
    @blp.response(200, schemas.OpsJobs)
    def get(self):
        """RQ queues (depth, started, scheduled, failed) and worker/scheduler heartbeats."""
        return service.jobs_report()
