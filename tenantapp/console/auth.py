"""Sign-in and sign-out of the console: ``/console/login`` and ``/console/logout``.

The form calls ``shared.auth.signin.check_sign_in`` — the check behind ``POST /v1/auth/login``:
password, the per-account failure limit, and the 2FA code ("Code" appears once the account
needs it) — bound to this workspace, then opens a session behind the console cookie.
"""

from __future__ import annotations

from flask import g, redirect, request, url_for

from shared.auth.signin import check_sign_in
from shared.errors import AppError, Forbidden, Unauthorized
from shared.web import staff_session
from shared.web.pages import render_page
from tenantapp.console.blueprint import blp
from tenantapp.console.guard import console_page, console_root, safe_next

MAX_FIELD = 320


def _field(name: str) -> str:
    value = request.form.get(name, "")
    return "" if "\x00" in value else value[:MAX_FIELD]


def _login_page(*, status: int = 200, errors: dict | None = None, **form):
    pre, new = staff_session.pre_session_value()
    resp = render_page(
        "console/login.html",
        status=status,
        login_csrf=staff_session.csrf_token(pre),
        errors=errors or {},
        next=safe_next(request.values.get("next")) or "",
        **form,
    )
    if new:
        staff_session.set_pre_cookie(resp, pre, console_root())
    return resp


@blp.get("/login")
def login():
    if staff_session.read_console_session(g.tenant) is not None:
        return redirect(url_for("console.today"), code=303)
    return _login_page(email="", show_code=False)


@blp.post("/login")
def login_submit():
    email, password, code = _field("email"), _field("password"), _field("code").strip()
    try:
        staff_session.check_csrf(request.cookies.get(staff_session.PRE_COOKIE))
    except Forbidden as exc:
        return _login_page(status=403, email=email, show_code=bool(code), summary=exc.detail)
    errors = {}
    if not email.strip():
        errors["email"] = "Enter your e-mail address."
    if not password:
        errors["password"] = "Enter your password."
    if errors:
        return _login_page(status=422, errors=errors, email=email, show_code=bool(code))
    try:
        found = check_sign_in(email, password, g.tenant.slug, code or None)
    except Unauthorized as exc:
        if exc.code == "mfa_required":
            field = {"code": exc.detail} if code else {}
            return _login_page(status=401, errors=field, email=email, show_code=True, summary=None)
        return _login_page(status=401, email=email, show_code=bool(code), summary=exc.detail)
    except AppError as exc:  # 429 after too many failures
        return _login_page(
            status=exc.status,
            email=email,
            show_code=bool(code),
            summary=exc.detail,
            headers=exc.headers,
        )
    target = safe_next(request.form.get("next")) or url_for("console.today")
    resp = redirect(target, code=303)
    staff_session.start_console_session(
        resp,
        user_id=found.user_id,
        tenant_id=found.tenant_id,
        membership_id=found.membership_id,
        slug=found.slug,
        path=console_root(),
    )
    return resp


@blp.post("/logout")
@console_page(None, allow_suspended=True)
def logout():
    resp = redirect(url_for("console.login"), code=303)
    staff_session.end_console_session(resp, g.principal, console_root())
    return resp
