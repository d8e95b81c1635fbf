"""``GET/POST /feedback/{token}``: the customer's answer to a review request (JSON; the page
comes with the customers' pages)."""

from flask.views import MethodView
from flask_smorest import Blueprint

from shared.api import problems
from shared.auth.guards import public
from tenantapp.reviews import schemas, service

blp = Blueprint("reviews", __name__, url_prefix="/v1", description="Reviews")


@blp.route("/feedback/<string:token>")
class Feedback(MethodView):
    @public
    @blp.response(200, schemas.FeedbackOut)
    def get(self, token):
        """The review request behind a signed feedback link (404 when bad or expired)."""
        return service.view(token)

    @public
    @blp.arguments(schemas.FeedbackIn)
    @blp.response(200, schemas.FeedbackOut)
    @blp.doc(responses=problems("409"))
    def post(self, data, token):
        """Rate the visit 0-10 with an optional comment, once (409 the second time)."""
        return service.submit(token, data["score"], data["comment"])
