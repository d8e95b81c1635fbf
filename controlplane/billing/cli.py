"""``flask ops plans list|set``: the plan catalogue for operators."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from controlplane.billing import plans
from shared import db
from shared.errors import AppError
from shared.runtime import use_runtime
from shared.web import app_runtime

plans_cli = AppGroup("plans", help="List and edit plans (price, limits, Stripe price id).")


@plans_cli.command("list")
def list_plans():
    """Every plan with its price, limits and Stripe price id."""
    with use_runtime(app_runtime()):
        for p in plans.all_plans():
            click.echo(
                f"{p.code:12} {p.price_cents:>8} {p.currency} workers={p.max_workers} "
                f"bookings={p.bookings_per_month} storage={p.storage_bytes} "
                f"stripe_price={p.stripe_price_id or '-'} {'active' if p.active else 'inactive'}"
            )
        db.close_session()


@plans_cli.command("set")
@click.argument("code")
@click.option("--name")
@click.option("--price-cents", type=click.IntRange(min=0))
@click.option("--currency")
@click.option("--max-workers", type=click.IntRange(min=0))
@click.option("--bookings-per-month", type=click.IntRange(min=0))
@click.option("--storage-bytes", type=click.IntRange(min=0))
@click.option("--stripe-price-id", help="Stripe price id; an empty string clears it.")
@click.option("--active/--inactive", default=None)
@click.option("--sort-order", type=int)
@click.option("--create", is_flag=True, help="Create the plan if it does not exist.")
def set_plan(code, create, **options):
    """Change (or with --create add) plan CODE."""
    changes = {k: v for k, v in options.items() if v is not None}
    if changes.get("stripe_price_id") == "":
        changes["stripe_price_id"] = None
    if not changes:
        raise click.UsageError("nothing to change")
    with use_runtime(app_runtime()):
        try:
            plan = plans.update_plan(code, changes, actor="cli", create=create)
        except AppError as exc:
            raise click.ClickException(exc.detail) from exc
        finally:
            db.close_session()
    click.echo(f"{plan.code}: {', '.join(sorted(changes))} updated")


# Listed by controlplane/cli.py under ``flask ops``.
OPS_COMMANDS = (plans_cli,)
