from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from shared.auth.guards import staff
from shared.pagination import PageArgs, page_schema
from tenantapp.audit import service

blp = Blueprint("audit", __name__, url_prefix="/v1/admin/audit", description="Audit log")


class AuditOut(Schema):
    id = fields.Integer()
    at = fields.DateTime()
    actor_type = fields.String()
    actor_id = fields.String(allow_none=True)
    action = fields.String()
    entity = fields.String()
    entity_id = fields.String(allow_none=True)
    before = fields.Dict(allow_none=True)
    after = fields.Dict(allow_none=True)
    request_id = fields.String(allow_none=True)


@blp.route("")
class AuditLog(MethodView):
    @staff("admin")
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, page_schema(AuditOut, "AuditPage"))
    def get(self, args):
        """Staff writes, newest first."""
        return service.list_entries(args["limit"], args["cursor"])
