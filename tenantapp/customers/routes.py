"""Customers and their properties (SPEC §5.3, §5.9). One customer's page (leads, bookings,
credits) is rendered by ``leads.service`` — a feature above this one (see pyproject)."""

from flask.views import MethodView
from flask_smorest import Blueprint

from shared import db
from shared.api import link, links, problems
from shared.auth.guards import staff
from tenantapp.bookings.visits import customer_visits
from tenantapp.customers import schemas, service
from tenantapp.leads import schemas as lead_schemas
from tenantapp.leads import service as leads

blp = Blueprint("customers", __name__, url_prefix="/v1", description="Customers and properties")

_CUSTOMER_OPERATIONS = {
    "GetCustomer": ("get", ""),
    "PatchCustomer": ("patch", ""),
    "ListProperties": ("get", "/properties"),
    "CreateProperty": ("post", "/properties"),
}


def _customer_links(status: int, customer_id: str) -> dict:
    return links(
        status,
        **{
            name: link(method, "/admin/customers/{customer_id}" + tail, customer_id=customer_id)
            for name, (method, tail) in _CUSTOMER_OPERATIONS.items()
        },
    )


def _property_links(status: int, property_id: str) -> dict:
    return links(
        status,
        **{
            name: link(
                method,
                "/admin/customers/{customer_id}/properties/{property_id}",
                customer_id="$request.path.customer_id",
                property_id=property_id,
            )
            for name, method in (("PatchProperty", "patch"), ("DeleteProperty", "delete"))
        },
    )


@blp.route("/admin/customers")
class Customers(MethodView):
    @staff("view")
    @blp.arguments(schemas.CustomerListArgs, location="query")
    @blp.response(200, schemas.CustomerPage)
    @blp.doc(**_customer_links(200, "$response.body#/items/0/id"))
    def get(self, args):
        """Customers, newest first; ``q`` filters by name, e-mail or phone digits."""
        return service.list_customers(args["limit"], args["cursor"], args["q"])

    @staff("dispatch")
    @blp.doc(responses=problems("409"))
    @blp.arguments(schemas.CustomerIn)
    @blp.response(201, schemas.CustomerOut)
    @blp.doc(**_customer_links(201, "$response.body#/id"))
    def post(self, data):
        """Add a customer (a phone-in): e-mail lower-cased, phone stored as E.164; an e-mail
        another customer has → 409. Audited."""
        return service.create_customer(data)


@blp.route("/admin/customers/<int:customer_id>")
class Customer(MethodView):
    @staff("view")
    @blp.response(200, lead_schemas.CustomerDetail)
    def get(self, customer_id):
        """One customer with their properties, leads, credits and visits (upcoming first, then
        recent past; ``bookings_url`` lists them all)."""
        detail = leads.customer_detail(customer_id)
        return {**detail, **customer_visits(db.session(), customer_id)}

    @staff("dispatch")
    @blp.doc(responses=problems("409"))
    @blp.arguments(schemas.CustomerPatch)
    @blp.response(200, schemas.CustomerOut)
    def patch(self, data, customer_id):
        """Edit a customer; a change of ``sms_opt_in`` is recorded with source ``staff`` and the
        time. Audited."""
        return service.update_customer(customer_id, data)


@blp.route("/admin/customers/<int:customer_id>/properties")
class Properties(MethodView):
    @staff("view")
    @blp.arguments(schemas.PropertyListArgs, location="query")
    @blp.response(200, schemas.PropertyList)
    @blp.doc(**_property_links(200, "$response.body#/items/0/id"))
    def get(self, args, customer_id):
        """The customer's properties, oldest first (archived ones with ``include_archived``)."""
        return {"items": service.list_properties(customer_id, args["include_archived"])}

    @staff("dispatch")
    @blp.doc(responses=problems("409"))
    @blp.arguments(schemas.PropertyIn)
    @blp.response(201, schemas.PropertyOut)
    @blp.doc(**_property_links(201, "$response.body#/id"))
    def post(self, data, customer_id):
        """Add a property (address, access and key notes, home details). Audited."""
        return service.create_property(customer_id, service.jsonable(data))


@blp.route("/admin/customers/<int:customer_id>/properties/<int:property_id>")
class Property(MethodView):
    @staff("dispatch")
    @blp.arguments(schemas.PropertyPatch)
    @blp.response(200, schemas.PropertyOut)
    def patch(self, data, customer_id, property_id):
        """Edit a property; ``archived: true|false`` archives or restores it. Audited."""
        return service.update_property(customer_id, property_id, service.jsonable(data))

    @staff("dispatch")
    @blp.response(204)
    @blp.alt_response(200, schema=schemas.PropertyOut, description="Archived instead")
    def delete(self, customer_id, property_id):
        """Delete a property nothing points at (204); one with leads or bookings is archived
        instead (200, the archived property). Audited."""
        archived = service.delete_property(customer_id, property_id)
        if archived is None:
            return None
        return schemas.PropertyOut().dump(archived), 200
