"""The search indexes of t0017 (and t0021: invoice numbers and totals), declared on the tables'
metadata so the models describe the migrated schema exactly (the models-match-migrations test
compares them)."""

from __future__ import annotations

from sqlalchemy import Index, text

from tenantapp.bookings.models import Booking
from tenantapp.customers.models import Customer, Property
from tenantapp.invoices.models import Invoice
from tenantapp.leads.models import Lead
from tenantapp.workers.models import Worker

TRGM = "extensions.gin_trgm_ops"


def _trigram(name: str, column) -> Index:
    return Index(name, column, postgresql_using="gin", postgresql_ops={column.key: TRGM})


SEARCH_INDEXES = (
    _trigram("ix_customers_name_trgm", Customer.name),
    _trigram("ix_customers_email_trgm", Customer.email),
    _trigram("ix_customers_phone_trgm", Customer.phone),
    _trigram("ix_properties_address_trgm", Property.address),
    Index(
        "ix_properties_postal_trgm",
        text(f"(upper(replace(postal_code, ' ', ''))) {TRGM}"),
        postgresql_using="gin",
        _table=Property.__table__,
    ),
    _trigram("ix_leads_name_trgm", Lead.name),
    _trigram("ix_leads_email_trgm", Lead.email),
    _trigram("ix_leads_phone_trgm", Lead.phone),
    _trigram("ix_leads_address_trgm", Lead.address),
    _trigram("ix_workers_name_trgm", Worker.name),
    _trigram("ix_workers_email_trgm", Worker.email),
    Index(
        "ix_bookings_id_text", text("(CAST(id AS TEXT)) text_pattern_ops"), _table=Booking.__table__
    ),
    Index(
        "ix_customers_name_prefix", text("lower(name) text_pattern_ops"), _table=Customer.__table__
    ),
    Index(
        "ix_customers_email_prefix",
        text("lower(email) text_pattern_ops"),
        _table=Customer.__table__,
    ),
    Index("ix_leads_name_prefix", text("lower(name) text_pattern_ops"), _table=Lead.__table__),
    Index("ix_leads_email_prefix", text("lower(email) text_pattern_ops"), _table=Lead.__table__),
    _trigram("ix_invoices_number_trgm", Invoice.number),
    Index("ix_invoices_total", Invoice.total_cents, Invoice.id),
)
