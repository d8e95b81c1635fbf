"""The import job's work: read, check, dedupe and (unless a dry run) write one client list."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import update

from shared import db
from tenantapp.imports.models import CustomerImport
from tenantapp.imports.process import ImportFailed, Outcome, apply_rows, decode, read_rows
from tenantapp.settings.models import TenantSettings


def _now() -> datetime:
    return datetime.now(UTC)


def _set(import_id: int, **values) -> None:
    """Write progress in its own short transaction, visible while the import runs."""
    with db.isolated_session_scope(), db.transaction() as tx:
        tx.execute(update(CustomerImport).where(CustomerImport.id == import_id).values(**values))


def process(import_id: int) -> dict:
    """The job's work: read, check, dedupe and (unless a dry run) write, in one transaction."""
    sess = db.session()
    row = sess.get(CustomerImport, import_id)
    if row is None or row.status in ("done", "failed"):
        return {"skipped": True}
    content = row.content or b""
    dry_run = row.dry_run
    country = sess.get(TenantSettings, 1).country
    sess.rollback()
    _set(import_id, status="running", started_at=_now())
    text, encoding = decode(content)
    outcome = Outcome(encoding=encoding)
    try:
        rows = read_rows(text, country, outcome)
        _set(import_id, rows=outcome.rows, encoding=encoding)
        with db.transaction() as tx:
            apply_rows(
                tx,
                rows,
                outcome,
                write=not dry_run,
                progress=lambda n: _set(import_id, processed=n + outcome.skipped),
            )
            tx.execute(
                update(CustomerImport)
                .where(CustomerImport.id == import_id)
                .values(_finished(outcome, "done"))
            )
    except ImportFailed as exc:
        outcome.errors = exc.errors + outcome.errors
        _set(import_id, **_finished(outcome, "failed"), failure=str(exc))
    except Exception as exc:
        _set(import_id, **_finished(outcome, "failed"), failure=type(exc).__name__)
        raise
    return {"rows": outcome.rows, "created": outcome.created, "merged": outcome.merged}


def _finished(outcome: Outcome, status: str) -> dict:
    return {
        "status": status,
        "encoding": outcome.encoding,
        "rows": outcome.rows,
        "processed": outcome.rows,
        "created": outcome.created,
        "merged": outcome.merged,
        "skipped": outcome.skipped,
        "errors": outcome.errors,
        "content": None,  # the file is not kept once read
        "finished_at": _now(),
    }
