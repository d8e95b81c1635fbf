"""What part 2's pages share (invoices, plans, leads): the customers' names of a page of rows,
a list page's filters from the query string, one form action run the console's way, and the
one-time keys that make a form posted twice (a double click, "resubmit") do one thing."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from flask import redirect, request
from sqlalchemy import select

from shared import db
from shared.errors import AppError
from shared.runtime import current_runtime
from shared.tenancy import current_tenant
from tenantapp.console import forms
from tenantapp.customers import service as customers
from tenantapp.customers.models import Customer
from tenantapp.search import service as search

FORM_KEY_TTL = 86_400


def form_key_taken(key: str) -> bool:
    """True when this one-time form key was already used (the same form posted again); else
    it is taken now, for a day."""
    if not key or len(key) > 64:
        return False
    redis_key = f"console:form:{current_tenant().id}:{key}"
    return not current_runtime().redis.set(redis_key, "1", nx=True, ex=FORM_KEY_TTL)


def release_form_key(key: str) -> None:
    """Free a key whose form was refused, so the corrected form can be sent."""
    if key and len(key) <= 64:
        current_runtime().redis.delete(f"console:form:{current_tenant().id}:{key}")


def customer_names(ids: Iterable[int]) -> dict[int, str]:
    """``{customer id: name}`` for a page of rows, in one query."""
    ids = set(ids)
    if not ids:
        return {}
    rows = db.session().execute(select(Customer.id, Customer.name).where(Customer.id.in_(ids)))
    return dict(rows.all())


def customer_picker(values: dict, with_properties: bool = True) -> dict:
    """What the New booking, plan and invoice forms show about their customer: the ``customer``
    chosen by the form's ``customer_id`` (another workspace's id → the 404 page), its
    ``properties``, and the "Find the customer" box (``console/_customer_finder.html``): what was
    typed (``?find=``) and the search box's matches, none once a customer is chosen."""
    customer, properties = None, []
    cid = forms.number(values.get("customer_id", ""))
    if isinstance(cid, int) and cid > 0:
        customer = customers.get_customer(cid)
        properties = customers.list_properties(cid) if with_properties else []
    find = request.args.get("find", "").replace("\x00", "").strip()[:100]
    matches = search.search(find, ["customer"], 10)["items"] if find and not customer else []
    return {"customer": customer, "properties": properties, "find": find, "matches": matches}


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
