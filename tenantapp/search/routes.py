from flask.views import MethodView
from flask_smorest import Blueprint

from shared.auth.guards import staff
from tenantapp.search import schemas, service

blp = Blueprint("search", __name__, url_prefix="/v1", description="Global search")


@blp.route("/admin/search")
class Search(MethodView):
    @staff("view")
    @blp.arguments(schemas.SearchArgs, location="query")
    @blp.response(200, schemas.SearchOut)
    def get(self, args):
        """One box over customers (name, e-mail, phone in any format, address, postal code),
        leads, bookings (id prefix) and workers; per type at most ``limit`` (≤ 20), ranked exact >
        prefix of any word > contains > fuzzy."""
        return service.search(args["q"], args["types"], args["limit"])
