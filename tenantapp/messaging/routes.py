from flask.views import MethodView
from flask_smorest import Blueprint

from shared import db
from shared.api import link, links
from shared.auth.guards import public, staff
from shared.idempotency import idempotent
from shared.limits import client_ip
from shared.runtime import current_runtime
from shared.tenancy import current_tenant
from tenantapp.bookings import notifications as booking_notifications
from tenantapp.bookings import reminders
from tenantapp.messaging import schemas, service
from tenantapp.oplimits import enforce
from tenantapp.outbox import service as outbox

blp = Blueprint("messaging", __name__, url_prefix="/v1", description="Outbox and e-mail")


@blp.route("/admin/outbox")
class Outbox(MethodView):
    @staff("view")
    @blp.arguments(schemas.OutboxListArgs, location="query")
    @blp.response(200, schemas.OutboxPage)
    @blp.doc(
        **links(
            200,
            Replay=link(
                "post",
                "/admin/outbox/{message_id}/replay",
                message_id="$response.body#/items/0/id",
            ),
        )
    )
    def get(self, args):
        """E-mails and webhooks of this workspace, newest first (filter by status, kind)."""
        return outbox.list_messages(args["limit"], args["cursor"], args["status"], args["kind"])


@blp.route("/admin/outbox/dead-letter")
class DeadLetters(MethodView):
    @staff("view")
    @blp.arguments(schemas.OutboxListArgs, location="query")
    @blp.response(200, schemas.OutboxPage)
    @blp.doc(
        **links(
            200,
            Replay=link(
                "post",
                "/admin/outbox/{message_id}/replay",
                message_id="$response.body#/items/0/id",
            ),
        )
    )
    def get(self, args):
        """Messages that gave up (5 attempts, a permanent refusal, or an interrupted e-mail)."""
        return outbox.list_messages(args["limit"], args["cursor"], "dead", args["kind"])


@blp.route("/admin/outbox/<int:message_id>/replay")
class Replay(MethodView):
    @staff("admin")
    @idempotent
    @blp.response(200, schemas.OutboxOut)
    def post(self, message_id):
        """Requeue a dead letter with a fresh attempt budget (5 per minute per workspace)."""
        return outbox.replay_message(message_id)


@blp.route("/admin/bookings/<int:booking_id>/resend-last-email")
class ResendLastEmail(MethodView):
    @staff("dispatch")
    @idempotent
    @blp.response(200, schemas.OutboxOut)
    def post(self, booking_id):
        """Send the booking's most recent e-mail again (Idempotency-Key: once per key)."""
        return booking_notifications.resend_last_email(booking_id)


@blp.route("/admin/email-scan")
class EmailScan(MethodView):
    @staff("dispatch")
    @blp.response(200, schemas.ScanOut)
    def post(self):
        """Run the 24-hour reminder scan now."""
        return reminders.scan_reminders()


@blp.route("/unsubscribe")
class Unsubscribe(MethodView):
    @public
    @blp.arguments(schemas.UnsubscribeArgs, location="query")
    @blp.response(200, schemas.UnsubscribeOut)
    def get(self, args):
        """Opt out of this workspace's optional e-mail (reminders, lead follow-ups)."""
        return self._unsubscribe(args["token"])

    @public
    @blp.arguments(schemas.UnsubscribeArgs, location="query")
    @blp.response(200, schemas.UnsubscribeOut)
    def post(self, args):
        """One-click unsubscribe (RFC 8058 ``List-Unsubscribe-Post``)."""
        return self._unsubscribe(args["token"])

    @staticmethod
    def _unsubscribe(token: str) -> dict:
        settings = current_runtime().settings
        tenant_id = str(current_tenant().id)
        enforce(settings.rate_limit_public, tenant_id, "unsubscribe", client_ip())
        with db.transaction() as tx:
            email = service.unsubscribe(tx, token)
        return {"unsubscribed": True, "email": service.mask_email(email)}
