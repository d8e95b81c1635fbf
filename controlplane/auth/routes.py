from flask.views import MethodView
from flask_smorest import Blueprint

from controlplane.auth import schemas, service
from controlplane.limits import limit_login
from shared.auth.guards import public, staff

blp = Blueprint("auth", __name__, url_prefix="/v1/auth", description="Staff sessions")


@blp.route("/login")
class Login(MethodView):
    @public
    @limit_login
    @blp.arguments(schemas.LoginIn)
    @blp.response(200, schemas.LoginOut)
    def post(self, data):
        """Log in with e-mail and password (and a TOTP code when 2FA is on)."""
        return service.login(data["email"], data["password"], data["tenant"], data["mfa_code"])


@blp.route("/refresh")
class Refresh(MethodView):
    @public
    @blp.arguments(schemas.RefreshIn)
    @blp.response(200, schemas.TokenPair)
    def post(self, data):
        """Exchange a refresh token for a new pair; the old one stops working."""
        return service.refresh(data["refresh_token"])


@blp.route("/logout")
class Logout(MethodView):
    @staff(None, allow_suspended=True, allow_password_change=True)
    @blp.response(204)
    def post(self):
        """Revoke the current session."""
        service.logout()


@blp.route("/me")
class Me(MethodView):
    @staff(None, allow_suspended=True, allow_password_change=True)
    @blp.response(200, schemas.MeOut)
    def get(self):
        """The signed-in user, their workspace and role."""
        return service.me()


@blp.route("/change-password")
class ChangePassword(MethodView):
    @staff(None, allow_suspended=True, allow_password_change=True)
    @blp.arguments(schemas.ChangePasswordIn)
    @blp.response(204)
    def post(self, data):
        """Change the password; every other session is revoked."""
        service.change_password(data["current_password"], data["new_password"])
