"""The pages the account e-mails link to (SPEC §4.5): "Forgot password" (``/forgot-password``),
the reset link (``/reset-password?token=``) and the address check (``/verify-email?token=``),
through the same ``controlplane.accounts.recovery`` functions and limits as the API."""

from __future__ import annotations

from flask import Blueprint, request
from marshmallow import ValidationError

from controlplane.accounts import recovery
from controlplane.accounts.schemas import PasswordResetConfirmIn, PasswordResetIn
from controlplane.limits import limit_login
from controlplane.pages import csrf
from shared.errors import AppError, flatten_messages
from shared.web.pages import render_page

bp = Blueprint("owner_recovery", __name__, template_folder="templates")

TOKEN_PAGE = {"Cache-Control": "no-store", "Referrer-Policy": "same-origin"}


def _field(name: str, limit: int = 1024) -> str:
    value = request.form.get(name, "")
    return "" if "\x00" in value else value[:limit]


def _page(template: str, status: int = 200, **ctx):
    resp = render_page(template, status=status, headers=TOKEN_PAGE, csrf_token=csrf.token(), **ctx)
    return csrf.keep(resp)


@bp.get("/forgot-password")
def forgot_form():
    return _page("pages/forgot.html")


@bp.post("/forgot-password")
@limit_login
def forgot_submit():
    email = _field("email", 400).strip()
    try:
        csrf.check()
        PasswordResetIn().load({"email": email})
    except ValidationError as exc:
        errors = {e["field"]: e["message"] for e in flatten_messages(exc.messages)}
        return _page("pages/forgot.html", 422, email=email, errors=errors)
    except AppError as exc:
        return _page("pages/forgot.html", exc.status, email=email, error=exc.detail)
    recovery.request_password_reset(email)
    return _page("pages/forgot.html", sent=True, email=email)  # the same answer for anyone


@bp.get("/reset-password")
def reset_form():
    token = request.args.get("token", "")[:200]
    return _page("pages/reset.html", token=token)


@bp.post("/reset-password")
@limit_login
def reset_submit():
    token = _field("token", 200)
    new_password = _field("new_password", 300)
    try:
        csrf.check()
        if new_password != _field("new_password_confirm", 300):
            return _page(
                "pages/reset.html",
                422,
                token=token,
                errors={"new_password_confirm": "The two passwords are different."},
            )
        data = PasswordResetConfirmIn().load({"token": token, "new_password": new_password})
        recovery.confirm_password_reset(data["token"], data["new_password"])
    except ValidationError as exc:
        errors = {e["field"]: e["message"] for e in flatten_messages(exc.messages)}
        return _page("pages/reset.html", 422, token=token, errors=errors)
    except AppError as exc:
        errors = {e["field"]: e["message"] for e in exc.extra.get("errors") or []}
        resp = _page(
            "pages/reset.html", exc.status, token=token, errors=errors,
            error=None if errors else exc.detail,
        )  # fmt: skip
        if "Retry-After" in exc.headers:
            resp.headers["Retry-After"] = exc.headers["Retry-After"]
        return resp
    return _page("pages/reset.html", done=True)


@bp.get("/verify-email")
def verify_form():
    """A button, not a verification on GET: mail scanners open links on their own."""
    return _page("pages/verify.html", token=request.args.get("token", "")[:400])


@bp.post("/verify-email")
@limit_login
def verify_submit():
    token = _field("token", 400)
    try:
        csrf.check()
        recovery.verify_email(token)
    except AppError as exc:
        return _page("pages/verify.html", exc.status, token="", error=exc.detail)
    return _page("pages/verify.html", done=True)
