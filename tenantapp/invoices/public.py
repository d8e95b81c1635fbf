"""The customer's side of an invoice (signed link, SPEC §5.11): what the invoice page shows,
the PDF, and Pay. A token that is not this invoice's answers 404, as an unknown id does; a DRAFT
has no public side (404) and a VOID one shows as void with nothing to pay."""

from __future__ import annotations

from shared import db
from shared.errors import NotFound
from tenantapp.invoices import documents, links, online, reading, state
from tenantapp.invoices.models import Invoice
from tenantapp.settings import branding


def _visible(invoice_id: int, token: str | None) -> Invoice:
    links.check_invoice_token(token, invoice_id)
    inv = db.session().get(Invoice, invoice_id)
    if inv is None or inv.status == "DRAFT":
        raise NotFound("No such invoice.")
    return inv


def invoice_page_data(invoice_id: int, token: str | None) -> dict:
    """The invoice as its customer sees it, with the company's branding, ``pay_url`` (null when
    nothing can be paid online) and ``pdf_url``. Also what the HTML invoice page renders."""
    inv = _visible(invoice_id, token)
    settings = state.settings_row(db.session())
    view = reading.invoice_view(inv.id)
    seller = inv.seller or {}
    color = settings.brand_color
    logo = branding.logo_path(settings)
    slug_root = links.page_url(inv.id).split("/invoices/")[0]
    return {
        **{k: view[k] for k in _PUBLIC_KEYS},
        "footer": inv.footer,
        "payments": [
            {
                "received_on": p.received_on,
                "method": p.method,
                "amount_cents": p.amount_cents,
                "refunded_cents": p.refunded_cents,
            }
            for p in view["payments"]
        ],
        "credit_notes": [
            {
                "number": n.number,
                "issue_date": n.issue_date,
                "reason": n.reason,
                "total_cents": n.total_cents,
            }
            for n in view["credit_notes"]
        ],
        "company": {
            "name": seller.get("company_name") or settings.company_name,
            "brand_color": color,
            "brand_text_color": branding.text_color_for(color) if color else None,
            "logo_url": f"{slug_root}{logo}" if logo else None,
            "contact_email": settings.contact_email,
            "contact_phone": settings.contact_phone,
            "tax_number": seller.get("tax_number"),
            "registrations": seller.get("registrations") or [],
        },
        "can_pay": online.payable(inv, settings),
        "pay_url": view["pay_url"],
        "pdf_url": links.pdf_url(inv.id),
    }


_PUBLIC_KEYS = (
    "id",
    "number",
    "status",
    "issue_date",
    "due_date",
    "currency",
    "prices_include_tax",
    "lines",
    "subtotal_cents",
    "tax_cents",
    "taxes",
    "total_cents",
    "paid_cents",
    "refunded_cents",
    "credited_cents",
    "amount_due_cents",
    "overdue",
    "days_overdue",
    "bill_to",
    "notes",
)


def invoice_pdf(invoice_id: int, token: str | None) -> tuple[str, bytes]:
    _visible(invoice_id, token)
    return documents.invoice_pdf(invoice_id)


def pay(invoice_id: int, token: str | None) -> dict:
    """``{checkout_url}``: Stripe Checkout for the amount due now (409 when nothing is due or the
    company takes no card payments online; 503 when Stripe is down — nothing is written)."""
    _visible(invoice_id, token)
    db.session().rollback()
    return {"checkout_url": online.checkout_url(invoice_id)}
