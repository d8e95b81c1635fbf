"""The control plane's CLI: ``flask tenants ...`` and ``flask ops ...``.

Each feature exposes its commands as a tuple; this module lists them, so what the CLI offers is read
here and nothing registers itself by being imported.
"""

from __future__ import annotations

from flask import Flask
from flask.cli import AppGroup

from controlplane.accounts.keys import keys_cli
from controlplane.backups import cli as backups
from controlplane.billing import cli as billing
from controlplane.fleet import cli as fleet
from controlplane.ops import cli as ops
from controlplane.ops_console import cli as ops_console
from controlplane.provisioning import cli as provisioning
from controlplane.shards import cli as shards
from controlplane.tenants import cli as tenants

TENANTS_COMMANDS = (
    *tenants.TENANTS_COMMANDS,  # list, show, suspend, resume
    *provisioning.TENANTS_COMMANDS,  # create, retry, pool
    *fleet.TENANTS_COMMANDS,  # migrate
    *shards.TENANTS_COMMANDS,  # move, shards
    *backups.TENANTS_COMMANDS,  # backup, restore
)
OPS_COMMANDS = (
    *ops.OPS_COMMANDS,  # token
    *billing.OPS_COMMANDS,  # plans
    *ops_console.OPS_COMMANDS,  # snapshot
)


def init_app(app: Flask) -> None:
    """Attach ``flask tenants`` and ``flask ops`` with every feature's commands."""
    tenants_cli = AppGroup("tenants", help="Create, list and manage tenants.")
    for command in TENANTS_COMMANDS:
        tenants_cli.add_command(command)
    ops_cli = AppGroup("ops", help="Operator tooling.")
    for command in OPS_COMMANDS:
        ops_cli.add_command(command)
    app.cli.add_command(tenants_cli)
    app.cli.add_command(ops_cli)
    app.cli.add_command(keys_cli)  # ``flask keys``: encryption keys of secrets at rest
