from flask.views import MethodView
from flask_smorest import Blueprint

from shared.auth.guards import staff
from tenantapp.settings import schemas, service

blp = Blueprint("settings", __name__, url_prefix="/v1/admin/settings", description="Settings")


@blp.route("")
class TenantSettingsView(MethodView):
    @staff("admin")
    @blp.response(200, schemas.SettingsOut)
    def get(self):
        """The workspace settings."""
        return service.get_settings()

    @staff("admin")
    @blp.arguments(schemas.SettingsPatch)
    @blp.response(200, schemas.SettingsOut)
    def patch(self, data):
        """Change some settings; the change is audited."""
        return service.update_settings(data)
