from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from shared.api import problem_ref
from shared.auth.guards import staff
from tenantapp.settings import branding, schemas, service

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


LOGO_BODY = {
    "required": True,
    "description": "The logo file itself as the body: PNG, JPEG or WebP (decided by its bytes, "
    "SVG refused), at most 512 KiB. It is shrunk to fit 480x160 and stored as WebP.",
    "content": {
        kind: {"schema": {"type": "string", "format": "binary"}}
        for kind in ("image/png", "image/jpeg", "image/webp")
    },
}


@blp.route("/logo")
class LogoView(MethodView):
    @staff("admin")
    @blp.doc(
        requestBody=LOGO_BODY,
        responses={code: problem_ref(code) for code in ("413", "415", "422")},
    )
    @blp.response(200, schemas.LogoOut)
    def put(self):
        """Upload the booking page's logo (replaces the current one); audited."""
        row = branding.store_logo(branding.read_upload(request.stream))
        return {"logo_url": branding.logo_path(row), "content_type": row.logo_type}

    @staff("admin")
    @blp.response(204)
    def delete(self):
        """Remove the logo; audited."""
        branding.delete_logo()
