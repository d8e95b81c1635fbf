"""``/login`` (SPEC §4.5): "Email", "Password", "Sign in"; a chooser when the person belongs to
several workspaces; a "Code" step with 2FA; then the chosen workspace's console. Rate-limited like
``POST /v1/auth/login`` (per IP, and per account through the shared failure limit).
"""

from __future__ import annotations

from flask import Blueprint, redirect, request

from controlplane.limits import limit_login
from controlplane.pages import csrf, signin
from shared.errors import AppError
from shared.web import staff_session
from shared.web.pages import render_page

bp = Blueprint("owner_login", __name__, template_folder="templates")

NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "same-origin"}
MAX_FIELD = 1024


def _field(name: str, limit: int = MAX_FIELD) -> str:
    value = request.form.get(name, "")
    return "" if "\x00" in value else value[:limit]


def _page(status: int = 200, **ctx):
    ctx.setdefault("step", "credentials")
    resp = render_page(
        "pages/login.html", status=status, headers=NO_STORE, csrf_token=csrf.token(), **ctx
    )
    return csrf.keep(resp)


@bp.get("/login")
def login_form():
    return _page(email=request.args.get("email", "")[:320])


def _console(found: signin.SignIn):
    """Into the chosen workspace's console, signed in (a revocable staff session in the
    console's HttpOnly cookie)."""
    resp = redirect(staff_session.console_path(found.slug) + "/", 303)
    staff_session.start_console_session(
        resp,
        user_id=found.user_id,
        tenant_id=found.tenant_id,
        membership_id=found.membership_id,
        slug=found.slug,
    )
    return resp


@bp.post("/login")
@limit_login
def login_submit():
    try:
        csrf.check()
    except AppError as exc:
        return _page(exc.status, error=exc.detail)
    held = None
    if request.form.get("ticket"):
        held = signin.open_ticket(_field("ticket", 4096), csrf.nonce())
        if held is None:
            return _page(400, error="That took too long; sign in again.")
    email, password = held or (_field("email", 320).strip(), _field("password"))
    tenant = _field("tenant", 64).strip() or None
    code = _field("code", 16).strip().replace(" ", "") or None
    try:
        found = signin.check_sign_in(email, password, tenant, code)
    except AppError as exc:
        ticket = signin.ticket(email, password, csrf.nonce())
        errors = exc.extra.get("errors") or []
        if exc.status == 422 and any(e["field"] == "tenant" for e in errors):
            return _page(200, step="choose", ticket=ticket, workspaces=signin.workspaces(email))
        if exc.code == "mfa_required":
            shown = exc.detail if code else None
            return _page(
                401 if code else 200, step="code", ticket=ticket, tenant=tenant, error=shown
            )
        resp = _page(exc.status, email=email, error=exc.detail)
        if "Retry-After" in exc.headers:
            resp.headers["Retry-After"] = exc.headers["Retry-After"]
        return resp
    return _console(found)
