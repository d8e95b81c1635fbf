from contextlib import contextmanager

from flask import g, request
from flask.views import MethodView
from flask_smorest import Blueprint

from controlplane.billing import plans, schemas, service
from controlplane.billing.connect import route_connect_event
from controlplane.billing.event_shape import check_envelope, malformed_events_refused
from controlplane.billing.webhooks import handle_event
from shared import metrics
from shared.api import link, links, problems
from shared.auth.guards import operator, public, staff
from shared.errors import AppError, BadRequest
from shared.runtime import current_runtime
from shared.stripe import WebhookSignatureInvalid, verify_webhook

blp = Blueprint("billing", __name__, url_prefix="/v1/billing", description="Plan and billing")
stripe_blp = Blueprint("stripe", __name__, url_prefix="/v1/stripe", description="Stripe webhooks")
plans_blp = Blueprint(
    "ops_plans", __name__, url_prefix="/v1/ops/plans", description="Plan catalogue (operators)"
)


@blp.route("/checkout")
class Checkout(MethodView):
    @staff("finance", allow_suspended=True)
    @blp.arguments(schemas.CheckoutIn)
    @blp.doc(responses=problems("409", "503"))
    @blp.response(200, schemas.CheckoutOut)
    def post(self, data):
        """Start a Stripe Checkout Session (subscription mode) for a paid plan.

        An optional ``Idempotency-Key`` header makes retries return the same session.
        """
        return service.start_checkout(
            g.staff_tenant,
            g.principal.user_id,
            data["plan"],
            (request.headers.get("Idempotency-Key") or "")[:100] or None,
        )


@blp.route("/portal")
class Portal(MethodView):
    @staff("finance", allow_suspended=True)
    @blp.response(200, schemas.PortalOut)
    @blp.doc(responses=problems("409", "503"))
    def post(self):
        """A Stripe customer-portal link (409 before the first Checkout)."""
        return service.portal(g.staff_tenant)


@blp.route("/status")
class Status(MethodView):
    @staff("view", allow_suspended=True)
    @blp.response(200, schemas.BillingStatus)
    def get(self):
        """Plan, subscription state, limits, usage and metering drift (reachable while
        suspended, to pay)."""
        return service.status(g.staff_tenant)


@stripe_blp.route("/webhook")
class Webhook(MethodView):
    @public
    @stripe_blp.response(200, schemas.WebhookOut)
    def post(self):
        """Platform-account Stripe events, authenticated by the ``Stripe-Signature`` header."""
        event = _verified_event(current_runtime().settings.stripe_webhook_secret, "stripe")
        with _counted_failure("stripe"), malformed_events_refused("stripe"):
            outcome = handle_event(event)
        metrics.webhook_outcome("stripe", outcome)
        return {"received": True, "outcome": outcome}


@contextmanager
def _counted_failure(source: str):
    """A verified event whose handling raised (Stripe will redeliver): counted for alerting."""
    try:
        yield
    except AppError as exc:
        if exc.status >= 500:  # a malformed event is a 400, counted as "malformed" already
            metrics.webhook_outcome(source, "failed")
        raise
    except Exception:
        metrics.webhook_outcome(source, "failed")
        raise


def _verified_event(secret: str, source: str) -> dict:
    """The request's Stripe event, or 400 when the signature is missing, wrong or stale."""
    try:
        event = verify_webhook(
            request.get_data(cache=False), request.headers.get("Stripe-Signature"), secret
        )
    except WebhookSignatureInvalid as exc:
        metrics.webhook_outcome(source, "bad_signature")
        raise BadRequest("The Stripe signature is missing, wrong or too old.") from exc
    return check_envelope(event, source)


@stripe_blp.route("/connect-webhook")
class ConnectWebhook(MethodView):
    @public
    @stripe_blp.response(200, schemas.WebhookOut)
    def post(self):
        """Connected-account events (deposits), authenticated with the Connect signing secret."""

        event = _verified_event(
            current_runtime().settings.stripe_connect_webhook_secret, "stripe_connect"
        )
        with _counted_failure("stripe_connect"), malformed_events_refused("stripe_connect"):
            outcome = route_connect_event(event)
        metrics.webhook_outcome("stripe_connect", outcome)
        return {"received": True, "outcome": outcome}


@plans_blp.route("")
class PlanList(MethodView):
    @operator
    @plans_blp.response(200, schemas.PlanAdminList)
    @plans_blp.doc(
        **links(
            200,
            EditPlan=link("patch", "/v1/ops/plans/{code}", code="$response.body#/items/0/code"),
        )
    )
    def get(self):
        """Every plan, inactive ones and Stripe price ids included."""
        return {"items": plans.all_plans()}


@plans_blp.route("/<string:code>")
class PlanEdit(MethodView):
    @operator
    @plans_blp.arguments(schemas.PlanPatch)
    @plans_blp.doc(responses=problems("409"))
    @plans_blp.response(200, schemas.PlanAdminOut)
    def patch(self, data, code):
        """Edit a plan (price, limits, Stripe price id, availability); limits apply at once."""
        return plans.update_plan(code, data, actor=f"operator:{g.principal.operator}")
