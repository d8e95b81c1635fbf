"""Public signup: validate everything, then provision the tenant and its owner in one transaction.

The schema comes from the warm pool when one is ready at head, else from the cold path; either way
a failure rolls everything back (no schema, tenant row or user is kept) and answers 503.
"""

from __future__ import annotations

import logging

from sqlalchemy import exists, insert, select
from sqlalchemy.exc import IntegrityError

from controlplane.accounts.recovery import send_verification
from controlplane.provisioning.service import NewTenant, ProvisioningError
from controlplane.shards.placement import provision_placed
from shared.auth.passwords import Passwords, policy_problem
from shared.auth.sessions import open_session
from shared.errors import AppError, Conflict, ValidationFailed
from shared.models.accounts import Membership, User
from shared.models.tenants import Tenant
from shared.runtime import current_runtime
from shared.tenancy import slug_problem
from shared.timezones import time_zone_problem

log = logging.getLogger("cleanplane.signup")


def signup(data: dict, passwords: Passwords) -> dict:
    """Create a tenant (active, plan free), its owner user and a first session."""
    runtime = current_runtime()
    email = data["email"].strip().lower()
    errors = []
    for field, problem in (
        ("slug", slug_problem(data["slug"])),
        ("password", policy_problem(data["password"])),
        ("time_zone", time_zone_problem(data["time_zone"])),
    ):
        if problem:
            errors.append({"field": field, "message": f"{field} {problem}"})
    if errors:
        raise ValidationFailed(errors)
    with runtime.engine.connect() as conn:
        taken_slug = conn.scalar(select(exists().where(Tenant.slug == data["slug"])))
        taken_email = conn.scalar(select(exists().where(User.email == email)))
    if taken_slug:
        raise Conflict("That workspace address is taken.", code="conflict", field="slug")
    if taken_email:
        raise Conflict("An account with that e-mail exists; log in instead.", field="email")
    password_hash = passwords.hash(data["password"])
    result: dict = {}

    def owner_rows(conn, tenant_id):
        user_id = conn.scalar(
            insert(User).values(email=email, password_hash=password_hash).returning(User.id)
        )
        membership_id = conn.scalar(
            insert(Membership)
            .values(tenant_id=tenant_id, user_id=user_id, role="owner")
            .returning(Membership.id)
        )
        conn.execute(
            Tenant.__table__.update().where(Tenant.id == tenant_id).values(owner_user_id=user_id)
        )
        # the verify-your-address e-mail is queued in the signup's own transaction
        send_verification(conn, User(id=user_id, email=email))
        result.update(
            open_session(
                conn,
                runtime.settings,
                user_id=user_id,
                tenant_id=tenant_id,
                membership_id=membership_id,
            )
        )

    spec = NewTenant(
        company_name=data["company_name"],
        slug=data["slug"],
        time_zone=data["time_zone"],
        contact_email=email,
        actor=f"signup:{email}",
    )
    try:
        tenant_id, _shard = provision_placed(runtime, spec, extra=owner_rows)
    except ProvisioningError as exc:
        if isinstance(exc.cause, IntegrityError):
            # A concurrent signup took the slug or e-mail between the check and the insert.
            raise Conflict("That workspace address or e-mail is taken.") from exc
        if isinstance(exc.cause, AppError):
            raise exc.cause from exc
        raise _failed(exc) from exc
    except Exception as exc:
        raise _failed(exc) from exc
    result["tenant"] = {"id": tenant_id, "slug": data["slug"], "status": "active", "plan": "free"}
    return result


def _failed(exc: BaseException) -> AppError:
    log.error("signup provisioning failed: %s", exc, exc_info=exc)
    return AppError(
        "We could not set up your workspace; nothing was kept. Please try again.",
        status=503,
        code="provisioning_failed",
        title="Provisioning failed",
    )
