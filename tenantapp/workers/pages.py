"""The worker-invite page: ``/t/<slug>/work/accept-invite?token=`` (SPEC §4.5, worker pages).

The invitation e-mail links here. A plain server-rendered form (no script, so a strict CSP) lets
the worker choose a password; it calls the same ``service.accept_invite`` as
``POST /v1/worker/accept-invite`` and shows its errors beside the form. The invite token in the
form is the credential (single use, 7 days), so the page needs no session or CSRF cookie: a forged
submission would have to know the token. ``GET /v1/worker/accept-invite`` (the link in invitations
sent before this page existed) redirects here.
"""

from __future__ import annotations

from flask import Blueprint, Response, redirect, render_template, request, url_for

from shared.errors import AppError
from shared.tenancy import current_tenant
from tenantapp.workers import service

blp = Blueprint("worker_pages", __name__, template_folder="templates")

PAGE_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
MESSAGES = {
    "missing_token": "This invite link is incomplete. Ask your manager for a new one.",
    "mismatch": "The two passwords are different.",
    "done": "Your password is set. Sign in to the worker app with {email}.",
}
MAX_FIELD = 200


def _page(status: int, **context) -> Response:
    html = render_template(
        "workers/accept_invite.html", company=current_tenant().company_name, **context
    )
    resp = Response(html, status=status, mimetype="text/html")
    resp.headers["Content-Security-Policy"] = PAGE_CSP
    resp.headers["Cache-Control"] = "no-store"  # the token is in the page
    resp.headers["Referrer-Policy"] = "no-referrer"  # ...and in the URL
    return resp


def _field(name: str) -> str:
    value = request.form.get(name, "")
    return "" if "\x00" in value else value[: MAX_FIELD + 1]


@blp.get("/work/accept-invite")
def accept_invite_form():
    token = request.args.get("token", "")
    if not token or "\x00" in token or len(token) > MAX_FIELD:
        return _page(400, token="", error=MESSAGES["missing_token"])
    return _page(200, token=token)


@blp.post("/work/accept-invite")
def accept_invite_submit():
    token, password = _field("token"), _field("password")
    if not token or len(token) > MAX_FIELD:
        return _page(400, token="", error=MESSAGES["missing_token"])
    if password != _field("password_confirm"):
        return _page(422, token=token, error=MESSAGES["mismatch"])
    try:
        worker = service.accept_invite(token, password)
    except AppError as exc:
        errors = exc.extra.get("errors") or []
        message = errors[0]["message"] if errors else exc.detail
        keep = token if exc.status == 422 else ""  # a bad token cannot be retried
        return _page(exc.status, token=keep, error=message)
    return _page(
        200, token="", done=MESSAGES["done"].format(email=worker.email), email=worker.email
    )


@blp.get("/v1/worker/accept-invite")
def old_invite_link():
    """Invitations sent before the page existed linked to the API path: send them on."""
    return redirect(
        url_for("worker_pages.accept_invite_form", token=request.args.get("token", "")), 302
    )
