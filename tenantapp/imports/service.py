"""Customer imports (SPEC §5.9): accept the file, run it as a job, report progress and outcome."""

from __future__ import annotations

from flask import g, has_request_context

from shared import db
from shared.aftercommit import on_commit
from shared.errors import NotFound
from shared.runtime import current_runtime
from shared.tenancy import current_tenant
from tenantapp.audit.service import record
from tenantapp.imports.jobs import run_customer_import
from tenantapp.imports.models import CustomerImport
from tenantapp.imports.upload import CsvUpload


def start_import(upload: CsvUpload) -> CustomerImport:
    """Store the file and queue the job once the row is committed; audited."""
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
