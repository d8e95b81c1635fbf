from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from shared.api import problem_ref
from shared.auth.guards import staff
from tenantapp.imports import schemas, service
from tenantapp.imports.upload import read_csv_upload

blp = Blueprint("imports", __name__, url_prefix="/v1", description="Customer imports")


@blp.route("/admin/imports/customers")
class CustomerImports(MethodView):
    @staff("admin")
    @blp.doc(
        requestBody=schemas.UPLOAD_BODY,
        responses={code: problem_ref(code) for code in ("413", "415", "422")},
    )
    @blp.response(202, schemas.ImportOut)
    def post(self):
        """Import a client list (CSV ≤ 10 MiB) as a job; ``dry_run`` (default true) only
        reports what would happen. Poll ``GET /admin/imports/{id}`` for progress."""
        upload = read_csv_upload(request.stream, request.content_type)
        return service.start_import(upload)


@blp.route("/admin/imports/<int:import_id>")
class CustomerImport(MethodView):
    @staff("admin")
    @blp.response(200, schemas.ImportOut)
    def get(self, import_id):
        """An import's progress and outcome: counts and per-line errors."""
        return service.get_import(import_id)
