"""The customer import job (queued by ``POST /admin/imports/customers``)."""

from jobs import queues
from jobs.decorators import tenant_job
from tenantapp.imports.runner import process


@tenant_job(queue=queues.DEFAULT, timeout=600)
def run_customer_import(tenant_id, import_id: int) -> dict:
    """Job: read, check, dedupe and (unless a dry run) write one uploaded client list."""
    return process(import_id)
