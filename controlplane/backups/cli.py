"""``flask tenants backup SLUG DIR`` and ``flask tenants restore DIR [--as NEWSLUG]``."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from controlplane.backups.restore import restore_tenant
from controlplane.backups.service import backup_tenant
from controlplane.pgtools import PgToolError
from shared.runtime import use_runtime
from shared.web import app_runtime


@click.command("backup")
@with_appcontext
@click.argument("slug")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def backup(slug: str, directory: Path) -> None:
    """Back up one tenant: its schema, control-plane rows and storage objects, into DIRECTORY."""

    with use_runtime(app_runtime()) as rt:
        try:
            manifest = backup_tenant(rt, slug, directory)
        except PgToolError as exc:
            raise click.ClickException(str(exc)) from exc
    tables = manifest["tables"]
    click.echo(
        f"{slug}: {len(tables)} tables, {sum(t['rows'] for t in tables.values())} rows, "
        f"{manifest['storage_files']} files -> {directory}"
    )


@click.command("restore")
@with_appcontext
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--as", "new_slug", default=None, help="Restore as a new tenant with this slug.")
@click.option("--shard", default=None, help="Restore onto this shard (default: the backup's).")
def restore(directory: Path, new_slug: str | None, shard: str | None) -> None:
    """Restore a tenant backup (as a new tenant with --as; else its original identity)."""

    with use_runtime(app_runtime()) as rt:
        try:
            result = restore_tenant(rt, directory, new_slug, shard=shard, progress=click.echo)
        except PgToolError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(
        f"restored {result.slug} ({result.tenant_id}) into {result.schema} on {result.shard}: "
        f"{result.tables} tables, {result.rows} rows, {result.files} files"
    )


# Listed by controlplane/cli.py under ``flask tenants``.
TENANTS_COMMANDS = (
    backup,
    restore,
)
