from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint

from controlplane.accounts import invitations, members, recovery, schemas, totp
from controlplane.limits import limit_login
from shared.api import problems
from shared.auth.guards import authenticate_staff, bearer_token, public, staff

NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def signed_in_user() -> str | None:
    """The user id of a valid staff bearer token sent along, if any (an invalid one is 401)."""
    if bearer_token() is None:
        return None
    principal, _ = authenticate_staff(None)
    return principal.user_id


blp = Blueprint("accounts", __name__, url_prefix="/v1", description="Members and account security")


@blp.route("/members")
class Members(MethodView):
    @staff("admin")
    @blp.arguments(schemas.MemberListArgs, location="query")
    @blp.response(200, schemas.MemberPage)
    def get(self, args):
        """The workspace's members, oldest first."""
        return members.list_members(g.staff_tenant, args)

    @staff("admin")
    @blp.arguments(schemas.InviteIn)
    @blp.doc(responses=problems("409"))
    @blp.response(201, schemas.InviteOut)
    def post(self, data):
        """Invite someone: an invitation e-mailed as a single-use link valid for 7 days. No
        membership exists until the link is accepted (a pending one for the address is replaced)."""
        return invitations.invite(g.staff_tenant, g.principal, data["email"], data["role"]), 201


@blp.route("/invitations/<string:token>")
class InvitationView(MethodView):
    @public
    @limit_login
    @blp.doc(responses=problems("404"))
    @blp.response(200, schemas.InvitationOut)
    def get(self, token):
        """Who invites you to which workspace, and what accepting needs (``account``)."""
        return invitations.describe(token), 200, NO_STORE


@blp.route("/invitations/<string:token>/accept")
class InvitationAccept(MethodView):
    @public
    @limit_login
    @blp.arguments(schemas.AcceptIn)
    @blp.doc(responses=problems("404"))
    @blp.response(200, schemas.AcceptOut)
    def post(self, data, token):
        """Accept: a new account sets ``password``; an existing one is signed in as that e-mail
        (bearer) or gives its ``password``; an unverified one sets a new ``password`` (its TOTP
        and sessions are cleared). Bad, used or expired link → 404 ``invitation_invalid``."""
        out = invitations.accept(token, data["password"], signed_in_user())
        return out, 200, NO_STORE


@blp.route("/members/<uuid:membership_id>/role")
class MemberRole(MethodView):
    @staff("admin")
    @blp.arguments(schemas.RoleIn)
    @blp.doc(responses=problems("409"))
    @blp.response(200, schemas.MemberOut)
    def post(self, data, membership_id):
        """Change a member's role (only an owner makes or removes an owner)."""
        return members.change_role(g.staff_tenant, g.principal, membership_id, data["role"])


@blp.route("/members/<uuid:membership_id>/deactivate")
class MemberDeactivate(MethodView):
    @staff("admin")
    @blp.response(200, schemas.MemberOut)
    @blp.doc(responses=problems("409"))
    def post(self, membership_id):
        """Deactivate a member; their sessions end at once."""
        return members.deactivate(g.staff_tenant, g.principal, membership_id)


@blp.route("/auth/password-reset")
class PasswordReset(MethodView):
    @public
    @limit_login
    @blp.arguments(schemas.PasswordResetIn)
    @blp.response(202, schemas.AcceptedOut)
    def post(self, data):
        """E-mail a single-use reset link (30 min). Always 202: no account probing."""
        recovery.request_password_reset(data["email"])
        return {"detail": "If this address has an account, a reset link is on its way."}


@blp.route("/auth/password-reset/confirm")
class PasswordResetConfirm(MethodView):
    @public
    @limit_login
    @blp.arguments(schemas.PasswordResetConfirmIn)
    @blp.response(204)
    def post(self, data):
        """Set a new password with the e-mailed token; every session of the user ends."""
        recovery.confirm_password_reset(data["token"], data["new_password"])


@blp.route("/auth/verify-email")
class VerifyEmail(MethodView):
    @public
    @blp.arguments(schemas.VerifyEmailIn)
    @blp.response(200, schemas.VerifyEmailOut)
    def post(self, data):
        """Confirm the e-mail address with the token from the verification e-mail."""
        return recovery.verify_email(data["token"])


@blp.route("/auth/verify-email/resend")
class VerifyEmailResend(MethodView):
    @staff(None, allow_suspended=True, allow_password_change=True)
    @blp.response(202, schemas.AcceptedOut)
    def post(self):
        """Send the verification e-mail again (nothing when already verified)."""
        recovery.resend_verification(g.principal.user_id)
        return {"detail": "A verification link is on its way unless the address is verified."}


@blp.route("/auth/2fa/enroll")
class TotpEnroll(MethodView):
    @staff("admin", allow_suspended=True)
    @blp.response(200, schemas.TotpEnrollOut)
    @blp.doc(responses=problems("409"))
    def post(self):
        """Start TOTP enrolment: a secret and its otpauth URI (2FA is on after verify)."""
        return totp.enroll(g.principal.user_id), 200, {"Cache-Control": "no-store"}


@blp.route("/auth/2fa/verify")
class TotpVerify(MethodView):
    @staff("admin", allow_suspended=True)
    @blp.doc(responses=problems("409"))
    @blp.arguments(schemas.TotpCodeIn)
    @blp.response(200, schemas.TotpStateOut)
    def post(self, data):
        """Turn 2FA on with a current code; login then requires ``mfa_code``."""
        return totp.verify(g.principal.user_id, data["code"])


@blp.route("/auth/2fa/disable")
class TotpDisable(MethodView):
    @staff("admin", allow_suspended=True)
    @blp.doc(responses=problems("409"))
    @blp.arguments(schemas.TotpCodeIn)
    @blp.response(200, schemas.TotpStateOut)
    def post(self, data):
        """Turn 2FA off; needs a current code."""
        return totp.disable(g.principal.user_id, data["code"])
