"""``flask tenants move SLUG --to SHARD`` and ``flask tenants shards``."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from controlplane.shards.move import MoveError, move_tenant
from controlplane.shards.placement import tenants_per_shard
from shared.shards import UnknownShard
from shared.web import app_runtime


@click.command("move")
@with_appcontext
@click.argument("slug")
@click.option("--to", "target", required=True, help="The shard to move the tenant to.")
def move(slug, target):
    """Move a tenant to another shard (run again to resume a failed move)."""
    runtime = app_runtime()
    try:
        result = move_tenant(runtime, slug, target)
    except UnknownShard as exc:
        raise click.ClickException(f"unknown shard {exc.args[0]!r}") from exc
    except MoveError as exc:
        hint = f"\nresume with: flask tenants move {slug} --to {target}" if exc.step else ""
        raise click.ClickException(f"{exc}{hint}") from exc
    click.echo(
        f"{result.slug}: moved {result.source} -> {result.target} "
        f"({result.tables} tables, {result.rows} rows verified"
        + (f"; writes frozen {result.frozen_ms:.0f} ms)" if result.frozen_ms is not None else ")")
    )


@click.command("shards")
@with_appcontext
def shards():
    """List shards and how many tenants each holds."""
    runtime = app_runtime()
    with runtime.engine.connect() as conn:
        counts = tenants_per_shard(conn)
    for name, shard in runtime.shards.items():
        click.echo(f"{name:20} {counts.get(name, 0):8} {shard.database}")


# Listed by controlplane/cli.py under ``flask tenants``.
TENANTS_COMMANDS = (
    move,
    shards,
)
