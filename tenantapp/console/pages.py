"""The console's pages, registered by the app (``tenantapp.app``): importing the view modules
attaches their routes to the blueprint."""

from tenantapp.console import (  # noqa: F401  (each module adds its routes to blp)
    auth,
    bookings,
    customers,
    invoice_new,
    invoices,
    leads,
    messages,
    password,
    plan_conflicts,
    plan_new,
    plans,
    reports,
    schedule,
    search,
    settings,
    today,
    workers,
)
from tenantapp.console.blueprint import blp

__all__ = ["blp"]
