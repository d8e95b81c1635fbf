"""Row factories for the office-tools tests (written straight into a tenant's schema)."""

from __future__ import annotations

from contextlib import contextmanager

from shared import db
from shared.runtime import use_runtime
from shared.tenancy import tenant_context
from tenantapp.customers.models import Customer, Property


@contextmanager
def in_tenant(runtime, tenant):
    with use_runtime(runtime), tenant_context(runtime.tenants.by_id(tenant.id)):
        yield db.session()


def add_customer(runtime, tenant, name, *, email=None, phone=None, address=None, postal=None):
    """A customer (and a property when an address or postal code is given); returns its id."""
    with in_tenant(runtime, tenant) as sess:
        customer = Customer(name=name, email=email, phone=phone)
        sess.add(customer)
        sess.flush()
        if address or postal:
            sess.add(Property(customer_id=customer.id, address=address, postal_code=postal))
        sess.commit()
        return customer.id


def search(client, tenant, q, **params):
    resp = client.get(
        tenant.url("/admin/search"), query_string={"q": q, **params}, headers=tenant.headers
    )
    return resp


def run_default_queue(runtime):
    """Work the default queue in this process until it is empty (the import job runs on it)."""
    from rq import SimpleWorker

    from jobs import queues

    with use_runtime(runtime):
        worker = SimpleWorker([queues.queue(queues.DEFAULT, runtime)], connection=runtime.redis)
        worker.work(burst=True)
