"""``flask tenants list|show|suspend|resume``: look at tenants and change their status."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from controlplane.tenants.lifecycle import change_status
from shared import db
from shared.models.tenants import Tenant
from shared.runtime import use_runtime
from shared.web import app_runtime


def _tenant_by_slug(slug: str):
    tenant = db.session().scalar(select(Tenant).where(Tenant.slug == slug))
    if tenant is None:
        raise click.ClickException(f"no tenant {slug!r}")
    return tenant


@click.command("list")
@with_appcontext
@click.option("--status", default=None)
def list_tenants(status):
    """List tenants."""
    with use_runtime(app_runtime()):
        stmt = select(Tenant).order_by(Tenant.slug)
        if status:
            stmt = stmt.where(Tenant.status == status)
        for t in db.session().scalars(stmt):
            click.echo(
                f"{t.slug:40} {t.status:16} {t.plan_code:10} {t.schema_name} {t.schema_revision}"
            )
        db.close_session()


@click.command("show")
@with_appcontext
@click.argument("slug")
def show_tenant(slug):
    """Show one tenant."""
    with use_runtime(app_runtime()):
        t = _tenant_by_slug(slug)
        for key in (
            "id",
            "slug",
            "company_name",
            "status",
            "status_reason",
            "plan_code",
            "schema_name",
            "schema_revision",
            "shard",
            "created_at",
        ):
            click.echo(f"{key}: {getattr(t, key)}")
        db.close_session()


def _set_status(slug: str, status: str, reason: str):
    with use_runtime(app_runtime()):
        t = _tenant_by_slug(slug)
        change_status(t.id, status, actor="cli", reason=reason)
        db.close_session()
        click.echo(f"{slug}: {status}")


@click.command("suspend")
@with_appcontext
@click.argument("slug")
@click.option("--reason", required=True)
def suspend(slug, reason):
    """Suspend a tenant."""
    _set_status(slug, "suspended", reason)


@click.command("resume")
@with_appcontext
@click.argument("slug")
@click.option("--reason", required=True)
def resume(slug, reason):
    """Resume a suspended tenant."""
    _set_status(slug, "active", reason)


# Listed by controlplane/cli.py under ``flask tenants``.
TENANTS_COMMANDS = (list_tenants, show_tenant, suspend, resume)
