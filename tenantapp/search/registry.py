"""The searchable types, in the order results are listed. A new type (invoices, when that
feature lands) is one entry: ``("invoice", invoices.search.by_number)``."""

from __future__ import annotations

from tenantapp.search import searchers

SEARCHERS = (
    ("customer", searchers.customers),
    ("lead", searchers.leads),
    ("booking", searchers.bookings),
    ("worker", searchers.workers),
)
TYPES = tuple(name for name, _ in SEARCHERS)
