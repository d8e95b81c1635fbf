"""``flask keys rotate``: re-encrypt every secret at rest with the newest DATA_ENCRYPTION_KEYS key.

Put a new key first in ``DATA_ENCRYPTION_KEYS`` (keep the old ones after it), deploy, run
``flask keys rotate``, then drop the old keys. Covered: users' TOTP secrets (plain rows left from
before encryption are encrypted too), sealed values in queued platform mail, and every tenant's
export signing secret (a tenant without a stored one gets its legacy derived secret stored
encrypted, so its receivers keep verifying). Tenants are walked one by one through
``tenant_context``; one tenant's failure is reported and the rest carry on.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from controlplane.mail.models import PlatformOutboxMessage
from shared import db
from shared.crypto import SEALED_KEY, encrypt, is_token, rotate
from shared.models.accounts import User
from shared.models.tenants import Tenant
from shared.runtime import use_runtime
from shared.tenancy import tenant_context
from tenantapp.secrets import rotate_tenant_secrets

log = logging.getLogger("cleanplane.keys")
ROTATED_TENANT_STATUSES = ("active", "suspended", "deleting", "provision_failed")


@dataclass
class RotationReport:
    users: int = 0
    outbox: int = 0
    tenants: int = 0
    failed: list[str] = field(default_factory=list)


def _again(value: str) -> str:
    return rotate(value) if is_token(value) else encrypt(value)


def rotate_control_plane(report: RotationReport) -> None:
    with db.transaction() as tx:
        users = tx.scalars(
            select(User).where(User.totp_secret.is_not(None)).with_for_update()
        ).all()
        for user in users:
            user.totp_secret = _again(user.totp_secret)
        report.users = len(users)
        queued = tx.scalars(
            select(PlatformOutboxMessage)
            .where(PlatformOutboxMessage.payload.has_key(SEALED_KEY))
            .with_for_update()
        ).all()
        for message in queued:
            message.payload = {**message.payload, SEALED_KEY: rotate(message.payload[SEALED_KEY])}
        report.outbox = len(queued)


def rotate_tenant(runtime, tenant_id) -> None:
    """Re-encrypt one tenant's secrets (its schema's side lives in ``tenantapp/secrets.py``)."""
    with tenant_context(runtime.tenants.by_id(tenant_id)), db.transaction() as tx:
        rotate_tenant_secrets(tx, tenant_id)


def rotate_all(runtime, on_tenant: Callable[[], None] | None = None) -> RotationReport:
    """Re-encrypt everything with the newest key; the runtime must be current."""
    report = RotationReport()
    rotate_control_plane(report)
    tenant_ids = (
        db.session()
        .scalars(
            select(Tenant.id).where(Tenant.status.in_(ROTATED_TENANT_STATUSES)).order_by(Tenant.id)
        )
        .all()
    )
    db.close_session()
    for tenant_id in tenant_ids:
        try:
            rotate_tenant(runtime, tenant_id)
            report.tenants += 1
        except Exception as exc:  # one tenant never stops the rest
            log.exception("key rotation failed for tenant", extra={"tenant_id": str(tenant_id)})
            report.failed.append(f"{tenant_id}: {type(exc).__name__}")
        if on_tenant:
            on_tenant()
    return report


keys_cli = AppGroup("keys", help="Encryption keys for secrets at rest.")


@keys_cli.command("rotate")
def rotate_command():
    """Re-encrypt every stored secret with the newest DATA_ENCRYPTION_KEYS key."""
    runtime = current_app.extensions["cleanplane"]
    with use_runtime(runtime):
        total = db.session().scalar(
            select(func.count()).where(Tenant.status.in_(ROTATED_TENANT_STATUSES))
        )
        db.close_session()
        with click.progressbar(length=total, label="tenants", file=sys.stderr) as bar:
            report = rotate_all(runtime, on_tenant=lambda: bar.update(1))
    click.echo(
        f"rotated: {report.users} TOTP secrets, {report.outbox} queued mails, "
        f"{report.tenants} tenants"
    )
    if report.failed:
        for line in report.failed:
            click.echo(f"failed: {line}", err=True)
        raise SystemExit(1)
