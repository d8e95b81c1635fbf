"""``console_page(permission)``: the guard of every console view (and of pages other modules add).

It reads the console cookie (``shared.web.staff_session``) — the same session check as the API's
bearer tokens — and applies the API's rules (``guards.check_staff_access``): no session → a redirect
to the sign-in page with ``next``; a role without ``permission``, a suspended workspace or a
temporary password → the 403 page; every POST must carry the CSRF token bound to the session.
The view then finds the principal on ``g.principal`` (as API views do) and the tenant on ``g.tenant``.
"""

from __future__ import annotations

import functools
from urllib.parse import quote

from flask import g, redirect, request, url_for

from shared.auth import guards
from shared.errors import Forbidden
from shared.freeze import SAFE_METHODS
from shared.web import staff_session
from shared.web.pages import render_page


def console_root() -> str:
    """The console's path for cookies (``/t/<slug>/console`` on the path-based layout)."""
    return request.script_root + "/console"


def safe_next(target: str | None) -> str | None:
    """``target`` when it is a path inside this console (never another site), else None."""
    root = console_root()
    if not target or not target.startswith(root) or "//" in target or "\\" in target:
        return None
    return target


def login_redirect():
    here = request.full_path if request.query_string else request.path
    target = request.script_root + here
    resp = redirect(url_for("console.login") + "?next=" + quote(target, safe="/"), code=303)
    if request.headers.get("HX-Request"):
        # htmx follows redirects inside the fragment; a full page load is what is wanted.
        resp.headers["HX-Redirect"] = url_for("console.login")
    return resp


def forbidden_page(message: str, status: int = 403):
    return render_page("console/error.html", status=status, message=message)


def console_page(
    permission: str | None = "view",
    *,
    allow_suspended: bool = False,
    allow_password_change: bool = False,
):
    """Require a console session whose role has ``permission`` (None: any signed-in member)."""

    def decorator(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            tenant = g.tenant
            principal = staff_session.read_console_session(tenant)
            if principal is None:
                resp = login_redirect()
                if request.cookies.get(staff_session.COOKIE):
                    staff_session.clear_console_cookie(resp, console_root())
                return resp
            g.console_principal = principal
            if request.method not in SAFE_METHODS:
                try:
                    staff_session.check_csrf(principal.session_id)
                except Forbidden as exc:
                    return forbidden_page(exc.detail)
            try:
                guards.check_staff_access(
                    principal,
                    tenant,
                    permission,
                    allow_suspended=allow_suspended,
                    allow_password_change=allow_password_change,
                )
            except Forbidden as exc:
                if exc.code == "password_change_required":
                    return redirect(url_for("console.password"), code=303)
                return forbidden_page(exc.detail)
            g.principal = principal
            g.staff_tenant = tenant
            return fn(*args, **kwargs)

        return wrapper

    return decorator
