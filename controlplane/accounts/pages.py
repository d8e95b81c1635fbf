"""The page an invitation e-mail links to (``/invitations/<token>``): plain server-rendered HTML,
no script at all, a strict CSP, the same service functions as the API. The unguessable token in
the URL is what authorises the form (a cross-site page cannot know it), so it needs no CSRF
cookie; the page is ``no-store`` and sends no Referer, so the token does not leak onwards."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from controlplane.accounts import invitations
from controlplane.limits import limit_login
from shared.errors import AppError

bp = Blueprint("invitation_pages", __name__, template_folder="templates")

PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    ),
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
}


def _page(status: int, headers: dict | None = None, **context):
    return (
        render_template("invitation.html", **context),
        status,
        {**PAGE_HEADERS, **(headers or {})},
    )


@bp.get("/invitations/<string:token>")
def show(token: str):
    try:
        invitation = invitations.describe(token)
    except invitations.InvitationInvalid as exc:
        return _page(404, invalid=exc.detail)
    return _page(200, invitation=invitation)


@bp.post("/invitations/<string:token>")
@limit_login
def submit(token: str):
    try:
        invitation = invitations.describe(token)
    except invitations.InvitationInvalid as exc:
        return _page(404, invalid=exc.detail)
    try:
        result = invitations.accept(token, request.form.get("password") or None, None)
    except invitations.InvitationInvalid as exc:
        return _page(404, invalid=exc.detail)
    except AppError as exc:
        errors = exc.extra.get("errors") or [{"message": exc.detail}]
        messages = [e["message"] for e in errors]
        return _page(exc.status, exc.headers, invitation=invitation, errors=messages)
    return _page(200, invitation=invitation, accepted=result)
