from flask import Response, redirect
from flask.views import MethodView
from flask_smorest import Blueprint

from shared.api import link, links, problems
from shared.auth.guards import public, staff
from shared.idempotency import idempotent
from tenantapp.invoices import books, documents, money, reading, schemas, service
from tenantapp.invoices import public as public_side

blp = Blueprint("invoices", __name__, url_prefix="/v1", description="Invoices, payments and tax")

_ONE = "/admin/invoices/{invoice_id}"
_OPERATIONS = {
    "GetInvoice": ("get", ""),
    "PatchInvoice": ("patch", ""),
    "IssueInvoice": ("post", "/issue"),
    "VoidInvoice": ("post", "/void"),
    "SendInvoice": ("post", "/send"),
    "RecordPayment": ("post", "/payments"),
    "RecordRefund": ("post", "/refunds"),
    "CreditInvoice": ("post", "/credit-notes"),
    "InvoicePdf": ("get", "/pdf"),
}


def _links(status: int, expression: str) -> dict:
    return links(
        status,
        **{
            name: link(method, _ONE + tail, invoice_id=expression)
            for name, (method, tail) in _OPERATIONS.items()
        },
    )


def _detail(inv) -> dict:
    return reading.invoice_view(inv.id)


@blp.route("/admin/invoices")
class Invoices(MethodView):
    @staff("finance")
    @blp.arguments(schemas.InvoiceListArgs, location="query")
    @blp.response(200, schemas.InvoicePage)
    @blp.doc(
        responses={
            "200": {
                "description": "A page of invoices, or the Xero sales-invoice CSV (format=csv)",
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/InvoicePage"}},
                    "text/csv": {"schema": {"type": "string"}},
                },
            }
        }
    )
    @blp.doc(**_links(200, "$response.body#/items/0/id"))
    def get(self, args):
        """Invoices, newest first; filter by status, customer, issue date (``from`` inclusive,
        ``to`` exclusive), ``overdue``. ``format=csv``: Xero's sales-invoice import layout, one
        row per line, formula-safe."""
        if args["format"] == "csv":
            return Response(
                "".join(books.xero_csv(args)),
                mimetype="text/csv",
                headers={"Content-Disposition": 'attachment; filename="invoices-xero.csv"'},
            )
        return reading.list_invoices(args)

    @staff("finance")
    @idempotent
    @blp.arguments(schemas.InvoiceCreate)
    @blp.response(201, schemas.InvoiceOut)
    @blp.doc(responses=problems("409"))
    @blp.doc(**_links(201, "$response.body#/id"))
    def post(self, data):
        """A DRAFT from ``{booking_id}`` (any booking not CANCELLED or SKIPPED) or from
        ``{customer_id, lines}``; a booking that already has a live invoice → 409."""
        return _detail(service.create_invoice(data))


@blp.route("/admin/invoices/<int:invoice_id>")
class InvoiceOne(MethodView):
    @staff("finance")
    @blp.response(200, schemas.InvoiceOut)
    def get(self, invoice_id):
        """One invoice with its lines, taxes, payments, refunds and credit notes."""
        return reading.invoice_view(invoice_id)

    @staff("finance")
    @blp.arguments(schemas.InvoicePatch)
    @blp.response(200, schemas.InvoiceOut)
    @blp.doc(responses=problems("409"))
    def patch(self, data, invoice_id):
        """Change a DRAFT's lines, notes or due date; an issued invoice → 409."""
        return _detail(service.update_invoice(invoice_id, data))


@blp.route("/admin/invoices/<int:invoice_id>/issue")
class IssueInvoice(MethodView):
    @staff("finance")
    @blp.response(200, schemas.InvoiceOut)
    @blp.doc(responses=problems("409"))
    def post(self, invoice_id):
        """Issue a DRAFT: the next gapless number, figures frozen, deposit applied, e-mail."""
        return _detail(service.issue(invoice_id))


@blp.route("/admin/invoices/<int:invoice_id>/void")
class VoidInvoice(MethodView):
    @staff("finance")
    @blp.arguments(schemas.VoidIn)
    @blp.response(200, schemas.InvoiceOut)
    @blp.doc(responses=problems("409"))
    def post(self, data, invoice_id):
        """Void an ISSUED invoice without payments or credit notes (else 409)."""
        return _detail(service.void(invoice_id, data["reason"]))


@blp.route("/admin/invoices/<int:invoice_id>/send")
class SendInvoice(MethodView):
    @staff("finance")
    @blp.response(200, schemas.InvoiceOut)
    @blp.doc(responses=problems("409"))
    def post(self, invoice_id):
        """E-mail the invoice (links to it and its PDF) to the customer again."""
        return _detail(service.send(invoice_id))


@blp.route("/admin/invoices/<int:invoice_id>/payments")
class RecordPayment(MethodView):
    @staff("finance")
    @idempotent
    @blp.arguments(schemas.PaymentIn)
    @blp.response(201, schemas.InvoiceOut)
    @blp.doc(responses=problems("409"))
    def post(self, data, invoice_id):
        """Record a payment received (cash, cheque, e-transfer, terminal, other); more than the
        amount due → 422."""
        return _detail(money.record_payment(invoice_id, data))


@blp.route("/admin/invoices/<int:invoice_id>/refunds")
class RecordRefund(MethodView):
    @staff("finance")
    @idempotent
    @blp.arguments(schemas.RefundIn)
    @blp.response(201, schemas.InvoiceOut)
    @blp.doc(responses=problems("409"))
    def post(self, data, invoice_id):
        """Refund up to what was paid; a credit note of the same amount comes with it."""
        return _detail(money.refund(invoice_id, data))


@blp.route("/admin/invoices/<int:invoice_id>/credit-notes")
class CreditInvoice(MethodView):
    @staff("finance")
    @blp.arguments(schemas.CreditNoteIn)
    @blp.response(201, schemas.CreditNoteOut)
    @blp.doc(responses=problems("409"))
    def post(self, data, invoice_id):
        """A numbered credit note (``CN-<year>-<6 digits>``) of at most the amount due."""
        return money.credit_note(invoice_id, data)


@blp.route("/admin/invoices/<int:invoice_id>/pdf")
class InvoicePdf(MethodView):
    @staff("finance")
    @blp.doc(
        responses={
            "200": {
                "description": "The invoice as a PDF",
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    )
    def get(self, invoice_id):
        """The invoice as a PDF (the same template as the customer's invoice page)."""
        filename, body = documents.invoice_pdf(invoice_id)
        return Response(
            body,
            mimetype="application/pdf",
            headers={"Content-Disposition": f'inline; filename="{filename}"'},
        )


# ------------------------------------------------------------------ the customer's side
_PDF_RESPONSE = {
    "200": {
        "description": "The invoice as a PDF",
        "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
    }
}


@blp.route("/invoices/<int:invoice_id>")
class PublicInvoice(MethodView):
    @public
    @blp.arguments(schemas.TokenArgs, location="query")
    @blp.response(200, schemas.PublicInvoiceOut)
    @blp.doc(responses=problems("404"))
    def get(self, args, invoice_id):
        """The invoice for its customer (signed link): lines, taxes, totals, payments, the
        company's branding, ``pay_url`` and ``pdf_url``. A token for another invoice → 404."""
        return public_side.invoice_page_data(invoice_id, args["token"])


@blp.route("/invoices/<int:invoice_id>/pdf")
class PublicInvoicePdf(MethodView):
    @public
    @blp.arguments(schemas.TokenArgs, location="query")
    @blp.doc(responses={**_PDF_RESPONSE, **problems("404")})
    def get(self, args, invoice_id):
        """The invoice as a PDF, for its customer (signed link)."""
        filename, body = public_side.invoice_pdf(invoice_id, args["token"])
        return Response(
            body,
            mimetype="application/pdf",
            headers={
                "Content-Disposition": f'inline; filename="{filename}"',
                "Referrer-Policy": "no-referrer",
                "Cache-Control": "private, no-store",
            },
        )


@blp.route("/invoices/<int:invoice_id>/pay")
class PayInvoice(MethodView):
    @public
    @blp.arguments(schemas.TokenArgs, location="query")
    @blp.response(200, schemas.InvoiceCheckoutOut)
    @blp.doc(responses=problems("404", "409", "503"))
    def post(self, args, invoice_id):
        """``{checkout_url}``: Stripe Checkout for the amount due, on the company's connected
        account. An open session for the same amount is given again; an expired one is replaced.
        Nothing due, or no online payments → 409; Stripe down → 503 (nothing written)."""
        return public_side.pay(invoice_id, args["token"])

    @public
    @blp.arguments(schemas.TokenArgs, location="query")
    @blp.response(303)
    @blp.doc(responses=problems("404", "409", "503"))
    def get(self, args, invoice_id):
        """The same as POST, as a link: redirects (303) to Stripe Checkout."""
        return redirect(public_side.pay(invoice_id, args["token"])["checkout_url"], code=303)
