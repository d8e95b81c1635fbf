"""What part 2's pages share (invoices, plans, leads): the customers' names of a page of rows,
a list page's filters from the query string, and one form action run the console's way."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from flask import redirect, request
from sqlalchemy import select

from shared import db
from shared.errors import AppError
from tenantapp.console import forms
from tenantapp.customers.models import Customer


def customer_names(ids: Iterable[int]) -> dict[int, str]:
    """``{customer id: name}`` for a page of rows, in one query."""
    ids = set(ids)
    if not ids:
        return {}
    rows = db.session().execute(select(Customer.id, Customer.name).where(Customer.id.in_(ids)))
    return dict(rows.all())


def query_filters(names: Iterable[str]) -> dict[str, str]:
    """The non-empty query parameters ``names`` (NUL-free, at most 40 characters each)."""
    raw = {k: request.args.get(k, "").replace("\x00", "").strip()[:40] for k in names}
    return {k: v for k, v in raw.items() if v}


def run_form(
    action: Callable[[], object],
    done_url: str,
    page: Callable[..., object],
    fields: Iterable[str] = (),
    rename: dict[str, str] | None = None,
    on_error: Callable[[], None] | None = None,
):
    """Run ``action()``: success → 303 to ``done_url`` (post/redirect/get); another workspace's
    id stays the 404 page; any other API error → ``page(status, errors, summary, values)`` with
    the messages beside the form's ``fields`` (API field names mapped through ``rename``)."""
    fields, rename = tuple(fields), rename or {}
    try:
        action()
    except AppError as exc:
        if on_error is not None:
            on_error()
        if exc.status == 404 and not exc.extra.get("errors"):
            raise
        errors, summary = forms.field_errors(exc, (*fields, *rename))
        errors = {rename.get(k, k): v for k, v in errors.items()}
        values = {name: forms.text(name) for name in fields}
        return page(exc.status, errors, summary, values)
    return redirect(done_url, 303)
