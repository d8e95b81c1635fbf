from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from shared.api import link, links
from shared.auth.guards import staff
from shared.idempotency import idempotent
from shared.tenancy import current_tenant
from tenantapp.exports.service import SIGNATURE_HEADER, signing_secret
from tenantapp.messaging.schemas import OutboxListArgs, OutboxOut, OutboxPage
from tenantapp.outbox import service as outbox

blp = Blueprint("exports", __name__, url_prefix="/v1/admin/exports", description="Lead exports")


class SigningSecretOut(Schema):
    secret = fields.String()
    header = fields.String()
    scheme = fields.String()


@blp.route("/dead-letter")
class ExportDeadLetters(MethodView):
    @staff("view")
    @blp.arguments(OutboxListArgs, location="query")
    @blp.response(200, OutboxPage)
    @blp.doc(
        **links(
            200,
            Replay=link(
                "post",
                "/admin/exports/{message_id}/replay",
                message_id="$response.body#/items/0/id",
            ),
        )
    )
    def get(self, args):
        """Lead export webhooks that gave up, newest first."""
        return outbox.list_messages(args["limit"], args["cursor"], "dead", "webhook")


@blp.route("/<int:message_id>/replay")
class ExportReplay(MethodView):
    @staff("admin")
    @idempotent
    @blp.response(200, OutboxOut)
    def post(self, message_id):
        """Requeue a dead export webhook (shares the 5 per minute replay budget)."""
        return outbox.replay_message(message_id, kind="webhook")


@blp.route("/signing-secret")
class ExportSigningSecret(MethodView):
    @staff("admin")
    @blp.response(200, SigningSecretOut)
    def get(self):
        """The secret receivers use to verify ``X-Cleanplane-Signature``."""
        return {
            "secret": signing_secret(current_tenant().id),
            "header": SIGNATURE_HEADER,
            "scheme": 't=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + raw body)>',
        }
