"""Flask CLI groups: ``flask tenants ...`` and ``flask ops ...``."""

from __future__ import annotations

import uuid

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select

from shared import db
from shared.runtime import use_runtime

tenants_cli = AppGroup("tenants", help="Create, list and manage tenants.")
ops_cli = AppGroup("ops", help="Operator tooling.")
token_cli = AppGroup("token", help="Operator API tokens.")
ops_cli.add_command(token_cli)


def _runtime():
    return current_app.extensions["cleanplane"]


def _tenant_by_slug(slug: str):
    from shared.models.tenants import Tenant

    tenant = db.session().scalar(select(Tenant).where(Tenant.slug == slug))
    if tenant is None:
        raise click.ClickException(f"no tenant {slug!r}")
    return tenant


@tenants_cli.command("list")
@click.option("--status", default=None)
def list_tenants(status):
    """List tenants."""
    from shared.models.tenants import Tenant

    with use_runtime(_runtime()):
        stmt = select(Tenant).order_by(Tenant.slug)
        if status:
            stmt = stmt.where(Tenant.status == status)
        for t in db.session().scalars(stmt):
            click.echo(
                f"{t.slug:40} {t.status:16} {t.plan_code:10} {t.schema_name} {t.schema_revision}"
            )
        db.close_session()


@tenants_cli.command("show")
@click.argument("slug")
def show_tenant(slug):
    """Show one tenant."""
    with use_runtime(_runtime()):
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
    from controlplane.tenants.lifecycle import change_status

    with use_runtime(_runtime()):
        t = _tenant_by_slug(slug)
        change_status(t.id, status, actor="cli", reason=reason)
        db.close_session()
        click.echo(f"{slug}: {status}")


@tenants_cli.command("suspend")
@click.argument("slug")
@click.option("--reason", required=True)
def suspend(slug, reason):
    """Suspend a tenant."""
    _set_status(slug, "suspended", reason)


@tenants_cli.command("resume")
@click.argument("slug")
@click.option("--reason", required=True)
def resume(slug, reason):
    """Resume a suspended tenant."""
    _set_status(slug, "active", reason)


@token_cli.command("create")
@click.argument("name")
@click.option("--days", default=90, show_default=True)
def token_create(name, days):
    """Create an operator API token (printed once)."""
    from shared.operator_tokens import create_operator_token

    with use_runtime(_runtime()), db.transaction() as tx:
        token, row = create_operator_token(tx, name, days)
    db.close_session()
    click.echo(token)
    click.echo(f"token id (for revoke): {row.id}", err=True)


@token_cli.command("revoke")
@click.argument("token_id")
def token_revoke(token_id):
    """Revoke an operator API token by its id (the token's ``sid``); it gets 401 from then on."""
    from shared.operator_tokens import revoke_operator_token

    try:
        parsed = uuid.UUID(token_id)
    except ValueError as exc:
        raise click.ClickException(f"not a token id: {token_id!r}") from exc
    with use_runtime(_runtime()), db.transaction() as tx:
        found = revoke_operator_token(tx, parsed)
    db.close_session()
    if not found:
        raise click.ClickException(f"no operator token {token_id}")
    click.echo(f"revoked {token_id}")


def init_app(app: Flask) -> None:
    import controlplane.provisioning.cli  # noqa: F401 - registers create, retry and pool
    import controlplane.shards.cli  # noqa: F401 - registers move and shards
    from controlplane.accounts.keys import keys_cli
    from controlplane.backups import cli as _backups  # noqa: F401 - registers its commands
    from controlplane.billing import cli as billing_cli  # noqa: F401 - registers ``ops plans``
    from controlplane.fleet import cli as _fleet_cli  # noqa: F401 - registers `tenants migrate`

    app.cli.add_command(tenants_cli)
    app.cli.add_command(ops_cli)
    app.cli.add_command(keys_cli)
