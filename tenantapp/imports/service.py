"""Customer imports (SPEC §5.9): accept the file, run it as a job, report progress and outcome."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import g, has_request_context
from sqlalchemy import update

from shared import db
from shared.aftercommit import on_commit
from shared.errors import NotFound
from shared.runtime import current_runtime
from shared.tenancy import current_tenant
from tenantapp.audit.service import record
from tenantapp.imports.models import CustomerImport
from tenantapp.imports.process import ImportFailed, Outcome, apply_rows, decode, read_rows
from tenantapp.imports.upload import CsvUpload
from tenantapp.settings.models import TenantSettings


def _now() -> datetime:
    return datetime.now(UTC)


def start_import(upload: CsvUpload) -> CustomerImport:
    """Store the file and queue the job once the row is committed; audited."""
    from tenantapp.imports.jobs import run_customer_import  # jobs import this module

    principal = g.get("principal") if has_request_context() else None
    with db.transaction() as tx:
        row = CustomerImport(
            status="queued",
            dry_run=upload.dry_run,
            filename=upload.filename,
            size_bytes=len(upload.content),
            content=upload.content,
            created_by=str(getattr(principal, "user_id", "") or "") or None,
            rows=0,
            processed=0,
            created=0,
            merged=0,
            skipped=0,
            errors=[],
        )
        tx.add(row)
        tx.flush()
        record(
            tx,
            "customers.import",
            "customer_import",
            row.id,
            None,
            {"filename": row.filename, "bytes": row.size_bytes, "dry_run": row.dry_run},
        )
        tenant_id, import_id = current_tenant().id, row.id
        on_commit(lambda: run_customer_import.enqueue(current_runtime(), tenant_id, import_id), tx)
    return row


def get_import(import_id: int) -> CustomerImport:
    row = db.session().get(CustomerImport, import_id)
    if row is None:
        raise NotFound("No such import.")
    return row


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
