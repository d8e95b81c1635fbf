"""The worker pages' session cookie and CSRF tokens.

The cookie carries the same 12 h ``typ=worker`` token as ``POST /worker/login`` (one
``worker_sessions`` row per sign-in), so the API's guard checks it: a revoked session or a
deactivated worker is signed out on the very next request. It is ``HttpOnly; SameSite=Lax``,
``Secure`` in prod, and its path is the workspace's ``/t/<slug>/work`` so no other workspace (and
no API call) ever receives it.

CSRF: every form carries a token the page put there (a cross-site page cannot read it). Signed in,
it is an HMAC of the session id; before sign-in, of a random nonce kept in a second HttpOnly
cookie (so a forged login form cannot sign the victim into someone else's account). A POST whose
``Origin`` (or ``Referer``) names another host is refused before the token is looked at.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets
import uuid
from datetime import UTC, datetime

from flask import Response, g, redirect, request, url_for
from sqlalchemy import update

from shared import db
from shared.auth.guards import authenticate_worker
from shared.errors import AppError, Forbidden
from shared.runtime import current_runtime
from shared.tenancy import current_tenant
from shared.web.origin import same_origin
from tenantapp.workers.models import WorkerSession

COOKIE = "work_session"
PRE_COOKIE = "work_pre"  # the nonce the sign-in form's CSRF token is bound to
PRE_MAX_AGE = 2 * 3600


def cookie_path() -> str:
    return f"/t/{current_tenant().slug}/work"


def _set(resp: Response, name: str, value: str, max_age: int) -> None:
    resp.set_cookie(
        name,
        value,
        max_age=max_age,
        path=cookie_path(),
        secure=current_runtime().settings.is_prod,
        httponly=True,
        samesite="Lax",
    )


def start(resp: Response, token: str, expires_at: datetime) -> Response:
    """Put the worker's access token in the session cookie (until the token expires)."""
    max_age = max(int((expires_at - datetime.now(UTC)).total_seconds()), 0)
    _set(resp, COOKIE, token, max_age)
    resp.delete_cookie(PRE_COOKIE, path=cookie_path())
    return resp


def end(resp: Response) -> Response:
    resp.delete_cookie(COOKIE, path=cookie_path(), httponly=True, samesite="Lax")
    return resp


def revoke_current() -> None:
    """Revoke the signed-in session's row (sign out): the token is dead even if copied."""
    principal = g.get("principal")
    if principal is None or principal.typ != "worker" or not principal.session_id:
        return
    with db.transaction() as tx:
        tx.execute(
            update(WorkerSession)
            .where(
                WorkerSession.id == uuid.UUID(principal.session_id),
                WorkerSession.revoked_at.is_(None),
            )
            .values(revoked_at=datetime.now(UTC))
        )


def _mac(purpose: str, value: str) -> str:
    key = current_runtime().settings.secret_key.encode()
    digest = hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")  # 43 characters


def csrf_token() -> str:
    """The token for forms of the signed-in worker (bound to the session)."""
    return _mac("work-csrf", g.principal.session_id)


def login_nonce() -> str:
    """The sign-in form's nonce: the one in the browser's cookie, else a new one."""
    nonce = request.cookies.get(PRE_COOKIE, "")
    if len(nonce) != 32 or not nonce.isalnum():
        nonce = secrets.token_hex(16)
    g.work_pre_nonce = nonce
    return nonce


def login_csrf_token() -> str:
    return _mac("work-login", login_nonce())


def keep_login_nonce(resp: Response) -> Response:
    nonce = g.get("work_pre_nonce")
    if nonce and request.cookies.get(PRE_COOKIE) != nonce:
        _set(resp, PRE_COOKIE, nonce, PRE_MAX_AGE)
    return resp


def _refuse() -> Forbidden:
    return Forbidden(
        "The form has expired or did not come from this page; reload and try again.",
        code="forbidden",
    )


def check_csrf(given: str | None, expected: str) -> None:
    """403 unless the POST is same-origin and carries ``expected``."""
    if not same_origin():
        raise Forbidden("Cross-site form posts are refused.", code="forbidden")
    if not given or not hmac.compare_digest(given.encode(), expected.encode()):
        raise _refuse()


def check_login_csrf() -> None:
    nonce = request.cookies.get(PRE_COOKIE, "")
    if not nonce:
        raise _refuse()
    check_csrf(request.form.get("csrf_token"), _mac("work-login", nonce))


def current_worker_token() -> str | None:
    return request.cookies.get(COOKIE) or None


def signed_in(fn):
    """Pages of a signed-in worker: the cookie's token through the API's worker guard (live
    session row, active worker, this workspace). Without one: to the sign-in page (GET keeps
    where the worker was going). POSTs also need the CSRF token."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        raw = current_worker_token()
        try:
            if raw is None:
                raise Forbidden("no session")
            g.principal = authenticate_worker(getattr(g, "tenant", None), raw)
        except AppError:
            target = request.full_path if request.method == "GET" else None
            nxt = target.rstrip("?") if target else None
            resp = redirect(url_for("work_pages.login", next=nxt), 303)
            return end(resp) if raw else resp
        if request.method == "POST":
            # A photo's multipart body is streamed by the upload reader: its token rides in the
            # form's action URL, so the body is not parsed here.
            multipart = request.mimetype == "multipart/form-data"
            given = request.args.get("csrf") if multipart else request.form.get("csrf_token")
            check_csrf(given, csrf_token())
        g.work_csrf = csrf_token()
        return fn(*args, **kwargs)

    return wrapper
