from flask.views import MethodView
from flask_smorest import Blueprint

from shared.api import link, links, problems
from shared.auth.guards import staff
from tenantapp.checklists import schemas, service, templates

blp = Blueprint("checklists", __name__, url_prefix="/v1", description="Checklists")


@blp.route("/admin/checklist-templates")
class Templates(MethodView):
    @staff("admin")
    @blp.response(200, schemas.TemplateList)
    @blp.doc(
        **links(
            200,
            GetTemplate=link(
                "get",
                "/admin/checklist-templates/{template_id}",
                template_id="$response.body#/items/0/id",
            ),
            PutTemplate=link(
                "put",
                "/admin/checklist-templates/{template_id}",
                template_id="$response.body#/items/0/id",
            ),
            DeleteTemplate=link(
                "delete",
                "/admin/checklist-templates/{template_id}",
                template_id="$response.body#/items/0/id",
            ),
        )
    )
    def get(self):
        """Every template with its current version's items."""
        return {"items": [templates.view(t) for t in templates.list_templates()]}

    @staff("admin")
    @blp.doc(responses=problems("409"))
    @blp.arguments(schemas.TemplateIn)
    @blp.response(201, schemas.TemplateOut)
    @blp.doc(
        **links(
            201,
            GetTemplate=link(
                "get", "/admin/checklist-templates/{template_id}", template_id="$response.body#/id"
            ),
            PutTemplate=link(
                "put", "/admin/checklist-templates/{template_id}", template_id="$response.body#/id"
            ),
            DeleteTemplate=link(
                "delete",
                "/admin/checklist-templates/{template_id}",
                template_id="$response.body#/id",
            ),
        )
    )
    def post(self, data):
        """A template for one service type (or the default, service_type null); 409 if taken."""
        return templates.view(templates.create_template(data))


@blp.route("/admin/checklist-templates/<int:template_id>")
class Template(MethodView):
    @staff("admin")
    @blp.response(200, schemas.TemplateOut)
    def get(self, template_id):
        """One template (current version)."""
        return templates.view(templates.get_template(template_id))

    @staff("admin")
    @blp.doc(responses=problems("409"))
    @blp.arguments(schemas.TemplateIn)
    @blp.response(200, schemas.TemplateOut)
    def put(self, data, template_id):
        """Replace a template; if bookings use its current version, a new version is made."""
        return templates.view(templates.update_template(template_id, data))

    @staff("admin")
    @blp.doc(responses=problems("409"))
    @blp.response(204)
    def delete(self, template_id):
        """Delete a template no booking's checklist came from (else 409)."""
        templates.delete_template(template_id)


@blp.route("/admin/bookings/<int:booking_id>/checklist/init")
class InitChecklist(MethodView):
    @staff("dispatch")
    @blp.doc(responses=problems("409"))
    @blp.response(200, schemas.RunOut)
    @blp.doc(
        **links(
            200,
            PatchItem=link(
                "patch",
                "/admin/bookings/{booking_id}/checklist/items/{item_id}",
                booking_id="$request.path.booking_id",
                item_id="$response.body#/items/0/id",
            ),
        )
    )
    def post(self, booking_id):
        """Create the booking's checklist from its template (idempotent)."""
        return service.view(service.init_run(booking_id))


@blp.route("/admin/bookings/<int:booking_id>/checklist")
class Checklist(MethodView):
    @staff("dispatch")
    @blp.response(200, schemas.RunOut)
    def get(self, booking_id):
        """The booking's checklist (404 until initialised)."""
        return service.view(service.get_run(booking_id))


@blp.route("/admin/bookings/<int:booking_id>/checklist/items/<int:item_id>")
class ChecklistItem(MethodView):
    @staff("dispatch")
    @blp.doc(responses=problems("409"))
    @blp.arguments(schemas.RunItemPatch)
    @blp.response(200, schemas.RunOut)
    def patch(self, data, booking_id, item_id):
        """Tick/untick an item or set its note (409 after completion)."""
        return service.view(service.update_item(booking_id, item_id, data))


@blp.route("/admin/bookings/<int:booking_id>/checklist/complete")
class CompleteChecklist(MethodView):
    @staff("dispatch")
    @blp.response(200, schemas.RunOut)
    def post(self, booking_id):
        """Complete the checklist; 400 with ``missing_item_ids`` if a required item is open."""
        return service.view(service.complete(booking_id))
