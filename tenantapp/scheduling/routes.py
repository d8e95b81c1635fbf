from flask import current_app, g
from flask.views import MethodView
from flask_smorest import Blueprint

from shared.api import link, links
from shared.auth.guards import public, staff
from tenantapp.bookings import availability, slot_cache
from tenantapp.leads.proof import lead_by_proof
from tenantapp.leads.service import booking_minutes
from tenantapp.pricing.estimator import duration_minutes
from tenantapp.scheduling import schemas, service

blp = Blueprint("scheduling", __name__, url_prefix="/v1", description="Teams, hours and slots")
# One instance, not the class: webargs would build a new schema (deep-copying its fields) on every
# request of the public slot finder.
SLOT_QUERY = schemas.SlotQuery()


@blp.route("/admin/teams")
class Teams(MethodView):
    @staff("admin")
    @blp.response(200, schemas.TeamsOut)
    @blp.doc(
        **links(
            200,
            GetWorkingHours=link(
                "get", "/admin/teams/{team_id}/working-hours", team_id="$response.body#/items/0/id"
            ),
            PutWorkingHours=link(
                "put", "/admin/teams/{team_id}/working-hours", team_id="$response.body#/items/0/id"
            ),
        )
    )
    def get(self):
        """Teams, oldest first."""
        return {"items": service.list_teams()}

    @staff("admin")
    @blp.arguments(schemas.TeamsIn)
    @blp.response(200, schemas.TeamsOut)
    @blp.doc(
        **links(
            200,
            GetWorkingHours=link(
                "get", "/admin/teams/{team_id}/working-hours", team_id="$response.body#/items/0/id"
            ),
            PutWorkingHours=link(
                "put", "/admin/teams/{team_id}/working-hours", team_id="$response.body#/items/0/id"
            ),
        )
    )
    def put(self, data):
        """Create or rename teams; teams left out are deactivated."""
        return {"items": service.replace_teams(data["teams"])}


@blp.route("/admin/teams/<int:team_id>/working-hours")
class TeamHours(MethodView):
    @staff("admin")
    @blp.response(200, schemas.HoursListOut)
    def get(self, team_id):
        """The team's working window per weekday (0 = Monday), tenant-local."""
        return {"team_id": team_id, "hours": service.working_hours(team_id)}

    @staff("admin")
    @blp.arguments(schemas.HoursListIn)
    @blp.response(200, schemas.HoursListOut)
    def put(self, data, team_id):
        """Replace the team's working hours; weekdays left out are days off."""
        return {"team_id": team_id, "hours": service.replace_working_hours(team_id, data["hours"])}


@blp.route("/admin/blackouts")
class Blackouts(MethodView):
    @staff("admin")
    @blp.arguments(schemas.BlackoutQuery, location="query")
    @blp.response(200, schemas.BlackoutList)
    def get(self, args):
        """Blackouts overlapping [from, to)."""
        return {"items": service.list_blackouts(args["start"], args["end"])}

    @staff("admin")
    @blp.arguments(schemas.BlackoutIn)
    @blp.response(201, schemas.BlackoutOut)
    @blp.doc(
        **links(
            201,
            DeleteBlackout=link(
                "delete", "/admin/blackouts/{blackout_id}", blackout_id="$response.body#/id"
            ),
        )
    )
    def post(self, data):
        """Block a team (or every team, without team_id) for a period."""
        return service.create_blackout(data)


@blp.route("/admin/blackouts/<int:blackout_id>")
class BlackoutItem(MethodView):
    @staff("admin")
    @blp.response(204)
    def delete(self, blackout_id):
        """Remove a blackout."""
        service.delete_blackout(blackout_id)


@blp.route("/admin/schedule")
class Schedule(MethodView):
    @staff("view")
    @blp.arguments(schemas.ScheduleQuery, location="query")
    @blp.response(200, schemas.ScheduleOut)
    def get(self, args):
        """One day per team: working window, bookings, blackouts and free gaps."""
        return availability.schedule(args["day"])


@blp.route("/slots")
class Slots(MethodView):
    @public
    @blp.arguments(SLOT_QUERY, location="query")
    @blp.response(200, schemas.SlotsOut)
    def get(self, args):
        """Up to three free start times on a day (any free team), with a clarifier when needed.

        With ``lead_id`` the duration comes from the lead's estimate and ``lead_token`` must prove
        the lead (else 404)."""
        if args["lead_id"] is not None:
            minutes = booking_minutes(lead_by_proof(args["lead_id"], args["lead_token"]))
        else:
            minutes = duration_minutes(args["time_on_site_hours"], args["service_type"])
        window = None
        if args["window_start_hour"] is not None:
            window = (args["window_start_hour"], args["window_end_hour"])

        def compute():
            found = availability.find_slots(args["date"], minutes, window)
            body = current_app.json.response(schemas.SlotsOut().dump(found)).get_data()
            return body, found["stable_until"]

        key = slot_cache.key(g.get("availability_version"), args["date"], minutes, window)
        body = slot_cache.answer(key, compute)
        return current_app.response_class(body, mimetype=current_app.json.mimetype)
