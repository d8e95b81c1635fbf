"""Staff's SMS: a customer's message thread and replies, conversations, template previews."""

from flask.views import MethodView
from flask_smorest import Blueprint

from shared.api import problems
from shared.auth.guards import staff
from tenantapp.bookings import previews
from tenantapp.sms import schemas, service

blp = Blueprint("sms", __name__, url_prefix="/v1", description="SMS and message threads")


@blp.route("/admin/customers/<int:customer_id>/messages")
class Thread(MethodView):
    @staff("view")
    @blp.arguments(schemas.PageArgs, location="query")
    @blp.response(200, schemas.ThreadPage)
    def get(self, args, customer_id):
        """The customer's messages, e-mail and SMS, in and out, newest first (marks read)."""
        return service.thread(customer_id, args["limit"], args["cursor"])

    @staff("dispatch")
    @blp.arguments(schemas.ReplyIn)
    @blp.response(201, schemas.SentOut)
    @blp.doc(responses=problems("402", "409"))
    def post(self, data, customer_id):
        """Text the customer now (≤ 1 600 characters; metered; 409 ``opted_out`` without
        consent, 402 ``limit_reached`` over the plan's SMS segments)."""
        return service.staff_reply(customer_id, data["body"])


@blp.route("/admin/conversations")
class Conversations(MethodView):
    @staff("view")
    @blp.arguments(schemas.ConversationArgs, location="query")
    @blp.response(200, schemas.ConversationPage)
    def get(self, args):
        """Customers who texted in, unread first (``unread=true``: only those)."""
        return service.conversations(args["unread"], args["limit"], args["cursor"])


@blp.route("/admin/messages/preview")
class Preview(MethodView):
    @staff("view")
    @blp.arguments(schemas.PreviewArgs, location="query")
    @blp.response(200, schemas.PreviewOut)
    def get(self, args):
        """Render a template for a booking (SMS: text and segments; e-mail: subject, text,
        HTML). Nothing is sent."""
        return previews.preview(args["template"], args["booking_id"], args["channel"])
