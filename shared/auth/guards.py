"""Request guards: ``public``, ``staff(permission)``, ``worker`` and ``operator``.

Each guard authenticates the request, puts a ``Principal`` on ``g.principal`` and documents the
operation's security scheme (and permission) in OpenAPI. Staff sessions are checked on every request;
the role comes from the membership row, cached briefly in Redis under the tenant's version so a role
change, deactivation or revocation applies to the very next request.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hmac
import json
import uuid
from copy import deepcopy
from dataclasses import dataclass
from datetime import UTC, datetime

import redis
from flask import current_app, g, request
from flask_smorest.utils import deepupdate
from sqlalchemy import select

from shared.auth import tokens
from shared.auth.permissions import allows
from shared.errors import Forbidden, NotFound, Unauthorized
from shared.limits import client_ip, operator_failures_all, operator_failures_ip
from shared.models.accounts import Membership, User, UserSession
from shared.operator_tokens import check_operator_token
from shared.runtime import current_runtime
from shared.tenancy import TenantRef

SESSION_CACHE_SECONDS = 30


@dataclass(frozen=True)
class Principal:
    typ: str
    user_id: str | None = None
    tenant_id: str | None = None
    session_id: str | None = None
    role: str | None = None
    must_change_password: bool = False
    operator: str | None = None
    team_id: int | None = None


def document(fn, **doc):
    """Merge OpenAPI ``doc`` into a view function the way flask-smorest's ``Blueprint.doc`` does."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return fn(*args, **kwargs)

    wrapper._apidoc = deepcopy(getattr(wrapper, "_apidoc", {}))
    manual = wrapper._apidoc.setdefault("manual_doc", {})
    wrapper._apidoc["manual_doc"] = deepupdate(deepcopy(manual), doc)
    return wrapper


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def session_key(session_id: str) -> str:
    return f"auth:session:{session_id}"


def forget_sessions(session_ids) -> None:
    """Drop cached session state after revocation so the next request sees it."""
    keys = [session_key(str(sid)) for sid in session_ids]
    if keys:
        current_runtime().redis.delete(*keys)


def _load_session(sid: str, tenant: TenantRef) -> dict:
    """Session + membership + user state for ``sid``, from Redis or one SQL query."""

    rt = current_runtime()
    key = session_key(sid)
    try:
        cached = rt.redis.get(key)
    except redis.RedisError:  # Redis down: read the session from the database every time
        cached = None
    if cached:
        state = json.loads(cached)
        if state.get("v") == tenant.version:
            return state
    stmt = (
        select(
            UserSession.user_id,
            UserSession.tenant_id,
            UserSession.expires_at,
            UserSession.revoked_at,
            Membership.role,
            Membership.active,
            User.must_change_password,
        )
        .join(Membership, Membership.id == UserSession.membership_id)
        .join(User, User.id == UserSession.user_id)
        .where(UserSession.id == uuid.UUID(sid))
    )
    with rt.engine.connect() as conn:
        row = conn.execute(stmt).first()
    if row is None:
        state = {"valid": False, "v": tenant.version}
    else:
        state = {
            "valid": row.revoked_at is None and row.active,
            "exp": row.expires_at.timestamp(),
            "user_id": str(row.user_id),
            "tenant_id": str(row.tenant_id),
            "role": row.role,
            "must_change": row.must_change_password,
            "v": tenant.version,
        }
    with contextlib.suppress(redis.RedisError):
        rt.redis.set(key, json.dumps(state), ex=SESSION_CACHE_SECONDS)
    return state


def authenticate_staff(tenant_from_request: TenantRef | None) -> tuple[Principal, TenantRef]:
    """Validate the bearer staff token; returns the principal and its tenant."""
    raw = bearer_token()
    if raw is None:
        raise Unauthorized("A bearer token is required.", headers={"WWW-Authenticate": "Bearer"})
    rt = current_runtime()
    claims = tokens.decode(rt.settings, raw)
    if claims["typ"] != "staff":
        raise Forbidden("This endpoint is for staff tokens.")
    if tenant_from_request is not None:
        if claims.get("tid") != str(tenant_from_request.id):
            raise Forbidden("The token belongs to another tenant.", code="tenant_mismatch")
        tenant = tenant_from_request
    else:
        tenant = rt.tenants.by_id(claims.get("tid") or "")
        if tenant is None or tenant.status not in {"active", "suspended"}:
            raise Unauthorized("The session's tenant is no longer available.")
    return session_principal(claims["sid"], claims["sub"], tenant), tenant


def session_principal(sid: str, user_id: str, tenant: TenantRef) -> Principal:
    """The staff principal of session ``sid`` of ``user_id`` in ``tenant``, checked against the
    session row (revoked, expired, membership deactivated → 401); the API's bearer tokens and the
    console's cookie both end here, so a revocation signs both out on their next request."""
    try:
        state = _load_session(sid, tenant)
    except ValueError as exc:
        raise Unauthorized("The access token is not valid.") from exc
    now = datetime.now(UTC).timestamp()
    if (
        not state.get("valid")
        or state.get("exp", 0) < now
        or state.get("user_id") != user_id
        or state.get("tenant_id") != str(tenant.id)
    ):
        raise Unauthorized("The session has ended; log in again.")
    return Principal(
        typ="staff",
        user_id=state["user_id"],
        tenant_id=state["tenant_id"],
        session_id=sid,
        role=state["role"],
        must_change_password=bool(state.get("must_change")),
    )


def check_staff_access(
    principal: Principal,
    tenant: TenantRef,
    permission: str | None,
    *,
    allow_suspended: bool = False,
    allow_password_change: bool = False,
) -> None:
    """The rules after authentication, the same for API and console: a suspended workspace, a
    temporary password still to change, and the role's permissions (403 each)."""
    if tenant.status == "suspended" and not allow_suspended:
        raise Forbidden(
            "This workspace is suspended; the owner can settle billing to resume it.",
            code="tenant_suspended",
        )
    if principal.must_change_password and not allow_password_change:
        raise Forbidden("Change your temporary password first.", code="password_change_required")
    if permission is not None and not allows(principal.role, permission):
        raise Forbidden(f"This action needs the {permission} permission.")


def staff(
    permission: str | None, *, allow_suspended: bool = False, allow_password_change: bool = False
):
    """Require a staff token with ``permission`` (None: any role) for the resolved tenant."""

    def decorator(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            principal, tenant = authenticate_staff(getattr(g, "tenant", None))
            check_staff_access(
                principal,
                tenant,
                permission,
                allow_suspended=allow_suspended,
                allow_password_change=allow_password_change,
            )
            g.principal = principal
            g.staff_tenant = tenant
            return fn(*args, **kwargs)

        doc = {"security": [{"staffToken": []}]}
        if permission:
            doc["x-permission"] = permission
        return document(wrapper, **doc)

    return decorator


PUBLIC_MARK = "cleanplane_public"


# The tenant app registers the function that reads a worker session from the tenant schema
# (worker tables are tenant data; ``shared`` must not import them). It takes (session id,
# worker id) and returns ``{"worker_id", "team_id", "exp"}`` for a live session, else None.
_worker_session_loader = None


def register_worker_session_loader(loader) -> None:
    global _worker_session_loader
    _worker_session_loader = loader


def authenticate_worker(tenant: TenantRef | None) -> Principal:
    """Validate a bearer worker token for the resolved tenant; the session row is read on every
    request, so a revoked session or a deactivated worker is refused at once."""
    raw = bearer_token()
    if raw is None:
        raise Unauthorized("A bearer token is required.", headers={"WWW-Authenticate": "Bearer"})
    claims = tokens.decode(current_runtime().settings, raw)
    if claims["typ"] != "worker":
        raise Forbidden("This endpoint is for worker tokens.")
    if tenant is None or claims.get("tid") != str(tenant.id):
        raise Forbidden("The token belongs to another tenant.", code="tenant_mismatch")
    if tenant.status == "suspended":
        raise Forbidden("This workspace is suspended.", code="tenant_suspended")
    try:
        worker_id = int(claims["sub"])
        sid = str(uuid.UUID(claims["sid"]))
    except (TypeError, ValueError) as exc:
        raise Unauthorized("The access token is not valid.") from exc
    state = _worker_session_loader(sid, worker_id) if _worker_session_loader else None
    if state is None or state["exp"] < datetime.now(UTC).timestamp():
        raise Unauthorized("The session has ended; log in again.")
    return Principal(
        typ="worker",
        user_id=str(worker_id),
        tenant_id=str(tenant.id),
        session_id=sid,
        team_id=state["team_id"],
    )


def worker(fn):
    """Require a worker token (``typ=worker``) of the resolved tenant with a live session."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        g.principal = authenticate_worker(getattr(g, "tenant", None))
        return fn(*args, **kwargs)

    return document(wrapper, security=[{"workerToken": []}])


def public(fn):
    """A public operation (``security: []``); a suspended tenant's public pages are 404.

    The returned view carries ``PUBLIC_MARK`` so request hooks (rate limits, booking-site CORS)
    can tell public operations apart without parsing OpenAPI.
    """

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        tenant = getattr(g, "tenant", None)
        if tenant is not None and tenant.status != "active":
            raise NotFound("No such workspace.")
        g.principal = Principal(typ="public")
        return fn(*args, **kwargs)

    documented = document(wrapper, security=[])
    setattr(documented, PUBLIC_MARK, True)
    return documented


def view_method(endpoint: str | None, method: str):
    """The function serving ``method`` at ``endpoint`` (a MethodView's method, or the view)."""
    view = current_app.view_functions.get(endpoint) if endpoint else None
    view_class = getattr(view, "view_class", None)
    if view_class is None:
        return view
    name = "get" if method.upper() == "HEAD" else method.lower()
    return getattr(view_class, name, None)


def is_public_operation(method: str | None = None) -> bool:
    """Whether the current request's operation (or ``method`` at its route) is public."""
    rule = request.url_rule
    if rule is None:
        return False
    fn = view_method(rule.endpoint, method or request.method)
    if fn is None:
        return False
    if getattr(fn, PUBLIC_MARK, False):
        return True
    return getattr(fn, "_apidoc", {}).get("manual_doc", {}).get("security") == []


def _basic_operator() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    # Failed Basic credentials are limited per client IP and across all clients: while either
    # is exhausted every Basic attempt gets 429 (operator API tokens still work).
    ip = client_ip()
    operator_failures_all.check("all")
    operator_failures_ip.check(ip)
    try:
        user, _, password = base64.b64decode(value).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        user, password = "", ""
    expected = current_runtime().settings.operator_credentials.get(user)
    if expected is not None and hmac.compare_digest(expected.encode(), password.encode()):
        return user
    operator_failures_ip.failed(ip)
    operator_failures_all.failed("all")
    return None


def authenticate_operator() -> Principal:
    user = _basic_operator()
    if user is not None:
        return Principal(typ="operator", operator=user)
    raw = bearer_token()
    if raw is not None:
        claims = tokens.decode(current_runtime().settings, raw)
        if claims["typ"] != "operator":
            raise Forbidden("Operator credentials are required.")

        return Principal(typ="operator", operator=check_operator_token(claims))
    raise Unauthorized(
        "Operator credentials are required.",
        headers={"WWW-Authenticate": 'Basic realm="cleanplane-ops"'},
    )


def operator(fn):
    """Require operator Basic credentials or an operator API token."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        g.principal = authenticate_operator()
        return fn(*args, **kwargs)

    return document(wrapper, security=[{"operatorBasic": []}, {"operatorToken": []}])
