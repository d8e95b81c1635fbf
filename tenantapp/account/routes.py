"""``POST /client/login``: a customer asks for a magic sign-in link (SPEC §5.13).

Public and always 202 (the answer never tells whether the address is a customer's); 429 once the
per-e-mail or per-IP budget is used up. The account page's own form calls the same service.
"""

import flask
from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import ValidationError

from shared.api import problems
from shared.auth.guards import public
from shared.errors import BadRequest, ValidationFailed, flatten_messages
from shared.limits import client_ip
from tenantapp.account import schemas, signin

blp = Blueprint("account", __name__, url_prefix="/v1", description="Customer accounts")
# The same operation beside the customers' pages (``/t/<slug>/client/login``): SPEC §5.13 names
# it among the pages, so a page's script (or a company's own site) may call it there too.
alias = flask.Blueprint("account_alias", __name__)

SENT = "If that address belongs to a customer, a sign-in link is on its way."


@blp.route("/client/login")
class ClientLogin(MethodView):
    @public
    @blp.arguments(schemas.ClientLoginIn)
    @blp.response(202, schemas.ClientLoginOut)
    @blp.doc(responses=problems("429"))
    def post(self, data):
        """E-mail a sign-in link valid 15 minutes, usable once, to the customer with ``email``."""
        signin.request_link(data["email"], client_ip())
        return {"detail": SENT}


@alias.post("/client/login")
@public
def client_login_alias():
    """``POST /t/<slug>/client/login``: ``POST /v1/client/login`` outside the API prefix."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest("The body must be a JSON object.")
    try:
        data = schemas.ClientLoginIn().load(body)
    except ValidationError as exc:
        raise ValidationFailed(flatten_messages(exc.messages)) from exc
    signin.request_link(data["email"], client_ip())
    return flask.jsonify({"detail": SENT}), 202
