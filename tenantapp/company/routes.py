from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from shared.auth.guards import public
from tenantapp.settings.service import get_settings

blp = Blueprint("company", __name__, url_prefix="/v1/company", description="Public company card")


class CompanyOut(Schema):
    slug = fields.String()
    company_name = fields.String()
    time_zone = fields.String()


@blp.route("")
class Company(MethodView):
    @public
    @blp.response(200, CompanyOut)
    def get(self):
        """The company's public card for its booking site: name and time zone."""
        row = get_settings()
        return {"slug": g.tenant.slug, "company_name": row.company_name, "time_zone": row.time_zone}
