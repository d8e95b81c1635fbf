"""Reading the parts billing needs out of Stripe objects (webhook payloads, any API version)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select

from shared.models.plans import Plan


def ref_id(value) -> str | None:
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def timestamp(value) -> datetime | None:
    return datetime.fromtimestamp(int(value), UTC) if isinstance(value, int | float) else None


def tenant_hint(*metadatas) -> uuid.UUID | None:
    for md in metadatas:
        raw = (md or {}).get("tenant_id") if isinstance(md, dict) else None
        if raw:
            try:
                return uuid.UUID(str(raw))
            except ValueError:
                continue
    return None


def plan_code(tx, price_id: str | None, *fallbacks: str | None) -> str | None:
    if price_id:
        code = tx.scalar(select(Plan.code).where(Plan.stripe_price_id == price_id))
        if code:
            return code
    for code in fallbacks:
        if code and tx.get(Plan, code) is not None:
            return code
    return None


def first_item(sub: dict) -> dict:
    data = (sub.get("items") or {}).get("data") or []
    return data[0] if data and isinstance(data[0], dict) else {}


def invoice_refs(invoice: dict) -> tuple[str | None, str | None, dict, str | None]:
    parent = (invoice.get("parent") or {}).get("subscription_details") or {}
    sub_id = ref_id(invoice.get("subscription")) or ref_id(parent.get("subscription"))
    metadata = parent.get("metadata") or (invoice.get("subscription_details") or {}).get("metadata")
    lines = (invoice.get("lines") or {}).get("data") or []
    price = None
    if lines and isinstance(lines[0], dict):
        line = lines[0]
        price = ref_id(line.get("price")) or ref_id(
            ((line.get("pricing") or {}).get("price_details") or {}).get("price")
        )
    return ref_id(invoice.get("customer")), sub_id, metadata or {}, price
