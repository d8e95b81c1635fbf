"""``/console/password``: change your password — and the only page open to someone still on the
temporary password of an invitation (every other console URL sends them here, as the API answers
403 ``password_change_required``). Calls ``shared.auth.signin.change_password``, the code behind
``POST /v1/auth/change-password``: other sessions are revoked, this one stays."""

from __future__ import annotations

from flask import g, redirect, url_for

from shared.auth.signin import change_password
from shared.errors import AppError
from shared.web.pages import render_page
from tenantapp.console import forms
from tenantapp.console.blueprint import blp
from tenantapp.console.guard import console_page


def _page(status=200, errors=None, summary=None):
    return render_page(
        "console/password.html",
        status=status,
        errors=errors or {},
        summary=summary,
        must_change=g.console_principal.must_change_password,
    )


@blp.get("/password")
@console_page(None, allow_suspended=True, allow_password_change=True)
def password():
    return _page()


@blp.post("/password")
@console_page(None, allow_suspended=True, allow_password_change=True)
def password_submit():
    current, new = forms.text("current_password"), forms.text("new_password")
    errors = {}
    if not current:
        errors["current_password"] = "Enter your current password."
    if not new:
        errors["new_password"] = "Choose a new password."
    if errors:
        return _page(422, errors)
    try:
        change_password(g.principal.user_id, g.principal.session_id, current, new)
    except AppError as exc:
        if exc.status == 401:
            return _page(401, {"current_password": exc.detail})
        errors, summary = forms.field_errors(exc, ("new_password",))
        return _page(exc.status, errors, summary)
    return redirect(url_for("console.today", done="password"), code=303)
