"""``flask ops token create|revoke``: operator API tokens."""

from __future__ import annotations

import uuid

import click
from flask.cli import AppGroup

from shared import db
from shared.operator_tokens import create_operator_token, revoke_operator_token
from shared.runtime import use_runtime
from shared.web import app_runtime

token_cli = AppGroup("token", help="Operator API tokens.")


@token_cli.command("create")
@click.argument("name")
@click.option("--days", default=90, show_default=True)
def token_create(name, days):
    """Create an operator API token (printed once)."""
    with use_runtime(app_runtime()), db.transaction() as tx:
        token, row = create_operator_token(tx, name, days)
    db.close_session()
    click.echo(token)
    click.echo(f"token id (for revoke): {row.id}", err=True)


@token_cli.command("revoke")
@click.argument("token_id")
def token_revoke(token_id):
    """Revoke an operator API token by its id (the token's ``sid``); it gets 401 from then on."""
    try:
        parsed = uuid.UUID(token_id)
    except ValueError as exc:
        raise click.ClickException(f"not a token id: {token_id!r}") from exc
    with use_runtime(app_runtime()), db.transaction() as tx:
        found = revoke_operator_token(tx, parsed)
    db.close_session()
    if not found:
        raise click.ClickException(f"no operator token {token_id}")
    click.echo(f"revoked {token_id}")


# Listed by controlplane/cli.py under ``flask ops``.
OPS_COMMANDS = (token_cli,)
