"""An invoice's printable forms: the HTML page and the PDF (``pdf.py`` renders both)."""

from __future__ import annotations

from tenantapp.invoices import pdf, reading, state


def invoice_html(invoice_id: int) -> str:
    inv = state.get_invoice(invoice_id)
    return pdf.render_html(reading.invoice_view(invoice_id), inv.seller or {}, inv.footer)


def invoice_pdf(invoice_id: int) -> tuple[str, bytes]:
    """(file name, PDF bytes) for one invoice."""
    inv = state.get_invoice(invoice_id)
    view = reading.invoice_view(invoice_id)
    name = f"{inv.number or f'draft-{inv.id}'}.pdf"
    return name, pdf.render_pdf(view, inv.seller or {}, inv.footer)
