"""Staff console sessions for pages: the cookie, its checks on every request, and CSRF tokens.

A console session is an ordinary staff session (``shared/auth/sessions.py``: the ``sessions`` row
the API's tokens point at) carried by a cookie instead of a bearer token:

- cookie ``cp_console`` on path ``/t/<slug>/console`` (``console_path(slug)``), value signed with
  ``SECRET_KEY`` (session id, user id, tenant id), ``HttpOnly; SameSite=Lax``, ``Secure`` when
  ``APP_ENV=prod``, 14 days like the session row;
- every request checks it with ``guards.session_principal`` — the very check of the API — so a
  revoked session, a deactivated membership or a changed role applies on the next click;
- 2FA: the session is only opened after ``shared.auth.signin.check_sign_in`` accepted the code.

CSRF: every form (and htmx request) carries ``csrf_token`` (or header ``X-CSRF-Token``), a value
signed with ``SECRET_KEY`` and bound to the session id, so a page of another site cannot forge it;
a POST whose ``Sec-Fetch-Site`` is ``cross-site`` or whose ``Origin`` names another host is refused
before the token is even read. The sign-in form has no session yet: its token is bound to a random
pre-session cookie ``cp_console_pre`` (HttpOnly too; the token itself travels in the page).

Other modules sign people in with ``start_console_session(response, ...)`` — the control plane's
``/signup`` and ``/login`` pages do — and the tenant app's console guard reads the session with
``read_console_session(tenant)``.
"""

from __future__ import annotations

import hmac
import secrets
import uuid

from flask import Response, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from shared.auth import guards
from shared.auth.sessions import forget_after_commit, open_session, revoke_sessions
from shared.auth.tokens import REFRESH_TTL
from shared.errors import Forbidden, Unauthorized
from shared.runtime import current_runtime
from shared.tenancy import TenantRef
from shared.web.origin import same_origin

COOKIE = "cp_console"
PRE_COOKIE = "cp_console_pre"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
MAX_AGE = int(REFRESH_TTL.total_seconds())
CSRF_MAX_AGE = 12 * 3600
PRE_MAX_AGE = 2 * 3600
_SESSION_SALT = "console-session"
_CSRF_SALT = "console-csrf"


def console_path(slug: str) -> str:
    """The console's URL path (and cookie path) of workspace ``slug`` on the path-based layout."""
    return f"/t/{slug}/console"


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_runtime().settings.secret_key, salt=salt)


def _set(response: Response, name: str, value: str, path: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=path,
        httponly=True,
        samesite="Lax",
        secure=current_runtime().settings.is_prod,
    )


def set_console_cookie(response: Response, *, session_id, user_id, tenant_id, path: str) -> None:
    """Put an already opened session (``shared.auth.sessions.open_session``) in the cookie."""
    value = _serializer(_SESSION_SALT).dumps(
        {"s": str(session_id), "u": str(user_id), "t": str(tenant_id)}
    )
    _set(response, COOKIE, value, path, MAX_AGE)
    _drop(response, PRE_COOKIE, path)


def start_console_session(
    response: Response, *, user_id, tenant_id, membership_id, slug: str, path: str | None = None
) -> uuid.UUID:
    """Open a revocable staff session for ``user_id`` in workspace ``tenant_id`` (membership
    ``membership_id``) and set its cookie on ``response``; returns the session id.

    The caller has checked the credentials (``shared.auth.signin.check_sign_in``, which also asks
    for the 2FA code) or has just created the account (sign-up). ``path`` defaults to
    ``/t/<slug>/console``."""
    rt = current_runtime()
    with rt.engine.begin() as conn:
        opened = open_session(
            conn, rt.settings, user_id=user_id, tenant_id=tenant_id, membership_id=membership_id
        )
    set_console_cookie(
        response,
        session_id=opened["session_id"],
        user_id=user_id,
        tenant_id=tenant_id,
        path=path or console_path(slug),
    )
    return opened["session_id"]


def read_console_session(tenant: TenantRef) -> guards.Principal | None:
    """The staff principal of this request's console cookie for ``tenant``, or None when there is
    no cookie, it is forged or old, belongs to another workspace, or its session has ended."""
    raw = request.cookies.get(COOKIE)
    if not raw:
        return None
    try:
        data = _serializer(_SESSION_SALT).loads(raw, max_age=MAX_AGE)
        sid, user_id, tenant_id = str(data["s"]), str(data["u"]), str(data["t"])
    except (BadSignature, KeyError, TypeError):
        return None
    if tenant_id != str(tenant.id):
        return None
    try:
        return guards.session_principal(sid, user_id, tenant)
    except Unauthorized:
        return None


def _drop(response: Response, name: str, path: str) -> None:
    """Expire a cookie with the same flags it was set with (every console cookie is HttpOnly)."""
    response.delete_cookie(
        name, path=path, httponly=True, samesite="Lax", secure=current_runtime().settings.is_prod
    )


def clear_console_cookie(response: Response, path: str) -> None:
    _drop(response, COOKIE, path)


def end_console_session(response: Response, principal: guards.Principal, path: str) -> None:
    """Sign out: revoke the session (its API tokens too, if any) and drop the cookie."""
    rt = current_runtime()
    with rt.engine.begin() as conn:
        ids = revoke_sessions(conn, "logout", id=uuid.UUID(principal.session_id))
    forget_after_commit(ids)
    clear_console_cookie(response, path)


# -- CSRF ------------------------------------------------------------------------------------


def csrf_token(bound_to: str) -> str:
    """A form token bound to ``bound_to`` (the session id, or the pre-session cookie value)."""
    return _serializer(_CSRF_SALT).dumps(bound_to)


def pre_session_value() -> tuple[str, bool]:
    """The sign-in form's pre-session value and whether it is new (then ``set_pre_cookie``)."""
    current = request.cookies.get(PRE_COOKIE, "")
    if 20 <= len(current) <= 64 and current.replace("-", "").replace("_", "").isalnum():
        return current, False
    return secrets.token_urlsafe(24), True


def set_pre_cookie(response: Response, value: str, path: str) -> None:
    _set(response, PRE_COOKIE, value, path, PRE_MAX_AGE)


def check_csrf(bound_to: str | None) -> None:
    """Refuse (403) a state-changing request from another site or without a valid token bound to
    ``bound_to`` (the session id; the pre-session value on the sign-in form)."""
    if not same_origin():
        raise Forbidden("Cross-site form posts to the console are refused.")
    given = request.headers.get(CSRF_HEADER) or request.form.get(CSRF_FIELD, "")
    try:
        value = _serializer(_CSRF_SALT).loads(given, max_age=CSRF_MAX_AGE)
    except BadSignature as exc:  # also SignatureExpired
        raise Forbidden(
            "The form has expired or did not come from the console; reload and try again."
        ) from exc
    if not bound_to or not hmac.compare_digest(str(value), bound_to):
        raise Forbidden("The form belongs to another session; reload and try again.")
