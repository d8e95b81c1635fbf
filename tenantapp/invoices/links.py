"""Signed links to one invoice for its customer: the invoice page (where Pay is), its JSON and
PDF (SPEC §5.11, §5.13).

Bound to the tenant and the invoice, valid ``MAX_AGE_SECONDS``; the e-mail stores them sealed. A
token that is not this invoice's (another invoice, another tenant, forged, too old) is answered
like an unknown invoice: 404, so a link never confirms that an id exists.
"""

from __future__ import annotations

from itsdangerous import BadSignature, URLSafeTimedSerializer

from shared.errors import NotFound
from shared.runtime import current_runtime
from shared.tenancy import current_tenant

SALT = "cleanplane.invoice"
MAX_AGE_SECONDS = 400 * 24 * 3600  # a year of reminders and an accountant's questions


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_runtime().settings.secret_key, salt=SALT)


def invoice_token(invoice_id: int) -> str:
    return _serializer().dumps({"t": str(current_tenant().id), "i": invoice_id})


def _base(invoice_id: int) -> str:
    root = current_runtime().settings.public_base_url.rstrip("/")
    return f"{root}/t/{current_tenant().slug}/v1/invoices/{invoice_id}"


def invoice_url(invoice_id: int) -> str:
    return f"{_base(invoice_id)}?token={invoice_token(invoice_id)}"


def pdf_url(invoice_id: int) -> str:
    return f"{_base(invoice_id)}/pdf?token={invoice_token(invoice_id)}"


def page_url(invoice_id: int) -> str:
    """The customer's invoice page with Pay and PDF (``/t/<slug>/invoices/{id}?token=``): the
    invoice's ``pay_url``."""
    root = current_runtime().settings.public_base_url.rstrip("/")
    slug = current_tenant().slug
    return f"{root}/t/{slug}/invoices/{invoice_id}?token={invoice_token(invoice_id)}"


def check_invoice_token(token: str | None, invoice_id: int) -> None:
    """404 unless ``token`` was issued for this invoice of this tenant."""
    try:
        data = _serializer().loads(token or "", max_age=MAX_AGE_SECONDS)
    except BadSignature as exc:
        raise NotFound("No such invoice.") from exc
    if data != {"t": str(current_tenant().id), "i": invoice_id}:
        raise NotFound("No such invoice.")
