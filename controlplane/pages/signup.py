"""``/signup`` (SPEC §4.5): a new workspace from a page, through the same ``signup`` service and
schema as ``POST /v1/signup``, then into the new workspace's console.

Without script the form still works (an empty address is taken from the company's name); with
``signup.js`` the address is suggested from the name and checked as you type
(``GET /signup/check``), and the time zone is the browser's. A suggestion only fills the address
while the person has not typed one; once they have, it is offered as a button instead.
"""

from __future__ import annotations

from functools import cache
from urllib.parse import urlsplit
from zoneinfo import available_timezones

from flask import Blueprint, jsonify, redirect, request
from marshmallow import ValidationError
from sqlalchemy import select

from controlplane.limits import limit_signup, limiter
from controlplane.pages import csrf, slugs
from controlplane.signup import schemas, service
from shared.auth.signin import passwords
from shared.errors import AppError, flatten_messages
from shared.limits import setting
from shared.models.accounts import User
from shared.runtime import current_runtime
from shared.web import staff_session
from shared.web.pages import render_page

bp = Blueprint("owner_signup", __name__, template_folder="templates")

DEFAULT_ZONE = "America/Edmonton"  # the API's default when no zone is sent
FIELDS = ("company_name", "slug", "email", "password", "time_zone")
NO_STORE = {"Cache-Control": "no-store"}
MAX_FIELD = 1000

limit_check = limiter.limit(setting("rate_limit_public"))


@cache
def _zones() -> list[str]:
    zones = (z for z in available_timezones() if "/" in z and not z.startswith("Etc/"))
    return sorted([*zones, "UTC"])


def _page(status: int = 200, *, values: dict | None = None, errors: dict | None = None, **ctx):
    values = values or {}
    resp = render_page(
        "pages/signup.html",
        status=status,
        headers=NO_STORE,
        values=values,
        errors=errors or {},
        zones=_zones(),
        zone=values.get("time_zone") or DEFAULT_ZONE,
        csrf_token=csrf.token(),
        address_prefix=urlsplit(current_runtime().settings.public_base_url).netloc + "/t/",
        **ctx,
    )
    return csrf.keep(resp)


@bp.get("/signup")
def signup_form():
    return _page()


def _form() -> dict:
    out = {}
    for name in FIELDS:
        value = request.form.get(name, "")
        out[name] = "" if "\x00" in value else value[:MAX_FIELD]
    out["company_name"] = out["company_name"].strip()
    out["email"] = out["email"].strip()
    out["slug"] = out["slug"].strip().lower()
    if not out["slug"]:  # nothing typed (no script): the name's address
        out["slug"] = slugs.suggest(slugs.from_name(out["company_name"])) or ""
    return out


@bp.post("/signup")
@limit_signup
def signup_submit():
    values = _form()
    shown = {k: v for k, v in values.items() if k != "password"}
    try:
        csrf.check()
        data = schemas.SignupIn().load(values)
        result = service.signup(data, passwords())
    except ValidationError as exc:
        errors = {e["field"]: e["message"] for e in flatten_messages(exc.messages)}
        return _page(422, values=shown, errors=errors)
    except AppError as exc:
        errors = {e["field"]: e["message"] for e in exc.extra.get("errors") or []}
        field = exc.extra.get("field")
        if field:
            errors[field] = exc.detail
        if field == "slug":
            suggestion = slugs.suggest(values["slug"])
            if suggestion:
                errors["slug"] = f"{exc.detail} “{suggestion}” is free."
        message = None if errors else exc.detail
        resp = _page(exc.status, values=shown, errors=errors, message=message)
        if "Retry-After" in exc.headers:
            resp.headers["Retry-After"] = exc.headers["Retry-After"]
        return resp
    # Signed in to the new console with the session the sign-up opened (no second session).
    slug = result["tenant"]["slug"]
    resp = redirect(staff_session.console_path(slug) + "/", 303)
    staff_session.set_console_cookie(
        resp,
        session_id=result["session_id"],
        user_id=_user_id(data["email"]),
        tenant_id=result["tenant"]["id"],
        path=staff_session.console_path(slug),
    )
    return resp


def _user_id(email: str):
    with current_runtime().engine.connect() as conn:
        return conn.scalar(select(User.id).where(User.email == email.strip().lower()))


@bp.get("/signup/check")
@limit_check
def check():
    """Is this address free? ``?slug=`` what was typed, or ``?name=`` the company's name."""
    slug = request.args.get("slug", "")[:100]
    if slug:
        body = slugs.check(slug)
    else:
        suggestion = slugs.suggest(slugs.from_name(request.args.get("name", "")[:200]))
        body = {
            "slug": suggestion,
            "available": suggestion is not None,
            "message": None,
            "suggestion": suggestion,
        }
    resp = jsonify(body)
    resp.headers["Cache-Control"] = "no-store"
    return resp
