"""``flask ops snapshot``: take the console's hourly snapshot now (what the schedule runs)."""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext

from controlplane.ops_console.snapshots import take_snapshot
from shared.runtime import use_runtime
from shared.web import app_runtime


@click.command("snapshot")
@with_appcontext
def snapshot():
    """Record this hour's console time series now (idempotent; the schedule runs it hourly)."""
    with use_runtime(app_runtime()):
        result = take_snapshot()
    click.echo(json.dumps(result))


# Listed by controlplane/cli.py under ``flask ops``.
OPS_COMMANDS = (snapshot,)
