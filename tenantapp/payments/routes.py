from flask import redirect
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from shared.api import problems
from shared.auth.guards import public, staff
from tenantapp.payments import cards, service

blp = Blueprint("payments", __name__, url_prefix="/v1", description="Stripe Connect and cards")


class ConnectOut(Schema):
    account_id = fields.String()
    url = fields.String()


class SetupLinkOut(Schema):
    sent = fields.Boolean()
    customer_id = fields.Integer()


class TokenArgs(Schema):
    token = fields.String(required=True, validate=validate.Length(max=500))


class CardSetupCheckoutOut(Schema):
    checkout_url = fields.String()


@blp.route("/admin/payments/connect")
class Connect(MethodView):
    @staff("admin")
    @blp.response(200, ConnectOut)
    def post(self):
        """Stripe Connect onboarding link for the workspace's connected account (deposits)."""
        return service.connect_onboarding()


@blp.route("/admin/customers/<int:customer_id>/card-setup-link")
class CardSetupLink(MethodView):
    @staff("finance")
    @blp.response(200, SetupLinkOut)
    @blp.doc(responses=problems("409"))
    def post(self, customer_id):
        """E-mail the customer a link to save a card (``card_setup``; Checkout in setup mode on
        the connected account). No e-mail address or no connected account → 409."""
        return cards.send_setup_link(customer_id)


@blp.route("/customers/<int:customer_id>/card-setup")
class CardSetup(MethodView):
    @public
    @blp.arguments(TokenArgs, location="query")
    @blp.response(200, CardSetupCheckoutOut)
    @blp.doc(responses=problems("404", "409", "503"))
    def post(self, args, customer_id):
        """``{checkout_url}``: Stripe Checkout in setup mode for the customer of the signed
        card-setup link (another customer's or tenant's token → 404)."""
        cards.check_setup_token(args["token"], customer_id)
        return {"checkout_url": cards.start_card_setup(customer_id)}

    @public
    @blp.arguments(TokenArgs, location="query")
    @blp.response(303)
    @blp.doc(responses=problems("404", "409", "503"))
    def get(self, args, customer_id):
        """The e-mailed link: redirects (303) to Stripe's card form."""
        cards.check_setup_token(args["token"], customer_id)
        return redirect(cards.start_card_setup(customer_id), code=303)
