from flask import Response, stream_with_context
from flask.views import MethodView
from flask_smorest import Blueprint

from shared.api import link, links
from shared.auth.guards import public, staff
from tenantapp.leads import schemas, service
from tenantapp.settings.service import local_day_start

blp = Blueprint("leads", __name__, url_prefix="/v1", description="Leads and customers")


@blp.route("/leads")
class Leads(MethodView):
    @public
    @blp.arguments(schemas.LeadIn)
    @blp.response(201, schemas.LeadCreated)
    @blp.doc(
        **links(
            201,
            GetLead=link("get", "/admin/leads/{lead_id}", lead_id="$response.body#/lead_id"),
            SetLeadStatus=link(
                "post", "/admin/leads/{lead_id}/status", lead_id="$response.body#/lead_id"
            ),
        )
    )
    def post(self, data):
        """Ask for a quote: the server prices it and answers with a referral code and the lead
        token, the caller's proof of the lead for ``/slots`` and ``/bookings``."""
        lead, estimate, token = service.create_lead(data)
        return {
            "lead_id": lead.id,
            "lead_token": token,
            "referral_code": lead.referral_code,
            "estimate": estimate,
        }


@blp.route("/admin/leads")
class AdminLeads(MethodView):
    @staff("view")
    @blp.arguments(schemas.LeadListArgs, location="query")
    @blp.response(200, schemas.LeadPage)
    @blp.doc(
        **links(
            200,
            GetLead=link("get", "/admin/leads/{lead_id}", lead_id="$response.body#/items/0/id"),
            GetCustomer=link(
                "get",
                "/admin/customers/{customer_id}",
                customer_id="$response.body#/items/0/customer_id",
            ),
        )
    )
    # Both bodies under the one 200 (an alt_response on the same code would replace the JSON one).
    @blp.doc(
        responses={
            "200": {
                "description": "A page of leads, or the CSV export (format=csv)",
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/LeadPage"}},
                    "text/csv": {"schema": {"type": "string"}},
                },
            }
        }
    )
    def get(self, args):
        """Leads, newest first; ``format=csv`` streams a formula-safe export (from/to dates)."""
        start, end = local_day_start(args["start"]), local_day_start(args["end"])
        if args["format"] == "csv":
            lines = service.leads_csv(args["status"], start, end)
            return Response(
                stream_with_context(lines),
                mimetype="text/csv",
                headers={"Content-Disposition": 'attachment; filename="leads.csv"'},
            )
        return service.list_leads(args["status"], args["limit"], args["cursor"], start, end)


@blp.route("/admin/leads/<int:lead_id>")
class AdminLead(MethodView):
    @staff("view")
    @blp.response(200, schemas.LeadDetail)
    def get(self, lead_id):
        """One lead with its estimate, bookings and the customer's referral credits."""
        return service.lead_detail(lead_id)


@blp.route("/admin/leads/<int:lead_id>/status")
class AdminLeadStatus(MethodView):
    @staff("dispatch")
    @blp.arguments(schemas.StatusIn)
    @blp.response(200, schemas.LeadOut)
    def post(self, data, lead_id):
        """Move a lead along NEW → CONTACTED → BOOKED → DONE (or CANCELLED)."""
        return service.change_status(lead_id, data["status"])
