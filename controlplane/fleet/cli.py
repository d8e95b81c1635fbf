"""``flask tenants migrate``: the fleet migration command (SPEC §2.6)."""

from __future__ import annotations

import getpass

import click
from flask.cli import with_appcontext
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from controlplane.fleet import service
from controlplane.fleet.locks import RunInProgress
from controlplane.fleet.plan import DEFAULT_LOCK_TIMEOUT, MigrateOptions, Plan, plan, render_sql
from shared.errors import NotFound
from shared.web import app_runtime

EXIT_FAILED = 1
EXIT_RUN_IN_PROGRESS = 75  # EX_TEMPFAIL: try again later


@click.command("migrate")
@with_appcontext
@click.option(
    "--parallel",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Worker processes migrating tenants side by side.",
)
@click.option("--tenant", "tenant_slug", default=None, help="Only this tenant (slug).")
@click.option("--dry-run", is_flag=True, help="Print the plan; change nothing.")
@click.option("--sql", "as_sql", is_flag=True, help="Print the SQL a run would execute.")
@click.option(
    "--lock-timeout",
    default=DEFAULT_LOCK_TIMEOUT,
    show_default=True,
    help="DDL lock_timeout per tenant (500ms, 5s, 1min).",
)
@click.option(
    "--script-location",
    default=None,
    type=click.Path(exists=True, file_okay=False),
    help="Another tenant Alembic track (a drill's scratch copy of alembic_tenant).",
)
def migrate(parallel, tenant_slug, dry_run, as_sql, lock_timeout, script_location):
    """Upgrade public, then every tenant and pool schema that is behind the tenant head.

    Exits 1 when any schema failed (the others still migrate; see GET /v1/ops/migrations),
    75 when another run is in progress.
    """
    try:
        options = MigrateOptions(
            parallel=parallel,
            tenant_slug=tenant_slug,
            lock_timeout=lock_timeout,
            trigger=f"cli:{_user()}",
            track_location=script_location,
        )
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc
    runtime = app_runtime()
    try:
        if dry_run or as_sql:
            the_plan = plan(runtime, options)
            if as_sql:
                click.echo(render_sql(runtime, options, the_plan), nl=False)
            else:
                _print_plan(the_plan)
            return
        report = _run_with_progress(runtime, options)
    except NotFound as exc:
        raise click.ClickException(exc.detail) from exc
    except RunInProgress as exc:
        click.echo(f"Refused: {exc.detail}", err=True)
        raise SystemExit(EXIT_RUN_IN_PROGRESS) from exc
    click.echo(
        f"run {report.run_id}: {report.succeeded} migrated, {report.failed} failed, "
        f"{report.at_head} already at head, in {report.seconds:.2f} s"
    )
    for outcome in report.failures:
        click.echo(
            f"FAILED {outcome.target.label} ({outcome.target.schema}): {outcome.error}", err=True
        )
    if not report.ok:
        raise SystemExit(EXIT_FAILED)


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # a container user with no passwd entry
        return "unknown"


def _print_plan(the_plan: Plan) -> None:
    if the_plan.public_revision == the_plan.public_head:
        click.echo(f"public: at head {the_plan.public_head}")
    else:
        click.echo(f"public: {the_plan.public_revision} -> {the_plan.public_head}")
    click.echo(
        f"tenant head {the_plan.head}: {len(the_plan.at_head)} at head, "
        f"{len(the_plan.todo)} to migrate"
    )
    shards = sorted({t.shard for t in (*the_plan.todo, *the_plan.at_head)})
    for shard in shards:
        todo = [t for t in the_plan.todo if t.shard == shard]
        at_head = sum(1 for t in the_plan.at_head if t.shard == shard)
        click.echo(f"shard {shard}: {at_head} at head, {len(todo)} to migrate")
        for target in todo:
            click.echo(f"  {target.label:40} {target.schema}  {target.revision} -> {the_plan.head}")


def _run_with_progress(runtime, options: MigrateOptions) -> service.RunReport:
    console = Console(stderr=True)
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[failed]} failed"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )
    task = {}

    def on_plan(the_plan: Plan) -> None:
        task["id"] = progress.add_task("tenants", total=len(the_plan.todo), failed=0)
        task["failed"] = 0

    def on_outcome(outcome) -> None:
        if outcome.status != "succeeded":
            task["failed"] += 1
        progress.update(task["id"], advance=1, failed=task["failed"])

    with progress:
        return service.migrate_fleet(runtime, options, on_plan=on_plan, on_outcome=on_outcome)


# Listed by controlplane/cli.py under ``flask tenants``.
TENANTS_COMMANDS = (migrate,)
