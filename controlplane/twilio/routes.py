"""``POST /v1/webhooks/twilio/inbound|status``: Twilio's signed webhooks (SPEC §5.12)."""

from __future__ import annotations

from contextlib import contextmanager

from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint
from twilio.twiml.messaging_response import MessagingResponse

from controlplane.twilio import service
from shared import metrics
from shared.api import problems
from shared.auth.guards import public
from shared.errors import Forbidden
from shared.runtime import current_runtime
from shared.sms import validate_signature

blp = Blueprint(
    "twilio", __name__, url_prefix="/v1/webhooks/twilio", description="Twilio webhooks (SMS)"
)

TWIML = {
    "200": {
        "description": "TwiML: an empty ``<Response/>`` or the answer to send back",
        "content": {"text/xml": {"schema": {"type": "string"}}},
    },
    **problems("403"),
}


SOURCE = "twilio"  # the label the "Twilio webhook failures" alert watches


@contextmanager
def _counted_failure():
    """A verified webhook whose handling raised (Twilio retries it): counted for alerting."""
    try:
        yield
    except Exception:
        metrics.webhook_outcome(SOURCE, "failed")
        raise


def _verified():
    """The POSTed form when ``X-Twilio-Signature`` signs ``PUBLIC_BASE_URL`` + path (+ query)
    and the form; otherwise 403 and nothing is read further."""
    settings = current_runtime().settings
    url = settings.public_base_url.rstrip("/") + request.path
    if request.query_string:
        url += "?" + request.query_string.decode("latin-1")
    form = request.form
    if not validate_signature(
        settings.twilio_auth_token, url, form, request.headers.get("X-Twilio-Signature")
    ):
        metrics.webhook_outcome(SOURCE, "bad_signature")
        raise Forbidden("The Twilio signature is missing or does not match this request.")
    return form


def _twiml(reply: str | None) -> Response:
    response = MessagingResponse()
    if reply:
        response.message(reply)
    return Response(str(response), status=200, mimetype="text/xml")


@blp.route("/inbound")
class Inbound(MethodView):
    @public
    @blp.doc(responses=TWIML)
    def post(self):
        """An inbound text, routed to the workspace that owns the ``To`` number."""
        form = _verified()
        with _counted_failure():
            outcome, reply = service.route_inbound(form)
        metrics.webhook_outcome(SOURCE, outcome)
        return _twiml(reply)


@blp.route("/status")
class Status(MethodView):
    @public
    @blp.doc(responses=TWIML)
    def post(self):
        """A delivery report of an outbound text (``MessageStatus``, ``ErrorCode``)."""
        form = _verified()
        with _counted_failure():
            outcome = service.route_status(form, request.args.get("tenant"))
        metrics.webhook_outcome(SOURCE, f"status_{outcome}")
        return _twiml(None)
