"""The invoice as HTML and PDF, from one Jinja template (``templates/invoice.html``).

The public invoice page (issue #25) renders the same template with ``render_html``; the PDF is
WeasyPrint over that HTML. Fonts come from the system (DejaVu/Liberation, installed with pango by
``devstack/pdfdeps.py``); nothing is fetched over the network while rendering.
"""

from __future__ import annotations

import threading
from decimal import Decimal
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from shared.errors import ServiceUnavailable

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
# The invoice's look, in files (no inline CSS: the customer's page runs under a strict CSP).
# The PDF is printed with ``invoice.css``; the page links it and ``invoice_screen.css`` as
# fingerprinted assets (the app registers them under ``invoice/``).
PRINT_CSS = TEMPLATE_DIR / "invoice.css"
STYLESHEETS = ("invoice.css", "invoice_screen.css")
METHOD_LABELS = {
    "cash": "Cash",
    "cheque": "Cheque",
    "etransfer": "E-transfer",
    "card_terminal": "Card (terminal)",
    "card": "Card",
    "other": "Other",
}
STATUS_LABELS = {
    "DRAFT": "Draft",
    "ISSUED": "Issued",
    "PARTIALLY_PAID": "Partially paid",
    "PAID": "Paid",
    "REFUNDED": "Refunded",
    "VOID": "Void",
}


def _money(cents) -> str:
    value = Decimal(int(cents)) / 100
    sign = "-" if value < 0 else ""
    return f"{sign}{abs(value):,.2f}"


def _pct(rate) -> str:
    return f"{Decimal(str(rate)).normalize():f} %"


_env = Environment(
    loader=FileSystemLoader(str(TEMPLATE_DIR)),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters["money"] = _money
_env.filters["pct"] = _pct


def context(
    view: dict, seller: dict, footer: str | None, screen: bool = False, page: dict | None = None
) -> dict:
    """What the template shows, from the invoice response (``service.view``).

    ``page`` (the customer's page only): ``stylesheets`` and ``scripts`` URLs and ``actions``
    (Pay and PDF buttons); the PDF gets none and is styled by ``PRINT_CSS``."""
    page = page or {}
    payments = [
        {
            "received_on": p.received_on,
            "method_label": METHOD_LABELS.get(p.method, p.method),
            "reference": p.reference,
            "amount_cents": p.amount_cents,
        }
        for p in view.get("payments", [])
    ]
    return {
        "inv": view,
        "seller": seller,
        "bill_to": view.get("bill_to") or {},
        "lines": view["lines"],
        "taxes": view["taxes"],
        "payments": payments,
        "credit_notes": view.get("credit_notes", []),
        "footer": footer,
        "doc": {
            "title": "Invoice",
            "status_label": STATUS_LABELS.get(view["status"], view["status"]),
            "has_tax": bool(view["taxes"]),
            "screen": screen,
            "stylesheets": page.get("stylesheets", []),
            "scripts": page.get("scripts", []),
            "actions": page.get("actions"),
            "due_on_receipt": view["due_date"] is not None
            and view["due_date"] == view["issue_date"],
        },
    }


def render_html(
    view: dict, seller: dict, footer: str | None, screen: bool = False, page: dict | None = None
) -> str:
    """The invoice as HTML; ``page`` makes it the customer's page (stylesheets, buttons)."""
    return _env.get_template("invoice.html").render(context(view, seller, footer, screen, page))


# Loading the system fonts is most of a first render: once per thread, not per PDF (a font map is
# not shared between threads: gunicorn's threads each get their own).
_local = threading.local()
PDFDEPS_HOW = (
    "Invoice PDFs need WeasyPrint's system libraries (Pango): run `make pdfdeps` "
    "(docs/invoicing.md)."
)


def _weasyprint():
    """WeasyPrint, imported on first use: it loads Pango through cffi at import, and a process
    without it (a worker that never prints) must still start; the PDF then answers 503."""
    try:
        import weasyprint  # noqa: PLC0415 - a system library behind it, loaded on first use
        from weasyprint.text.fonts import FontConfiguration  # noqa: PLC0415
    except OSError as exc:
        raise ServiceUnavailable(PDFDEPS_HOW) from exc
    return weasyprint.HTML, FontConfiguration


def render_pdf(view: dict, seller: dict, footer: str | None) -> bytes:
    """The invoice as a PDF document (bytes)."""
    html, font_configuration = _weasyprint()
    fonts = getattr(_local, "fonts", None)
    if fonts is None:
        fonts = _local.fonts = font_configuration()
    sheet = getattr(_local, "sheet", None)
    if sheet is None:  # parsed once per thread, like the font map it needs
        sheet = _local.sheet = _css()(filename=str(PRINT_CSS), font_config=fonts)
    document = html(string=render_html(view, seller, footer), base_url=str(TEMPLATE_DIR))
    return document.write_pdf(stylesheets=[sheet], font_config=fonts)


def _css():
    import weasyprint  # noqa: PLC0415 - loaded by _weasyprint() first, with its error

    return weasyprint.CSS
