"""``flask tenants create|retry|pool ...``: operator-created tenants and the warm pool."""

from __future__ import annotations

import secrets

import click
from flask.cli import AppGroup, with_appcontext

from controlplane.provisioning.operator import OperatorTenant, create_tenant, retry_tenant
from controlplane.provisioning.pool import drain_pool, pool_status, refill_pool
from shared.auth.signin import passwords
from shared.errors import AppError
from shared.runtime import use_runtime
from shared.web import app_runtime

pool_cli = AppGroup("pool", help="The warm pool of pre-provisioned tenant schemas.")


def _report(slug: str, outcome) -> None:
    if outcome.status == "active":
        click.echo(f"{slug}: active ({outcome.tenant_id})")
        return
    raise click.ClickException(
        f"{slug}: provision_failed: {outcome.reason}\nretry with: flask tenants retry {slug}"
    )


@click.command("create")
@with_appcontext
@click.option("--slug", required=True)
@click.option("--name", "company_name", required=True, help="Company name.")
@click.option("--email", required=True, help="The owner's e-mail (account created if new).")
@click.option("--time-zone", default="America/Edmonton", show_default=True)
@click.option(
    "--password",
    default=None,
    help="The new owner's password; without it one is generated, printed once, and must be changed.",
)
def create(slug, company_name, email, time_zone, password):
    """Create a tenant (or retry a provision_failed one with the same slug)."""

    runtime = app_runtime()
    generated = password is None
    password = password or secrets.token_urlsafe(12)
    with use_runtime(runtime):
        spec = OperatorTenant(slug, company_name, email, time_zone, actor="cli")
        try:
            outcome = create_tenant(
                runtime, spec, passwords().hash(password), must_change_password=generated
            )
        except AppError as exc:
            raise click.ClickException(_problem(exc)) from exc
    if outcome.owner_created and generated:
        click.echo(f"owner {email} password (shown once, must be changed): {password}")
    _report(slug, outcome)


@click.command("retry")
@with_appcontext
@click.argument("slug")
def retry(slug):
    """Provision a provision_failed tenant again."""

    with use_runtime(app_runtime()):
        try:
            outcome = retry_tenant(app_runtime(), slug)
        except AppError as exc:
            raise click.ClickException(_problem(exc)) from exc
    _report(slug, outcome)


def _problem(exc: AppError) -> str:
    errors = exc.extra.get("errors") or []
    details = "; ".join(e["message"] for e in errors)
    return f"{exc.detail}{': ' + details if details else ''}"


@pool_cli.command("status")
def pool_status_cmd():
    """Ready schemas at head, unclaimed schemas per revision, claimed so far."""

    status = pool_status(app_runtime())
    click.echo(f"head: {status.head}")
    click.echo(f"ready at head: {status.ready} (target TENANT_POOL_SIZE={status.target})")
    for revision, count in sorted(status.by_revision.items()):
        if revision != status.head:
            click.echo(f"below head, unclaimed: {revision}: {count}")
    click.echo(f"claimed so far: {status.claimed}")


@pool_cli.command("fill")
@click.argument("size", type=click.IntRange(min=0))
def pool_fill(size):
    """Top the pool up to SIZE ready schemas at head (drops unclaimed ones below head)."""

    created = refill_pool(app_runtime(), size)
    click.echo(f"created {created} pool schema(s); pool target {size}")


@pool_cli.command("drain")
def pool_drain():
    """Drop every unclaimed pool schema."""

    dropped = drain_pool(app_runtime())
    click.echo(f"dropped {dropped} pool schema(s)")


# Listed by controlplane/cli.py under ``flask tenants``.
TENANTS_COMMANDS = (
    create,
    retry,
    pool_cli,
)
