from flask.views import MethodView
from flask_smorest import Blueprint

from shared.auth.guards import staff
from tenantapp.retention import schemas, service

blp = Blueprint("retention", __name__, url_prefix="/v1", description="Retention and data rights")


@blp.route("/admin/retention/cleanup")
class RetentionCleanup(MethodView):
    @staff("admin")
    @blp.response(200, schemas.CleanupOut)
    def post(self):
        """Delete never-booked leads older than ``retention_lead_days`` now (null: off)."""
        return service.cleanup()


@blp.route("/admin/data-deletion/requests")
class DataDeletion(MethodView):
    @staff("admin")
    @blp.arguments(schemas.DataSubjectIn)
    @blp.response(200, schemas.DeletionOut)
    def post(self, data):
        """Erase one person (by ``customer_id`` or ``email``): anonymise, detach, delete photos."""
        return service.anonymise(data)


@blp.route("/admin/data/export")
class DataExport(MethodView):
    @staff("admin")
    @blp.arguments(schemas.DataSubjectIn)
    @blp.response(200, schemas.ExportBundle)
    def post(self, data):
        """One person's data bundle (by ``customer_id`` or ``email``) as JSON."""
        return service.export(data)
