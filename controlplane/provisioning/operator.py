"""Tenants created by an operator (CLI): recorded first, provisioned second, retryable.

Unlike a public signup, an operator-created tenant is worth remembering when provisioning fails:
the tenant row (with its owner) is committed in ``provisioning`` first; the schema work then runs
in its own transaction, and a failure leaves the row in ``provision_failed`` with the reason, from
where ``flask tenants retry SLUG`` (or ``create`` again) picks it up.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import insert, select, update

from controlplane.provisioning.service import NewTenant, ProvisioningError, provision
from shared.errors import Conflict, NotFound, ValidationFailed
from shared.models.accounts import Membership, User
from shared.models.tenants import Tenant, TenantEvent
from shared.runtime import Runtime
from shared.tenancy import new_schema_name, slug_problem
from shared.timezones import time_zone_problem


@dataclass(frozen=True)
class OperatorTenant:
    slug: str
    company_name: str
    owner_email: str
    time_zone: str = "America/Edmonton"
    actor: str = "cli"


@dataclass(frozen=True)
class Outcome:
    tenant_id: uuid.UUID
    status: str
    reason: str | None = None
    owner_created: bool = False


def create_tenant(
    runtime: Runtime,
    spec: OperatorTenant,
    password_hash: str,
    *,
    must_change_password: bool = True,
) -> Outcome:
    """Record the tenant and its owner, then provision it; see the module docstring.

    ``password_hash`` is used only when the owner's account does not exist yet. A
    ``provision_failed`` tenant with the same slug is retried with the new details.
    """
    errors = [
        {"field": field, "message": f"{field} {problem}"}
        for field, problem in (
            ("slug", slug_problem(spec.slug)),
            ("time_zone", time_zone_problem(spec.time_zone)),
        )
        if problem
    ]
    if errors:
        raise ValidationFailed(errors)
    email = spec.owner_email.strip().lower()
    with runtime.owner_engine.begin() as conn:
        existing = conn.execute(
            select(Tenant.id, Tenant.status).where(Tenant.slug == spec.slug).with_for_update()
        ).first()
        if existing is not None and existing.status != "provision_failed":
            raise Conflict(f"Tenant {spec.slug!r} exists ({existing.status}).", field="slug")
        user_id = conn.scalar(select(User.id).where(User.email == email))
        owner_created = user_id is None
        if owner_created:
            user_id = conn.scalar(
                insert(User)
                .values(
                    email=email,
                    password_hash=password_hash,
                    must_change_password=must_change_password,
                )
                .returning(User.id)
            )
        if existing is None:
            tenant_id = uuid.uuid4()
            conn.execute(
                insert(Tenant).values(
                    id=tenant_id,
                    slug=spec.slug,
                    company_name=spec.company_name,
                    # A placeholder until provisioning names the real (pool or cold) schema.
                    schema_name=new_schema_name(),
                    status="provisioning",
                    plan_code="free",
                    time_zone=spec.time_zone,
                    owner_user_id=user_id,
                )
            )
            _event(conn, tenant_id, None, "provisioning", spec.actor, "created by operator")
        else:
            tenant_id = existing.id
            conn.execute(
                update(Tenant)
                .where(Tenant.id == tenant_id)
                .values(
                    company_name=spec.company_name,
                    time_zone=spec.time_zone,
                    owner_user_id=user_id,
                    status="provisioning",
                    status_reason=None,
                )
            )
            _event(conn, tenant_id, "provision_failed", "provisioning", spec.actor, "retry")
        has_membership = conn.scalar(
            select(Membership.id).where(
                Membership.tenant_id == tenant_id, Membership.user_id == user_id
            )
        )
        if has_membership is None:
            conn.execute(
                insert(Membership).values(tenant_id=tenant_id, user_id=user_id, role="owner")
            )
    runtime.tenants.bump(tenant_id)
    outcome = _provision(runtime, tenant_id, spec, email)
    return Outcome(outcome.tenant_id, outcome.status, outcome.reason, owner_created)


def retry_tenant(runtime: Runtime, slug: str, actor: str = "cli") -> Outcome:
    """Provision a ``provision_failed`` tenant again with the details it was created with."""
    with runtime.owner_engine.begin() as conn:
        row = conn.execute(
            select(
                Tenant.id,
                Tenant.status,
                Tenant.company_name,
                Tenant.time_zone,
                User.email,
            )
            .join(User, User.id == Tenant.owner_user_id, isouter=True)
            .where(Tenant.slug == slug)
            .with_for_update(of=Tenant)
        ).first()
        if row is None:
            raise NotFound(f"No tenant {slug!r}.")
        if row.status != "provision_failed":
            raise Conflict(
                f"Only a provision_failed tenant can be retried; {slug!r} is {row.status}.",
                code="invalid_transition",
            )
        conn.execute(
            update(Tenant)
            .where(Tenant.id == row.id)
            .values(status="provisioning", status_reason=None)
        )
        _event(conn, row.id, "provision_failed", "provisioning", actor, "retry")
    runtime.tenants.bump(row.id)
    spec = OperatorTenant(slug, row.company_name, row.email or "", row.time_zone, actor)
    return _provision(runtime, row.id, spec, row.email)


def _provision(
    runtime: Runtime, tenant_id: uuid.UUID, spec: OperatorTenant, email: str | None
) -> Outcome:
    new = NewTenant(
        company_name=spec.company_name,
        slug=spec.slug,
        time_zone=spec.time_zone,
        contact_email=email,
        actor=spec.actor,
        reason="provisioned by operator",
    )
    try:
        with runtime.owner_engine.begin() as conn:
            provision(conn, runtime, new, tenant_id=tenant_id)
    except Exception as exc:  # every failure is recorded on the row
        reason = str(exc) if isinstance(exc, ProvisioningError) else f"commit: {exc}"
        reason = reason[:2000]
        with runtime.owner_engine.begin() as conn:
            conn.execute(
                update(Tenant)
                .where(Tenant.id == tenant_id)
                .values(status="provision_failed", status_reason=reason)
            )
            _event(conn, tenant_id, "provisioning", "provision_failed", spec.actor, reason)
        runtime.tenants.bump(tenant_id)
        return Outcome(tenant_id, "provision_failed", reason)
    runtime.tenants.bump(tenant_id)
    return Outcome(tenant_id, "active")


def _event(conn, tenant_id, from_status, to_status, actor, reason) -> None:
    conn.execute(
        insert(TenantEvent).values(
            tenant_id=tenant_id,
            from_status=from_status,
            to_status=to_status,
            actor=actor,
            reason=reason,
        )
    )
