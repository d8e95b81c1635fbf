"""Recurring service plans (SPEC §5.10): staff endpoints and the customer's signed links."""

from flask.views import MethodView
from flask_smorest import Blueprint

from shared.api import problems
from shared.auth.guards import public, staff
from shared.idempotency import idempotent
from tenantapp.bookings import links as booking_links
from tenantapp.bookings import service as bookings
from tenantapp.bookings.schemas import BookingOut
from tenantapp.plans import changes, links, schemas, service
from tenantapp.settings.service import tenant_zone

blp = Blueprint("plans", __name__, url_prefix="/v1", description="Recurring service plans")


@blp.route("/admin/plans")
class AdminPlans(MethodView):
    @staff("view")
    @blp.arguments(schemas.PlanListArgs, location="query")
    @blp.response(200, schemas.PlanPage)
    def get(self, args):
        """Plans by id, filtered by status and customer."""
        result = service.list_plans(args)
        result["items"] = [service.view(p) for p in result["items"]]
        return result

    @staff("dispatch")
    @idempotent
    @blp.arguments(schemas.PlanIn)
    @blp.response(201, schemas.PlanOut)
    def post(self, data):
        """Create a plan (priced now) and book its visits up to today + 56 days.

        ``first_date`` before today → 422. Each visit takes the plan's team when free, else
        another free team (flag ``team_changed``), else it waits PENDING with no team (listed in
        ``/admin/plans/conflicts``); over the bookings limit a visit is a conflict too."""
        return service.view(service.create_plan(data))


@blp.route("/admin/plans/conflicts")
class PlanConflicts(MethodView):
    @staff("view")
    @blp.arguments(schemas.OptionalRangeArgs, location="query")
    @blp.response(200, schemas.PlanConflictsOut)
    def get(self, args):
        """Plan visits that need a person: no team free, a blackout, outside hours, the limit."""
        return {"items": service.conflicts(args["start"], args["end"], tenant_zone())}


@blp.route("/admin/plans/<int:plan_id>")
class AdminPlan(MethodView):
    @staff("view")
    @blp.response(200, schemas.PlanOut)
    def get(self, plan_id):
        """One plan with its next 10 visits."""
        return service.view(service.get(plan_id))

    @staff("dispatch")
    @blp.doc(responses=problems("409"))
    @blp.arguments(schemas.PlanPatch)
    @blp.response(200, schemas.PlanOut)
    def patch(self, data, plan_id):
        """Change the plan from ``effective_from``: untouched future visits are regenerated."""
        return service.view(changes.update_plan(plan_id, data))


@blp.route("/admin/plans/<int:plan_id>/schedule")
class PlanSchedule(MethodView):
    @staff("view")
    @blp.arguments(schemas.RangeArgs, location="query")
    @blp.response(200, schemas.PlanScheduleOut)
    def get(self, args, plan_id):
        """Every date the rule gives in [from, to) (≤ 400 days) with its state (computed)."""
        plan = service.get(plan_id)
        items = service.schedule(plan, args["start"], args["end"])
        return {"plan_id": plan.id, "time_zone": plan.time_zone, "items": items}


@blp.route("/admin/plans/<int:plan_id>/pause")
class PausePlan(MethodView):
    @staff("dispatch")
    @blp.doc(responses=problems("409"))
    @blp.arguments(schemas.PauseIn)
    @blp.response(200, schemas.PlanOut)
    def post(self, data, plan_id):
        """Pause [from, until) (open-ended without until): its visits are cancelled."""
        return service.view(changes.pause(plan_id, data["start"], data["until"]))


@blp.route("/admin/plans/<int:plan_id>/resume")
class ResumePlan(MethodView):
    @staff("dispatch")
    @blp.doc(responses=problems("409"))
    @blp.response(200, schemas.PlanOut)
    def post(self, plan_id):
        """PAUSED → ACTIVE; the visits come back at once."""
        return service.view(changes.resume(plan_id))


@blp.route("/admin/plans/<int:plan_id>/cancel")
class CancelPlan(MethodView):
    @staff("dispatch")
    @blp.doc(responses=problems("409"))
    @blp.arguments(schemas.CancelPlanIn)
    @blp.response(200, schemas.PlanOut)
    def post(self, data, plan_id):
        """Cancel the plan: every visit on or after ``effective_on`` is cancelled."""
        return service.view(changes.cancel(plan_id, data["effective_on"], data["reason"]))


@blp.route("/admin/bookings/<int:booking_id>/skip")
class SkipVisit(MethodView):
    @staff("dispatch")
    @blp.doc(responses=problems("409"))
    @blp.arguments(schemas.SkipIn)
    @blp.response(200, BookingOut)
    def post(self, data, booking_id):
        """Skip one visit of a plan (SKIPPED: never regenerated, invoiced or counted)."""
        return bookings.view(changes.skip(booking_id, data["reason"], by="staff"))


@blp.route("/plans/<int:plan_id>")
class CustomerPlan(MethodView):
    @public
    @blp.arguments(schemas.TokenArgs, location="query")
    @blp.response(200, schemas.PlanOut)
    def get(self, args, plan_id):
        """The customer's own plan, through the signed link from the e-mail."""
        links.check_manage_token(args["token"], plan_id)
        return service.customer_view(service.get(plan_id))


@blp.route("/plans/<int:plan_id>/pause")
class CustomerPause(MethodView):
    @public
    @blp.doc(responses=problems("409"))
    @blp.arguments(schemas.TokenArgs, location="query")
    @blp.arguments(schemas.CustomerPauseIn)
    @blp.response(200, schemas.PlanOut)
    def post(self, args, data, plan_id):
        """Pause 1–8 weeks from the next visit, until 48 h before it (else 409 ``too_late``)."""
        links.check_manage_token(args["token"], plan_id)
        return service.customer_view(changes.customer_pause(plan_id, data["weeks"]))


@blp.route("/plans/<int:plan_id>/cancel-request")
class CustomerCancelRequest(MethodView):
    @public
    @blp.doc(responses=problems("409"))
    @blp.arguments(schemas.TokenArgs, location="query")
    @blp.arguments(schemas.CancelRequestIn)
    @blp.response(202, schemas.PlanOut)
    def post(self, args, data, plan_id):
        """Ask the company to end your plan (202: staff are told and get back to you; visits
        keep coming until they cancel it). Asking again changes nothing."""
        links.check_manage_token(args["token"], plan_id)
        plan = changes.request_cancellation(plan_id, data["reason"])
        return service.customer_view(plan)


@blp.route("/bookings/<int:booking_id>/skip")
class CustomerSkip(MethodView):
    @public
    @blp.doc(responses=problems("409"))
    @blp.arguments(schemas.TokenArgs, location="query")
    @blp.response(200, BookingOut)
    def post(self, args, booking_id):
        """Skip this visit of your plan, until 48 h before it (else 409 ``too_late``)."""
        booking_links.check_manage_token(args["token"], booking_id)
        return bookings.view(changes.skip(booking_id, "customer request", by="customer"))
