"""The searchable types, in the order results are listed. A new type is one entry."""

from __future__ import annotations

from tenantapp.search import searchers

SEARCHERS = (
    ("customer", searchers.customers),
    ("lead", searchers.leads),
    ("booking", searchers.bookings),
    ("invoice", searchers.invoices),
    ("worker", searchers.workers),
)
TYPES = tuple(name for name, _ in SEARCHERS)
